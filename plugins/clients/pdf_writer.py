"""A PDF written to its file page by page, for exports of any length in flat memory.

ReportLab's canvas keeps every page until ``save`` (about 0.3 KB a row of an export); this one
writes each page's objects as soon as the page ends and keeps only their byte offsets. It draws
what a list export needs (text in Helvetica and Helvetica-Bold, lines) with the method names of
ReportLab's canvas, and measures text with ReportLab's metrics of those fonts. Text is encoded
in WinAnsi (cp1252: French and the other western European languages); a character outside it
is written as "?".
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any, BinaryIO

_FONTS = {"Helvetica": b"/F1", "Helvetica-Bold": b"/F2"}
# Object numbers: 1 catalog, 2 page tree, 3 and 4 the fonts, 5 the document information;
# pages take two each (content stream, page) from 6 on.
_FIRST_FREE = 6


def _number(value: float) -> bytes:
    return (f"{value:.2f}".rstrip("0").rstrip(".") or "0").encode()


def _text(value: str) -> bytes:
    raw = value.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


class TextObject:
    """The part of ReportLab's text object the exports use: a font and positioned runs."""

    def __init__(self, canvas: StreamingCanvas) -> None:
        self.canvas = canvas
        self.parts: list[bytes] = [b"BT"]

    def setFont(self, name: str, size: float) -> None:  # noqa: N802 (ReportLab's names)
        self.parts.append(_FONTS[name] + b" " + _number(size) + b" Tf")

    def setTextOrigin(self, x: float, y: float) -> None:  # noqa: N802
        self.parts.append(b"1 0 0 1 " + _number(x) + b" " + _number(y) + b" Tm")

    def textOut(self, text: str) -> None:  # noqa: N802
        self.parts.append(_text(text) + b" Tj")


class StreamingCanvas:
    """Pages go to ``path`` as they end; ``save`` writes the page tree and the cross-reference
    table. The methods are ReportLab's (``drawString``, ``showPage``...)."""

    def __init__(self, path: str | Path, pagesize: tuple[float, float]) -> None:
        self.width, self.height = pagesize
        self.file: BinaryIO = open(path, "wb")  # noqa: SIM115 (closed by save)
        self.offsets: dict[int, int] = {}
        self.pages: list[int] = []
        self.ops: list[bytes] = []
        self.font = (b"/F1", b"10")
        self.info = {"Producer": "Gateway"}
        self.next_object = _FIRST_FREE
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        for number, name in ((3, "Helvetica"), (4, "Helvetica-Bold")):
            self._object(number, b"<< /Type /Font /Subtype /Type1 /BaseFont /" + name.encode()
                         + b" /Encoding /WinAnsiEncoding >>")

    # -- what the exports draw -----------------------------------------------------------------

    def setTitle(self, title: str) -> None:  # noqa: N802 (ReportLab's names)
        self.info["Title"] = title

    def setAuthor(self, author: str) -> None:  # noqa: N802
        self.info["Author"] = author

    def setFont(self, name: str, size: float) -> None:  # noqa: N802
        self.font = (_FONTS[name], _number(size))

    def setLineWidth(self, width: float) -> None:  # noqa: N802
        self.ops.append(_number(width) + b" w")

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.ops.append(b" ".join((_number(x1), _number(y1), b"m", _number(x2), _number(y2),
                                   b"l S")))

    def drawString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        self.ops.append(b"BT " + self.font[0] + b" " + self.font[1] + b" Tf " + _number(x)
                        + b" " + _number(y) + b" Td " + _text(text) + b" Tj ET")

    def drawRightString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        from reportlab.pdfbase.pdfmetrics import stringWidth

        name = next(n for n, key in _FONTS.items() if key == self.font[0])
        self.drawString(x - stringWidth(text, name, float(self.font[1])), y, text)

    def beginText(self) -> TextObject:  # noqa: N802
        return TextObject(self)

    def drawText(self, text: TextObject) -> None:  # noqa: N802
        self.ops.append(b"\n".join([*text.parts, b"ET"]))

    # -- pages and the file --------------------------------------------------------------------

    def showPage(self) -> None:  # noqa: N802
        """End the page: its content (compressed) and its page object go to the file now."""
        content, page = self.next_object, self.next_object + 1
        self.next_object += 2
        stream = zlib.compress(b"\n".join(self.ops))
        self._object(content, b"<< /Length " + str(len(stream)).encode()
                     + b" /Filter /FlateDecode >>\nstream\n" + stream + b"\nendstream")
        self._object(page, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + _number(self.width)
                     + b" " + _number(self.height) + b"] /Resources << /Font << /F1 3 0 R "
                     b"/F2 4 0 R >> >> /Contents " + str(content).encode() + b" 0 R >>")
        self.pages.append(page)
        self.ops = []

    def save(self) -> None:
        if self.ops or not self.pages:
            self.showPage()
        kids = b" ".join(str(n).encode() + b" 0 R" for n in self.pages)
        self._object(2, b"<< /Type /Pages /Count " + str(len(self.pages)).encode()
                     + b" /Kids [" + kids + b"] >>")
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        info = b" ".join(b"/" + key.encode() + b" " + _text(value)
                         for key, value in self.info.items())
        self._object(5, b"<< " + info + b" >>")
        xref_at = self.file.tell()
        count = self.next_object
        lines = [b"xref", f"0 {count}".encode(), b"0000000000 65535 f "]
        lines += [f"{self.offsets[n]:010d} 00000 n ".encode() for n in range(1, count)]
        self._write(b"\n".join(lines) + b"\n")
        self._write(b"trailer\n<< /Size " + str(count).encode()
                    + b" /Root 1 0 R /Info 5 0 R >>\nstartxref\n" + str(xref_at).encode()
                    + b"\n%%EOF\n")
        self.file.close()

    def _object(self, number: int, body: bytes) -> None:
        self.offsets[number] = self.file.tell()
        self._write(str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n")

    def _write(self, data: bytes) -> None:
        self.file.write(data)

    def __del__(self) -> None:  # a failed export still closes its file
        file: Any = getattr(self, "file", None)
        if file is not None and not file.closed:
            file.close()
