"""HTML to PDF with xhtml2pdf, for jobs only: a long document takes seconds of CPU.

Text is set in DejaVu Sans, the TrueType family shipped in ``gateway/fonts`` (with its licence),
and embedded in every file: accents, « guillemets », œ, €, ’ and names in Greek, Cyrillic,
Hebrew, Arabic, Georgian, Armenian… letters print the same on every machine, with nothing to
install. Use the ``"Gateway Sans"`` family name in your own CSS, or nothing: it is the default
(``"Gateway Unicode"`` names the same family). Scripts DejaVu has no glyphs for (Chinese,
Japanese, Korean) print as blanks.

The HTML cannot make the renderer fetch anything from the network, nor read files outside
the font folder and the ``base_dir`` the caller names (for a logo, say).
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

FONT_FAMILY = "Gateway Sans"
UNICODE_FONT_FAMILY = "Gateway Unicode"
FONTS_DIR = Path(__file__).resolve().parent / "fonts"
_FACES = (("DejaVuSans.ttf", "normal", "normal"), ("DejaVuSans-Bold.ttf", "bold", "normal"),
          ("DejaVuSans-Oblique.ttf", "normal", "italic"),
          ("DejaVuSans-BoldOblique.ttf", "bold", "italic"))

# Narrow no-break spaces (French thousands separator, before « » ; : ! ?): a plain no-break
# space keeps the same line-breaking rule and measures the same in every viewer.
_SPACES = str.maketrans({"\u202f": "\u00a0", "\u2007": "\u00a0"})


class PdfError(RuntimeError):
    """xhtml2pdf could not render the document."""


def _font_css() -> str:
    rules = [
        f'@font-face {{ font-family: "{family}"; src: url("{(FONTS_DIR / name).as_posix()}"); '
        f"font-weight: {weight}; font-style: {style}; }}"
        for family in (FONT_FAMILY, UNICODE_FONT_FAMILY)
        for name, weight, style in _FACES
    ]
    rules.append(f'html, body, p, td, th, li, h1, h2, h3, h4, h5, h6, div, span {{ '
                 f'font-family: "{FONT_FAMILY}"; }}')
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
            default_css=DEFAULT_CSS + "\n" + _font_css(),
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
