"""PDF rendering: French text survives (embedded font), and a document cannot reach out."""

from __future__ import annotations

import http.server
import io
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import arabic_reshaper
import pytest
from PIL import Image
from pypdf import PdfReader

from gateway.pdf import render_pdf, render_pdf_async

FRENCH = "Facture n° 42 — Été : garçon, œuvre, « àâçéèêëîïôûùüÿ » 1\u202f234,56\u00a0€"


def _reader(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def _spaced(text: str) -> str:
    # pypdf reads no-break spaces back as spaces.
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def _fonts(reader: PdfReader) -> set[str]:
    return {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }


def _images(reader: PdfReader) -> int:
    return sum(len(page.images) for page in reader.pages)


def test_french_text_reads_back_in_an_embedded_font() -> None:
    reader = _reader(render_pdf(
        f"<html><body><h1>{FRENCH}</h1><p><b>Gras é</b> <i>italique ç</i></p>"
        "<table><tr><th>Poste</th><td>Réception</td></tr></table></body></html>"
    ))
    text = reader.pages[0].extract_text()
    assert _spaced(FRENCH) in _spaced(text)
    assert "Gras é" in text and "italique ç" in text and "Réception" in text
    fonts = _fonts(reader)
    assert {"DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"} <= {
        name.split("+", 1)[-1] for name in fonts
    }


def test_names_from_any_script_print_in_the_shipped_font() -> None:
    # Every PDF of the gateway (exports, statements) sets text in the DejaVu Sans shipped in
    # gateway/fonts: no character becomes "?" or a blank box, whatever is installed.
    names = ["Œuvre d’art — 12,50 €", "Σοφία Παπαδοπούλου", "Дмитрий Иванов",
             "Ørsted Åse Ærø", "Ğüneş İnşaat"]
    reader = _reader(render_pdf("<html><body>" + "".join(f"<p>{n}</p>" for n in names)
                                + "</body></html>"))
    text = reader.pages[0].extract_text()
    for name in names:
        assert _spaced(name) in _spaced(text), name
    assert "?" not in text
    assert "DejaVuSans" in {name.split("+", 1)[-1] for name in _fonts(reader)}


# Chinese, Japanese (kanji and kana), Korean (Hangul), Arabic, Hebrew.
WORLD = ["王秀英", "山田さくら", "김민준", "محمد العلي", "שרה כהן"]


def test_cjk_prints_in_the_fallback_face_and_rtl_is_shaped_and_ordered() -> None:
    # DejaVu has no CJK glyph: those runs are set in the shipped Droid Sans Fallback, the rest
    # of the same paragraph stays in DejaVu; Arabic is joined (presentation forms) and Arabic
    # and Hebrew are drawn right to left, so the extractor reads them back in logical order.
    reader = _reader(render_pdf(
        "<html><body>" + "".join(f"<p>Client : {name}</p>" for name in WORLD)
        + f"<table><tr><td><b>{WORLD[0]}</b></td><td>{WORLD[2]}</td></tr></table>"
        "<p>&#x738B;&#x79C0;&#x82F1;</p></body></html>"))
    text = reader.pages[0].extract_text()
    plain = unicodedata.normalize("NFKC", text)
    for name in WORLD:
        assert name in plain, name
    assert plain.count(WORLD[0]) == 3  # the bold cell and the entities too
    assert "\x00" not in text and "?" not in text
    arabic = next(line for line in text.splitlines() if "\ufe8d" in line)  # ﺍ, an alef
    assert arabic_reshaper.reshape(WORLD[3]) in arabic  # joined, not isolated letters
    assert {"DejaVuSans", "DroidSansFallback"} <= {
        name.split("+", 1)[-1] for name in _fonts(reader)}


def test_a_document_without_cjk_does_not_load_the_fallback_face() -> None:
    assert "DroidSansFallback" not in {
        name.split("+", 1)[-1] for name in _fonts(_reader(render_pdf("<p>Relevé</p>")))}


async def test_async_rendering_gives_the_same_document() -> None:
    reader = _reader(await render_pdf_async("<p>Relevé de novembre</p>"))
    assert "Relevé de novembre" in reader.pages[0].extract_text()


@pytest.fixture
def web_server() -> Iterator[tuple[str, list[str]]]:
    """A local web server that records every request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_document_cannot_fetch_from_the_network(web_server: tuple[str, list[str]]) -> None:
    url, hits = web_server
    data = render_pdf(
        f'<html><head><link rel="stylesheet" href="{url}/style.css"></head><body>'
        f'<img src="{url}/logo.png"><p>Facture</p></body></html>'
    )
    assert "Facture" in _reader(data).pages[0].extract_text()
    assert hits == []


def test_images_only_from_the_folder_the_caller_names(tmp_path: Path) -> None:
    assets, elsewhere = tmp_path / "assets", tmp_path / "elsewhere"
    assets.mkdir()
    elsewhere.mkdir()
    for folder in (assets, elsewhere):
        Image.new("RGB", (40, 20), (200, 30, 30)).save(folder / "logo.png")
    document = (f'<img src="logo.png"><img src="{elsewhere / "logo.png"}">'
                "<p>Relevé</p>")
    assert _images(_reader(render_pdf(document))) == 0
    # The relative logo is read from base_dir; the absolute one outside it still is not.
    assert _images(_reader(render_pdf(document, base_dir=assets))) == 1
