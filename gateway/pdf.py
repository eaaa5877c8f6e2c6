"""HTML to PDF with xhtml2pdf, for jobs only: a long document takes seconds of CPU.

Text is set in Bitstream Vera, the TrueType family that ships inside ReportLab, so accents,
« guillemets », œ and € render the same on every machine and are embedded in the file. Use the
``"Gateway Sans"`` family name in your own CSS, or nothing: it is the default.

The HTML cannot make the renderer fetch anything from the network, nor read files outside
the font folder and the ``base_dir`` the caller names (for a logo, say).
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

FONT_FAMILY = "Gateway Sans"

# Narrow no-break spaces (French thousands separator, before « » ; : ! ?) are not in Vera; a
# plain no-break space keeps the same line-breaking rule.
_SPACES = str.maketrans({"\u202f": "\u00a0", "\u2007": "\u00a0"})


class PdfError(RuntimeError):
    """xhtml2pdf could not render the document."""


def _fonts_dir() -> Path:
    import reportlab

    return Path(reportlab.__file__).resolve().parent / "fonts"


def _font_css(fonts: Path) -> str:
    faces = [
        ("Vera.ttf", "normal", "normal"),
        ("VeraBd.ttf", "bold", "normal"),
        ("VeraIt.ttf", "normal", "italic"),
        ("VeraBI.ttf", "bold", "italic"),
    ]
    rules = [
        f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{(fonts / name).as_posix()}"); '
        f"font-weight: {weight}; font-style: {style}; }}"
        for name, weight, style in faces
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

    fonts = _fonts_dir()
    policy = ResourceAccessPolicy.server(
        base_dir=base_dir,
        extra_roots=(fonts,),
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
            default_css=DEFAULT_CSS + "\n" + _font_css(fonts),
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
