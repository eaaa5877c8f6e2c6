"""The streaming PDF writer of the exports: a file any strict reader accepts, each page written
as it ends, text set in DejaVu Sans embedded as a subset (Type0, Identity-H) that reads back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.ttfonts import TTFontFile

from gateway.pdf import FONTS_DIR
from plugins.clients.pdf_writer import StreamingCanvas, string_width

NAMES = ["Σοφία Παπαδοπούλου", "Дмитрий Иванов", "Œuvre d’art — 12,50 €", "Ğüneş İnşaat",
         "Łódź", "Café (été) \\ fin…"]


def _draw(path: Path, pages: int = 1) -> list[int]:
    """``pages`` pages of a bold line, the names and a right-aligned page number; the file's
    size on disk after each page."""
    canvas = StreamingCanvas(path, pagesize=(792, 612))
    canvas.setTitle("Compagnies (été) — Σοφία")
    sizes = []
    for n in range(pages):
        canvas.setFont("DejaVuSans-Bold", 9)
        canvas.drawString(40, 570, f"Page {n} — Numéro (été) \\ fin…")
        canvas.setLineWidth(0.5)
        canvas.line(40, 560, 750, 560)
        text = canvas.beginText()
        text.setFont("DejaVuSans", 9)
        for i, name in enumerate(NAMES):
            text.setTextOrigin(42, 540 - 12 * i)
            text.textOut(name)
        canvas.drawText(text)
        canvas.setFont("DejaVuSans", 7)
        canvas.drawRightString(750, 20, str(n + 1))
        canvas.showPage()
        canvas.file.flush()
        sizes.append(path.stat().st_size)
    canvas.save()
    return sizes


def test_pages_are_written_as_they_end_and_read_back_strictly(tmp_path: Path) -> None:
    path = tmp_path / "list.pdf"
    sizes = _draw(path, pages=3)
    assert sizes[0] < sizes[1] < sizes[2]  # on disk page by page, not kept for the end
    reader = PdfReader(path, strict=True)
    assert len(reader.pages) == 3 and reader.metadata.title == "Compagnies (été) — Σοφία"
    lines = reader.pages[1].extract_text().splitlines()
    assert lines[0] == "Page 1 — Numéro (été) \\ fin…"
    assert lines[1:1 + len(NAMES)] == NAMES  # every script, exactly
    assert lines[-1] == "2"  # the page number, drawn right-aligned


def _fonts(path: Path) -> dict[str, dict]:
    reader = PdfReader(path, strict=True)
    fonts = reader.pages[0]["/Resources"]["/Font"]
    return {fonts[key]["/BaseFont"].removeprefix("/"): fonts[key].get_object() for key in fonts}


def test_dejavu_sans_is_embedded_as_a_subset_whose_codes_are_its_glyphs(tmp_path: Path) -> None:
    path = tmp_path / "list.pdf"
    _draw(path)
    fonts = _fonts(path)
    assert sorted(re.sub(r"^[A-Z]{6}\+", "", name) for name in fonts) == [
        "DejaVuSans", "DejaVuSans-Bold"]
    for name, font in fonts.items():
        assert font["/Subtype"] == "/Type0" and font["/Encoding"] == "/Identity-H"
        cid_font = font["/DescendantFonts"][0].get_object()
        assert cid_font["/Subtype"] == "/CIDFontType2"
        assert cid_font["/CIDToGIDMap"] == "/Identity"
        embedded = cid_font["/FontDescriptor"]["/FontFile2"].get_data()
        (tmp_path / "subset.ttf").write_bytes(embedded)
        subset = TTFontFile(str(tmp_path / "subset.ttf"))
        original = TTFontFile(str(FONTS_DIR / (name.split("+")[1] + ".ttf")))
        # A subset: the glyphs drawn (and the parts of composite ones), not the whole font.
        assert subset.numGlyphs < 120 < original.numGlyphs
        assert len(embedded) < len((FONTS_DIR / (name.split("+")[1] + ".ttf")).read_bytes()) / 10
        # Code n is glyph n of the subset: its width there, in /W, and in the original font
        # for the character the ToUnicode map reads it back as.
        cmap = font["/ToUnicode"].get_data().decode()
        chars = {int(code, 16): bytes.fromhex(utf16).decode("utf-16-be")
                 for code, utf16 in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]+)>", cmap)}
        widths = cid_font["/W"][1]
        assert cid_font["/W"][0] == 0 and len(widths) == len(chars) > 10
        assert chars[0] == "\ufffd"  # .notdef
        scale = 1000 / subset.unitsPerEm
        for code, width in enumerate(widths):
            assert subset.hmetrics[code][0] * scale == pytest.approx(float(width), abs=0.01)
            if code:
                glyph = original.charToGlyph[ord(chars[code])]
                assert original.hmetrics[glyph][0] * scale == pytest.approx(float(width),
                                                                            abs=0.01)


def test_a_character_dejavu_lacks_draws_notdef_and_nothing_breaks(tmp_path: Path) -> None:
    path = tmp_path / "list.pdf"
    canvas = StreamingCanvas(path, pagesize=(792, 612))
    canvas.setFont("DejaVuSans", 9)
    canvas.drawString(40, 570, "Café 中文 𝄞 ok")
    canvas.drawString(40, 550, "a\u00a0b")  # a no-break space: the space's glyph
    canvas.save()
    text = PdfReader(path, strict=True).pages[0].extract_text().splitlines()
    assert text == ["Café \ufffd\ufffd \ufffd ok", "a b"]


def test_text_is_measured_with_the_fonts_widths() -> None:
    assert string_width("", "DejaVuSans", 9) == 0
    # The widths are the font file's own (its advance widths, in thousandths of the size).
    original = TTFontFile(str(FONTS_DIR / "DejaVuSans.ttf"))
    h = original.hmetrics[original.charToGlyph[ord("H")]][0] * 1000 / original.unitsPerEm
    assert string_width("HH", "DejaVuSans", 10) == pytest.approx(2 * h / 100)
    assert string_width("Ω", "DejaVuSans-Bold", 10) > string_width("Ω", "DejaVuSans", 10)
    assert string_width("中", "DejaVuSans", 10) > 0  # the .notdef's width, no error


def test_text_of_characters_seen_is_encoded_as_character_by_character(tmp_path: Path) -> None:
    canvas = StreamingCanvas(tmp_path / "codes.pdf", pagesize=(200, 100))
    codes = canvas.codes["DejaVuSans"]
    first = codes.encode("Café\u00a0 中 ok")  # new characters: one at a time
    # The same characters again take the one-call path: the same bytes, the same codes.
    assert codes.encode("Café\u00a0 中 ok") == first
    assert codes.encode("ok Café") == b"(" + b"".join(codes[c] for c in "ok Café") + b")"
    assert codes.encode("") == b"()"
    # A new character among known ones: its code is given then, the rest as before.
    assert codes.encode("Cafés!") == b"(" + b"".join(codes[c] for c in "Cafés!") + b")"
    # 中 draws .notdef (code 0); the no-break space shares the space's glyph.
    assert len(codes.glyphs) == len(set("Café oks!"))
    canvas.save()


def test_rows_are_placed_cell_by_cell_and_every_code_reads_back(tmp_path: Path) -> None:
    """Rows of a table placed relatively (each cell from the one before, each row from the
    last): every cell where its column says; 150 distinct characters, so that codes hold the
    bytes a literal string escapes ( ) \\ CR LF, and each reads back as itself."""
    from plugins.clients.pdf_writer import Columns

    alphabet = [chr(c) for c in range(0x21, 0x7F)] + list("éèàçôûîœæßÉÈÀÇÔŒΣοφίαДмитрийЖЯ")
    assert len(set(alphabet)) > 120
    rows = [["".join(alphabet[i:i + 10]), f"({i})", "a\\b"] for i in range(0, 130, 10)]
    xs = [40.5, 200.25, 400]
    path = tmp_path / "table.pdf"
    canvas = StreamingCanvas(path, pagesize=(792, 612))
    text = canvas.beginText()
    text.setFont("DejaVuSans", 9)
    columns = Columns(xs)
    for n, cells in enumerate(rows):
        text.row(columns, 560 - 12.5 * n, cells)
    text.setTextOrigin(40, 100)  # an absolute place between rows: the next row starts anew
    text.textOut("end")
    text.row(columns, 80, ["x", "y", "z"])
    canvas.drawText(text)
    canvas.save()
    placed: list[tuple[float, float]] = []

    def before(operator: bytes, _args: Any, _cm: Any, tm: Any) -> None:
        if operator == b"Tj":  # where each run is drawn
            placed.append((round(tm[4], 2), round(tm[5], 2)))

    page = PdfReader(path, strict=True).pages[0]
    lines = page.extract_text(visitor_operand_before=before).splitlines()
    assert lines == [" ".join(cells) for cells in rows] + ["end", "x y z"]
    assert placed == [(x, round(560 - 12.5 * n, 2)) for n, _ in enumerate(rows) for x in xs] + [
        (40, 100), (40.5, 80), (200.25, 80), (400, 80)]


def _read_literal(written: bytes) -> bytes:
    """A literal string's bytes as the PDF specification reads them (7.3.4.2): a backslash
    escapes n r t b f ( ) \\ or up to three octal digits, and is dropped before anything else;
    an unescaped CR or CR LF reads as LF; parentheses must balance."""
    out, i, depth = bytearray(), 0, 0
    named = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b",
             ord("f"): b"\f", ord("("): b"(", ord(")"): b")", ord("\\"): b"\\"}
    while i < len(written):
        byte = written[i]
        if byte == ord("\\"):
            following = written[i + 1]
            if following in named:
                out += named[following]
                i += 2
                continue
            digits = re.match(rb"[0-7]{1,3}", written[i + 1:i + 4])
            if digits:
                out.append(int(digits.group(), 8) & 0xFF)
                i += 1 + len(digits.group())
                continue
            i += 1  # dropped
            continue
        if byte == 0x0D:
            out += b"\n"
            i += 2 if written[i + 1:i + 2] == b"\n" else 1
            continue
        depth += {ord("("): 1, ord(")"): -1}.get(byte, 0)
        assert depth >= 0
        out.append(byte)
        i += 1
    assert depth == 0
    return bytes(out)


def test_every_code_is_written_so_that_a_reader_gets_its_two_bytes_back() -> None:
    from plugins.clients.pdf_writer import _literal_code  # noqa: PLC2701

    for code in range(65536):
        written = _literal_code(code)
        assert _read_literal(written) == code.to_bytes(2, "big"), code
        # Nothing a reader would change or take as the string's end, even next to others.
        assert not set(written.replace(b"\\(", b"").replace(b"\\)", b"")) & {0x28, 0x29}
