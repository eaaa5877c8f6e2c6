"""User files, received and served safely (issue 15, item 12).

Received: a body a route reads itself is bounded (:func:`read_body`), and a file's declared
type is checked against its first bytes (its "magic"), so that a "voicemail" cannot be an HTML
page or a script: :func:`matches_media_type`.

Served: every response carrying a file that came from user data (uploads, recordings, exports,
images) sends :func:`safe_file_headers`: the browser must not guess another type than the one
declared (``nosniff``), and a file opened on its own runs in a sandbox with nothing allowed
(no script, no form, no plugin, no request of its own), so that a file that slipped through
cannot act with the gateway's origin. Loading the file from a page (``<audio src>``,
``<img src>``, a download) is not affected: a response's CSP only governs the file opened as
a document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.requests import Request

# The headers of every file served from user data.
SAFE_FILE_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    # The URL of a file is often a signed token: never hand it to a site the file links to.
    "Referrer-Policy": "no-referrer",
}


def safe_file_headers(**extra: str) -> dict[str, str]:
    """The headers a response serving a user file sends, with ``extra`` ones (e.g.
    ``{"Cache-Control": "no-store"}``, passed as a dict: ``safe_file_headers(**{...})``)
    added; a name given in ``extra`` replaces the default of the same name."""
    headers = dict(SAFE_FILE_HEADERS)
    headers.update(extra)
    return headers


# --- Magic bytes ---------------------------------------------------------------------------

def _wav(head: bytes) -> bool:
    return head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE"


def _mpeg(head: bytes) -> bool:
    """An MPEG audio stream: an ID3v2 tag, or a frame header (11 sync bits, a known version
    and a layer)."""
    if head[:3] == b"ID3":
        return True
    if len(head) < 2 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    return version != 0b01 and layer != 0b00


def _ogg(head: bytes) -> bool:
    return head[:4] == b"OggS"


def _pdf(head: bytes) -> bool:
    return head[:5] == b"%PDF-"


def _tiff(head: bytes) -> bool:
    return head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def _png(head: bytes) -> bool:
    return head[:8] == b"\x89PNG\r\n\x1a\n"


def _jpeg(head: bytes) -> bool:
    return head[:3] == b"\xff\xd8\xff"


def _gif(head: bytes) -> bool:
    return head[:6] in (b"GIF87a", b"GIF89a")


def _webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _ico(head: bytes) -> bool:
    return head[:4] == b"\x00\x00\x01\x00"


_CHECKS: dict[str, Callable[[bytes], bool]] = {
    "audio/wav": _wav, "audio/x-wav": _wav, "audio/wave": _wav, "audio/vnd.wave": _wav,
    "audio/mpeg": _mpeg, "audio/mp3": _mpeg,
    "audio/ogg": _ogg, "application/ogg": _ogg,
    "application/pdf": _pdf,
    "image/tiff": _tiff,
    "image/png": _png, "image/jpeg": _jpeg, "image/gif": _gif, "image/webp": _webp,
    "image/x-icon": _ico, "image/vnd.microsoft.icon": _ico,
}
# How many first bytes the checks read.
HEAD_BYTES = 16


def known_media_types() -> frozenset[str]:
    """The media types :func:`matches_media_type` can check."""
    return frozenset(_CHECKS)


def matches_media_type(content: bytes, media_type: str) -> bool:
    """Whether ``content`` starts as a file of ``media_type`` does (parameters such as
    ``; charset=`` and the case are ignored). A type this module cannot check (text, SVG,
    anything not in :func:`known_media_types`) never matches: accept only checkable types."""
    check = _CHECKS.get(media_type.split(";")[0].strip().lower())
    return check is not None and check(bytes(content[:HEAD_BYTES]))


async def read_body(request: Request, limit: int) -> bytes | None:
    """A request's body, or None as soon as it passes ``limit``
    bytes: a route reading a body itself never holds more than it accepts. A declared
    ``Content-Length`` beyond the limit is refused before anything is read."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            return None
    return bytes(body)
