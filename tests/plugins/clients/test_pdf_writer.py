"""The streaming PDF writer of the exports: a file any strict reader accepts, each page written
as it ends, text escaped and encoded as WinAnsi."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from plugins.clients.pdf_writer import StreamingCanvas


def test_pages_are_written_as_they_end_and_read_back_strictly(tmp_path: Path) -> None:
    path = tmp_path / "list.pdf"
    canvas = StreamingCanvas(path, pagesize=(792, 612))
    canvas.setTitle("Compagnies (été)")
    sizes = []
    for n in range(3):
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawString(40, 570, f"Page {n} — Numéro (été) \\ fin…")
        canvas.setLineWidth(0.5)
        canvas.line(40, 560, 750, 560)
        text = canvas.beginText()
        text.setFont("Helvetica", 9)
        text.setTextOrigin(42, 540)
        text.textOut("Café Ünïcode 中")
        canvas.drawText(text)
        canvas.drawRightString(750, 20, str(n + 1))
        canvas.showPage()
        canvas.file.flush()
        sizes.append(path.stat().st_size)
    canvas.save()
    assert sizes[0] < sizes[1] < sizes[2]  # on disk page by page, not kept for the end
    reader = PdfReader(path, strict=True)
    assert len(reader.pages) == 3 and reader.metadata.title == "Compagnies (été)"
    page = reader.pages[1].extract_text()
    assert "Page 1 — Numéro (été) \\ fin…" in page
    assert "Café Ünïcode ?" in page  # outside WinAnsi: "?"
    assert "2" in page.split()  # the page number, drawn right-aligned
