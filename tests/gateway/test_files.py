"""gateway/files.py: a user file's declared type checked by its magic bytes, and the headers
every route serving user files sends (issue 15, item 12)."""

from __future__ import annotations

import pytest

from gateway import api
from gateway.files import known_media_types, matches_media_type, safe_file_headers

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt "


@pytest.mark.parametrize(("media_type", "content"), [
    ("audio/wav", WAV), ("audio/x-wav", b"RF64\xff\xff\xff\xffWAVE"),
    ("audio/mpeg", b"ID3\x03\x00"), ("audio/mpeg", b"\xff\xfb\x90\x64"),
    ("audio/mpeg", b"\xff\xf3\x48\xc4"), ("audio/ogg", b"OggS\x00\x02"),
    ("application/pdf", b"%PDF-1.4\n"), ("image/tiff", b"II*\x00"), ("image/tiff", b"MM\x00*"),
    ("image/png", b"\x89PNG\r\n\x1a\n\x00"), ("image/jpeg", b"\xff\xd8\xff\xe0"),
    ("image/gif", b"GIF89a"), ("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 "),
    ("image/x-icon", b"\x00\x00\x01\x00\x01\x00"),
    ("AUDIO/WAV; codecs=1", WAV),  # parameters and case do not matter
])
def test_a_file_of_its_declared_type_matches(media_type: str, content: bytes) -> None:
    assert matches_media_type(content, media_type)


@pytest.mark.parametrize(("media_type", "content"), [
    ("audio/wav", b"<html><script>alert(1)</script>"), ("audio/wav", b"RIFF\x00\x00\x00\x00AVI "),
    ("audio/mpeg", b"\xff\xe9\x00\x00"),  # sync bits, but the reserved version
    ("audio/mpeg", b"\xff\xf1\x50\x80"),  # AAC (ADTS), layer 0: not MPEG audio
    ("audio/mpeg", b"%PDF-1.4"), ("audio/ogg", WAV), ("application/pdf", b" %PDF-1.4"),
    ("application/pdf", b"<svg onload=alert(1)>"), ("image/tiff", b"II\x2a"),
    ("image/png", b"\x89PNG"), ("image/svg+xml", b"<svg/>"), ("text/html", b"<html>"),
    ("audio/wav", b""), ("", WAV),
])
def test_anything_else_does_not(media_type: str, content: bytes) -> None:
    assert not matches_media_type(content, media_type)


def test_the_checkable_types_and_the_safe_headers() -> None:
    assert {"audio/wav", "audio/mpeg", "audio/ogg", "application/pdf", "image/tiff"} <= (
        known_media_types())
    headers = safe_file_headers()
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    more = safe_file_headers(**{"Cache-Control": "no-store"})
    assert more["Cache-Control"] == "no-store" and more["X-Content-Type-Options"] == "nosniff"
    assert safe_file_headers() == headers  # each call a fresh dict: callers may change theirs
    assert api.safe_file_headers is safe_file_headers
    assert api.matches_media_type is matches_media_type


async def test_read_body_stops_at_its_limit() -> None:
    """A route reading its body itself gets it whole within the limit, None past it: a
    declared length is refused before reading, a chunked body as soon as it passes."""
    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from gateway.files import read_body

    async def echo(request: Request) -> PlainTextResponse:
        body = await read_body(request, 10)
        return PlainTextResponse("too big" if body is None else body.decode(),
                                 status_code=413 if body is None else 200)

    app = Starlette(routes=[Route("/", echo, methods=["POST"])])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        assert (await client.post("/", content=b"0123456789")).text == "0123456789"
        assert (await client.post("/", content=b"0123456789A")).status_code == 413

        async def chunks():  # no Content-Length: read until it passes the limit
            for _ in range(5):
                yield b"abcd"

        assert (await client.post("/", content=chunks())).status_code == 413
    assert "read_body" in api.__all__
