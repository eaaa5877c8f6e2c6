"""A PDF written to its file page by page, for exports of any length in flat memory.

ReportLab's canvas keeps every page until ``save`` (about 0.3 KB a row of an export); this one
writes each page's objects as soon as the page ends and keeps only their byte offsets. It draws
what a list export needs (text in DejaVu Sans and DejaVu Sans Bold, lines) with the method names
of ReportLab's canvas; ``string_width`` measures text with the fonts' own widths.

The fonts are the DejaVu Sans TrueType files the gateway ships (``gateway.api.PDF_FONTS_DIR``,
with their licence), embedded in the file, so every script DejaVu covers prints and reads back:
accents, œ, €, ’, Greek, Cyrillic, Turkish, Polish... Each is a Type0 font in Identity-H
encoding over a CIDFontType2 font: the first time a glyph is drawn it takes the font's next
free two-byte code. ``save`` then writes the font objects (their numbers are reserved up
front): a subset of the TrueType file holding only the glyphs drawn, in the order of their
codes, so that a code is its glyph's number in the subset (CIDToGIDMap Identity), their widths
and a ToUnicode map for searching and copying the text. What the document holds while pages
are drawn is one entry per distinct character, whatever its length.

A character DejaVu lacks (Chinese, Japanese, Korean) draws the font's .notdef glyph (a box) and
reads back as U+FFFD, the replacement character. A no-break space shares the space's glyph: it
reads back as a space.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from gateway.api import PDF_FONTS_DIR

# The fonts a canvas offers: name -> (file, resource name in the pages).
FONTS = {"DejaVuSans": ("DejaVuSans.ttf", b"/F1"),
         "DejaVuSans-Bold": ("DejaVuSans-Bold.ttf", b"/F2")}
# Object numbers: 1 catalog, 2 page tree, 3 and 4 the fonts (Type0), 5 the document
# information, 6 to 13 the rest of the fonts (four objects each: the CIDFont, its descriptor,
# the font file and the ToUnicode map); pages take two each (content stream, page) from 14 on.
_FONT_OBJECTS = {"DejaVuSans": (3, 6, 7, 8, 9), "DejaVuSans-Bold": (4, 10, 11, 12, 13)}
_FIRST_FREE = 14


class _Widths(dict[str, float]):
    """Advance widths by character, in thousandths of the font size; a character the font lacks
    measures as its .notdef glyph."""

    def __init__(self, widths: dict[str, float], missing: float) -> None:
        super().__init__(widths)
        self.missing = missing

    def __missing__(self, char: str) -> float:
        return self.missing


class _Face:
    """One TrueType file, read once per process: its glyphs, widths and global metrics."""

    def __init__(self, path: Path) -> None:
        from reportlab.pdfbase.ttfonts import TTFontFile

        self.file = TTFontFile(str(path))
        self.name = self.file.name.decode("ascii")
        self.glyphs: dict[int, int] = self.file.charToGlyph  # code point -> glyph number
        scale = 1000 / self.file.unitsPerEm
        self.glyph_widths = [advance * scale for advance, _ in self.file.hmetrics]
        self.widths = _Widths({chr(code): self.glyph_widths[glyph]
                               for code, glyph in self.glyphs.items()}, self.glyph_widths[0])
        self.lock = threading.Lock()  # makeSubset reads the file through a shared position

    def subset(self, codes: list[int]) -> bytes:
        """A TrueType file of .notdef then the glyphs of ``codes`` (one code point a glyph), in
        that order, then the parts of composite glyphs."""
        with self.lock:
            data: bytes = self.file.makeSubset(codes)
        return data


@functools.cache
def _face(font: str) -> _Face:
    return _Face(PDF_FONTS_DIR / FONTS[font][0])


def string_width(text: str, font: str, size: float) -> float:
    """The width of ``text`` set in ``font`` (a name of ``FONTS``) at ``size``, in points."""
    return sum(map(_face(font).widths.__getitem__, text)) * size / 1000


# Text of characters up to U+017F (ASCII, Latin-1 and Latin Extended-A: French, and most
# European names) is first compared with as many of its widest possible character.
LATIN_END = "\u017f"


@functools.lru_cache(maxsize=4096)
def surely_fitting(font: str, size: float, room: float, lowest: str, highest: str) -> int:
    """How many characters from ``lowest`` to ``highest`` (at most :data:`LATIN_END`),
    whichever they are, surely fit in ``room`` points: as many as the widest of them would.
    Shorter text of them needs no measuring."""
    widths = _face(font).widths
    widest = max(widths[chr(code)] for code in range(ord(lowest), ord(highest) + 1))
    return int(room * 1000 / (widest * size))


# Bytes a PDF literal string must escape: its delimiters, the escape itself, and the ends of
# line a reader would otherwise turn into a line feed.
_ESCAPES = {0x28: b"\\(", 0x29: b"\\)", 0x5C: b"\\\\", 0x0D: b"\\r", 0x0A: b"\\n"}


def _literal_code(code: int) -> bytes:
    """A two-byte code as it goes between a literal string's parentheses."""
    return b"".join(_ESCAPES.get(byte, bytes([byte])) for byte in code.to_bytes(2, "big"))


class _Codes(dict[str, bytes]):
    """One font's use in one document: each character -> its two-byte code in the content
    streams (as written in a literal string); the glyphs drawn, in the order of their codes,
    with a character of each."""

    def __init__(self, face: _Face) -> None:
        super().__init__()
        self.face = face
        self.by_glyph: dict[int, int] = {}  # glyph number in the font file -> code
        self.glyphs: list[int] = []  # code - 1 -> glyph number in the font file
        self.chars: list[int] = []  # code - 1 -> the code point it reads back as
        # The characters seen so far, and their codes (as Latin-1 text) for str.translate:
        # text made of them only is encoded in one C call.
        self.seen: set[str] = set()
        self.table: dict[int, str] = {}

    def __missing__(self, char: str) -> bytes:
        point = ord(char)
        glyph = self.face.glyphs.get(point, 0)
        if not glyph:
            code = 0  # .notdef
        elif glyph in self.by_glyph:
            code = self.by_glyph[glyph]
            # Characters sharing a glyph (space and no-break space): the lowest reads back.
            self.chars[code - 1] = min(self.chars[code - 1], point)
        else:
            self.glyphs.append(glyph)
            self.chars.append(point)
            code = self.by_glyph[glyph] = len(self.glyphs)
        written = self[char] = _literal_code(code)
        self.table[point] = written.decode("latin-1")
        self.seen.add(char)
        return written

    def encode(self, text: str) -> bytes:
        """``text`` as a literal string of its codes (half the bytes of a hex string)."""
        if self.seen.issuperset(text):
            return b"(" + text.translate(self.table).encode("latin-1") + b")"
        return b"(" + b"".join(map(self.__getitem__, text)) + b")"


def _number(value: float) -> bytes:
    return (f"{value:.2f}".rstrip("0").rstrip(".") or "0").encode()


def _text_string(value: str) -> bytes:
    """A PDF text string (the document information): UTF-16 with its byte order mark."""
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"


def _stream(dictionary: bytes, data: bytes) -> bytes:
    # Level 3: half the time of the default (6) for a tenth more bytes, on an export's pages.
    packed = zlib.compress(data, 3)
    return (b"<< " + (dictionary + b" " if dictionary else b"") + b"/Length "
            + str(len(packed)).encode()
            + b" /Filter /FlateDecode >>\nstream\n" + packed + b"\nendstream")


def _to_unicode(chars: list[int]) -> bytes:
    """The ToUnicode CMap: code n (from 1) reads back as ``chars[n - 1]``, code 0 (.notdef) as
    U+FFFD, the replacement character."""
    entries = [0xFFFD, *chars]
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <FFFF>", b"endcodespacerange"]
    for start in range(0, len(entries), 100):  # at most 100 entries a block
        block = entries[start:start + 100]
        lines.append(f"{len(block)} beginbfchar".encode())
        lines += [b"<%04X> <%s>" % (start + n, chr(point).encode("utf-16-be").hex().upper()
                                    .encode()) for n, point in enumerate(block)]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


class TextObject:
    """The part of ReportLab's text object the exports use: a font and positioned runs."""

    def __init__(self, canvas: StreamingCanvas) -> None:
        self.canvas = canvas
        self.parts: list[bytes] = [b"BT"]
        self.codes = canvas.codes["DejaVuSans"]
        # The row last placed by ``row`` (its columns and height): the next is placed from it.
        self.line: tuple[Columns, float] | None = None

    def setFont(self, name: str, size: float) -> None:  # noqa: N802 (ReportLab's names)
        self.codes = self.canvas.codes[name]
        self.parts.append(FONTS[name][1] + b" " + _number(size) + b" Tf")

    def setTextOrigin(self, x: float, y: float) -> None:  # noqa: N802
        self.parts.append(b"1 0 0 1 " + _number(x) + b" " + _number(y) + b" Tm")
        self.line = None

    def textOut(self, text: str) -> None:  # noqa: N802
        self.parts.append(self.codes.encode(text) + b" Tj")

    def row(self, columns: Columns, y: float, texts: list[str]) -> None:
        """``texts[i]`` in column ``i`` at height ``y``: a table's row. Each cell is placed
        relative to the one before (``Td``), the row's first relative to the previous row's
        last when it is a row of the same columns, else absolutely (``Tm``)."""
        encode = self.codes.encode
        y = round(y, 2)
        if self.line is not None and self.line[0] is columns:
            start = columns.back + _number(y - self.line[1]) + b" Td "
        else:
            start = columns.first + _number(y) + b" Tm "
        self.parts.append(start + encode(texts[0]) + b" Tj")
        self.parts.extend(step + encode(text) + b" Tj"
                          for step, text in zip(columns.steps, texts[1:], strict=True))
        self.line = (columns, y)


class Columns:
    """A table's column positions for ``TextObject.row``, formatted once for every row: the
    first column's absolute place, the steps from each column to the next, the way back."""

    def __init__(self, xs: list[float]) -> None:
        xs = [round(x, 2) for x in xs]
        self.first = b"1 0 0 1 " + _number(xs[0]) + b" "
        self.steps = [_number(after - before) + b" 0 Td " for before, after in zip(xs, xs[1:])]
        self.back = _number(xs[0] - xs[-1]) + b" "


class StreamingCanvas:
    """Pages go to ``path`` as they end; ``save`` writes the fonts, the page tree and the
    cross-reference table. The methods are ReportLab's (``drawString``, ``showPage``...)."""

    def __init__(self, path: str | Path, pagesize: tuple[float, float]) -> None:
        self.width, self.height = pagesize
        self.codes = {name: _Codes(_face(name)) for name in FONTS}
        self.file: BinaryIO = open(path, "wb")  # noqa: SIM115 (closed by save)
        self.offsets: dict[int, int] = {}
        self.pages: list[int] = []
        self.ops: list[bytes] = []
        self.font, self.size = "DejaVuSans", 10.0
        self.info = {"Producer": "Gateway"}
        self.next_object = _FIRST_FREE
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    # -- what the exports draw -----------------------------------------------------------------

    def setTitle(self, title: str) -> None:  # noqa: N802 (ReportLab's names)
        self.info["Title"] = title

    def setAuthor(self, author: str) -> None:  # noqa: N802
        self.info["Author"] = author

    def setFont(self, name: str, size: float) -> None:  # noqa: N802
        if name not in FONTS:
            raise KeyError(f"no font {name!r} here, only {', '.join(FONTS)}")
        self.font, self.size = name, size

    def setLineWidth(self, width: float) -> None:  # noqa: N802
        self.ops.append(_number(width) + b" w")

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.ops.append(b" ".join((_number(x1), _number(y1), b"m", _number(x2), _number(y2),
                                   b"l S")))

    def drawString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        self.ops.append(b"BT " + FONTS[self.font][1] + b" " + _number(self.size) + b" Tf "
                        + _number(x) + b" " + _number(y) + b" Td "
                        + self.codes[self.font].encode(text) + b" Tj ET")

    def drawRightString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        self.drawString(x - string_width(text, self.font, self.size), y, text)

    def beginText(self) -> TextObject:  # noqa: N802
        return TextObject(self)

    def drawText(self, text: TextObject) -> None:  # noqa: N802
        self.ops.append(b"\n".join([*text.parts, b"ET"]))

    # -- pages and the file --------------------------------------------------------------------

    def showPage(self) -> None:  # noqa: N802
        """End the page: its content (compressed) and its page object go to the file now."""
        content, page = self.next_object, self.next_object + 1
        self.next_object += 2
        self._object(content, _stream(b"", b"\n".join(self.ops)))
        fonts = b" ".join(FONTS[name][1] + b" " + str(numbers[0]).encode() + b" 0 R"
                          for name, numbers in _FONT_OBJECTS.items())
        self._object(page, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 " + _number(self.width)
                     + b" " + _number(self.height) + b"] /Resources << /Font << " + fonts
                     + b" >> >> /Contents " + str(content).encode() + b" 0 R >>")
        self.pages.append(page)
        self.ops = []

    def save(self) -> None:
        if self.ops or not self.pages:
            self.showPage()
        for name, codes in self.codes.items():
            self._font(codes, *_FONT_OBJECTS[name])
        kids = b" ".join(str(n).encode() + b" 0 R" for n in self.pages)
        self._object(2, b"<< /Type /Pages /Count " + str(len(self.pages)).encode()
                     + b" /Kids [" + kids + b"] >>")
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        info = b" ".join(b"/" + key.encode() + b" " + _text_string(value)
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

    def _font(self, codes: _Codes, type0: int, cid_font: int, descriptor: int, font_file: int,
              to_unicode: int) -> None:
        """One font's objects, now that the glyphs drawn are known: the subset of its file,
        widths for codes 0 (.notdef) to the last one, the map back to characters."""
        face = codes.face
        subset = face.subset(codes.chars)
        # A subset's name: six capitals from what it holds, "+", the font's name.
        digest = hashlib.sha256(repr(codes.glyphs).encode()).digest()
        name = ("".join(chr(65 + byte % 26) for byte in digest[:6]) + "+" + face.name).encode()
        ref = b" 0 R"
        widths = b" ".join(_number(face.glyph_widths[glyph]) for glyph in [0, *codes.glyphs])
        self._object(type0, b"<< /Type /Font /Subtype /Type0 /BaseFont /" + name
                     + b" /Encoding /Identity-H /DescendantFonts [" + str(cid_font).encode()
                     + ref + b"] /ToUnicode " + str(to_unicode).encode() + ref + b" >>")
        self._object(cid_font, b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /" + name
                     + b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0"
                     b" >> /FontDescriptor " + str(descriptor).encode() + ref
                     + b" /DW " + _number(face.glyph_widths[0]) + b" /W [0 [" + widths
                     + b"]] /CIDToGIDMap /Identity >>")
        font = face.file
        self._object(descriptor, b"<< /Type /FontDescriptor /FontName /" + name
                     + b" /Flags " + str(font.flags).encode() + b" /FontBBox ["
                     + b" ".join(_number(v) for v in font.bbox) + b"] /ItalicAngle "
                     + _number(font.italicAngle) + b" /Ascent " + _number(font.ascent)
                     + b" /Descent " + _number(font.descent) + b" /CapHeight "
                     + _number(font.capHeight) + b" /StemV " + str(font.stemV).encode()
                     + b" /FontFile2 " + str(font_file).encode() + ref + b" >>")
        self._object(font_file, _stream(b"/Length1 " + str(len(subset)).encode(), subset))
        self._object(to_unicode, _stream(b"", _to_unicode(codes.chars)))

    def _object(self, number: int, body: bytes) -> None:
        self.offsets[number] = self.file.tell()
        self._write(str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n")

    def _write(self, data: bytes) -> None:
        self.file.write(data)

    def __del__(self) -> None:  # a failed export still closes its file
        file: Any = getattr(self, "file", None)
        if file is not None and not file.closed:
            file.close()
