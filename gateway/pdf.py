"""HTML to PDF with xhtml2pdf, for jobs only: a long document takes seconds of CPU.

Text is set in DejaVu Sans, the TrueType family shipped in ``gateway/fonts`` (with its licence),
and embedded in every file: accents, « guillemets », œ, €, ’ and names in Greek, Cyrillic,
Hebrew, Arabic, Georgian, Armenian… letters print the same on every machine, with nothing to
install. Characters DejaVu has no glyph for (Chinese ideographs, Japanese kana, Korean Hangul)
are set in Droid Sans Fallback, shipped beside it (Apache-2.0): the default font is the CSS
stack :data:`FONT_STACK`, and xhtml2pdf cuts each text into runs, each run in the first face of
the stack that has all its characters. Arabic is shaped (joined letters) and Arabic and Hebrew
are laid out in their visual order (xhtml2pdf's own bidirectional algorithm and
arabic-reshaper). Name nothing in your own CSS to get all this; a rule that must name a font
should name the whole stack (``font-family: {FONT_STACK}``), since naming ``"Gateway Sans"``
or ``"Gateway Unicode"`` (the same DejaVu family) alone prints CJK blank.

The HTML cannot make the renderer fetch anything from the network, nor read files outside
the font folder and the ``base_dir`` the caller names (for a logo, say).
"""

from __future__ import annotations

import asyncio
import html as html_entities
import io
import re
from pathlib import Path

FONT_FAMILY = "Gateway Sans"
UNICODE_FONT_FAMILY = "Gateway Unicode"
#: The family of the fallback face: CJK characters (DejaVu has none).
CJK_FONT_FAMILY = "Gateway CJK"
#: The font-family value every PDF text uses: DejaVu first, the CJK fallback for what it lacks.
FONT_STACK = f'"{FONT_FAMILY}", "{CJK_FONT_FAMILY}"'
FONTS_DIR = Path(__file__).resolve().parent / "fonts"
_FACES = (("DejaVuSans.ttf", "normal", "normal"), ("DejaVuSans-Bold.ttf", "bold", "normal"),
          ("DejaVuSans-Oblique.ttf", "normal", "italic"),
          ("DejaVuSans-BoldOblique.ttf", "bold", "italic"))
# One face only: bold and italic CJK print upright and regular rather than blank.
_CJK_FACE = "DroidSansFallback.ttf"
# What the fallback is for: Hangul Jamo, CJK radicals to Yi (kana, ideographs, bopomofo…),
# Hangul syllables, compatibility ideographs and forms, full-width forms, the supplementary
# ideographs. Loading the face costs ~2 s once per process, so a document without any of these
# does not (the stack is then DejaVu alone, which has everything else the fallback has).
_CJK = re.compile("[\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f"
                  "\uff00-\uffef\U00020000-\U0003ffff]")

# Narrow no-break spaces (French thousands separator, before « » ; : ! ?): a plain no-break
# space keeps the same line-breaking rule and measures the same in every viewer.
_SPACES = str.maketrans({"\u202f": "\u00a0", "\u2007": "\u00a0"})


class PdfError(RuntimeError):
    """xhtml2pdf could not render the document."""


def _needs_cjk(document: str) -> bool:
    """Whether the document has a character only the fallback face draws (entities included)."""
    return _CJK.search(document) is not None or (
        "&#" in document and _CJK.search(html_entities.unescape(document)) is not None)


def _font_css(cjk: bool = True) -> str:
    faces = [(family, name, weight, style)
             for family in (FONT_FAMILY, UNICODE_FONT_FAMILY)
             for name, weight, style in _FACES]
    if cjk:
        faces += [(CJK_FONT_FAMILY, _CJK_FACE, weight, style) for _, weight, style in _FACES]
    rules = [
        f'@font-face {{ font-family: "{family}"; src: url("{(FONTS_DIR / name).as_posix()}"); '
        f"font-weight: {weight}; font-style: {style}; }}"
        for family, name, weight, style in faces
    ]
    stack = FONT_STACK if cjk else f'"{FONT_FAMILY}"'
    rules.append("html, body, p, td, th, li, h1, h2, h3, h4, h5, h6, div, span, b, i, strong, em "
                 f"{{ font-family: {stack}; }}")
    return "\n".join(rules)


def render_pdf(html: str, *, base_dir: Path | None = None) -> bytes:
    """Render an HTML document (xhtml2pdf's CSS subset) to PDF bytes.

    ``base_dir``: a folder the document may read images from (relative paths resolve there).
    Run it in a job; from async code, ``await render_pdf_async(html)`` keeps the loop free.
    """
    # Lazily: importing xhtml2pdf costs ~0.4 s, which no request and no start-up should pay.
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy
    from xhtml2pdf.default import DEFAULT_CSS

    policy = ResourceAccessPolicy.server(
        base_dir=base_dir,
        extra_roots=(FONTS_DIR,),
        allow_remote=False,
        # Room for a thousand-row report, still a bound on a runaway document.
        max_render_seconds=300,
    )
    out = io.BytesIO()
    try:
        status = pisa.CreatePDF(
            html.translate(_SPACES),
            dest=out,
            path=str(base_dir / "document.html") if base_dir else "",
            default_css=DEFAULT_CSS + "\n" + _font_css(_needs_cjk(html)),
            encoding="utf-8",
            resource_policy=policy,
        )
    except Exception as exc:
        raise PdfError(f"the PDF could not be rendered: {exc}") from exc
    if status.err:
        raise PdfError(f"the PDF could not be rendered ({status.err} error(s); see the log)")
    return out.getvalue()


async def render_pdf_async(html: str, *, base_dir: Path | None = None) -> bytes:
    """:func:`render_pdf` in a thread, so other jobs and requests on this loop go on meanwhile
    (xhtml2pdf renders one document at a time per process)."""
    return await asyncio.to_thread(render_pdf, html, base_dir=base_dir)
