"""A reseller's branding (seeds: Marque): the logo and favicon its subscribers see (an https
URL, or an image uploaded as a data: URL and served by the gateway), its colours and its
technical support email and phone.

Uploaded images are checked by what their bytes are, not by what they claim (SVG is refused:
it can carry scripts), kept small, and served under a URL naming their digest.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from tortoise.transactions import in_transaction

from gateway.contributions import Principal
from gateway.i18n import Text
from gateway.identity import scoping
from gateway.identity.errors import ResellerErrorCode
from gateway.identity.models import Reseller, ResellerImage
from gateway.identity.resellers import Checks, clean_phone, normalize_email, require_staff
from gateway.problems import Field, Problem

_COLOR = Text(en="Give the colour as #RRGGBB, e.g. #1A73E8.",
              fr="Indiquez la couleur sous la forme #RRGGBB, par exemple #1A73E8.")
_URL = Text(
    en="Give an https:// address or an uploaded image (a data: URL).",
    fr="Indiquez une adresse https:// ou une image téléversée (une URL data:).",
)
_IMAGE = Text(
    en="The image must be one of: {types}, and its content must match its type.",
    fr="L'image doit être de l'un de ces types : {types}, et son contenu doit correspondre à "
    "son type.",
)
_IMAGE_SIZE = Text(en="The image must be at most {kb} KB.",
                   fr="L'image doit faire au plus {kb} Ko.")
_COLOR_SHAPE = re.compile(r"^#[0-9A-Fa-f]{6}$")

IMAGE_KINDS = ("logo", "favicon")
IMAGE_TYPES = {
    "logo": ("image/png", "image/jpeg", "image/gif", "image/webp"),
    "favicon": ("image/png", "image/x-icon", "image/gif"),
}
# Small on purpose: they travel inside a GraphQL request and are served from the database.
IMAGE_MAX_BYTES = {"logo": 256 * 1024, "favicon": 64 * 1024}
MAX_URL = 2000
_DATA_URL = re.compile(r"^data:(?P<type>[a-z]+/[a-z0-9.+-]+);base64,(?P<data>.*)$",
                       re.DOTALL | re.IGNORECASE)
_TYPE_ALIASES = {"image/vnd.microsoft.icon": "image/x-icon", "image/jpg": "image/jpeg"}
_IMAGE_FIELDS = {"logo": "logo", "favicon": "favicon"}


def _color(value: str | None, field: Field) -> str | None:
    if value is None or not value.strip():
        return None
    if not _COLOR_SHAPE.match(value.strip()):
        raise Problem(ResellerErrorCode.INVALID_COLOR, _COLOR, field)
    return value.strip().upper()


def _sniff(data: bytes) -> str | None:
    """The image type the bytes really are (the declared type is not trusted)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"\x00\x00\x01\x00"):
        return "image/x-icon"
    return None


@dataclass(frozen=True)
class Image:
    content_type: str
    data: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _image_or_url(kind: str, value: str | None) -> Image | str | None:
    """A logo or favicon: None (remove it), an https URL, or a data: URL (an upload), checked
    for type (sniffed from the bytes; SVG is refused, it can carry scripts) and size."""
    field = ["input", _IMAGE_FIELDS[kind]]
    if value is None or not value.strip():
        return None
    value = value.strip()
    allowed = IMAGE_TYPES[kind]
    types = ", ".join(t.removeprefix("image/").upper() for t in allowed)
    match = _DATA_URL.match(value)
    if match is None:
        parts = urlsplit(value)
        if (parts.scheme != "https" or not parts.hostname or len(value) > MAX_URL
                or any(c.isspace() or c in "\"'<>\\" or ord(c) < 32 for c in value)):
            raise Problem(ResellerErrorCode.INVALID_URL, _URL, field)
        return value
    declared = match["type"].lower()
    declared = _TYPE_ALIASES.get(declared, declared)
    encoded = "".join(match["data"].split())
    limit = IMAGE_MAX_BYTES[kind]
    if len(encoded) * 3 // 4 > limit + 3:  # refuse before decoding a huge string
        raise Problem(ResellerErrorCode.IMAGE_TOO_LARGE, _IMAGE_SIZE, field,
                           kb=limit // 1024)
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise Problem(ResellerErrorCode.INVALID_IMAGE, _IMAGE, field, types=types) from None
    if len(data) > limit:
        raise Problem(ResellerErrorCode.IMAGE_TOO_LARGE, _IMAGE_SIZE, field,
                           kb=limit // 1024)
    sniffed = _sniff(data)
    if sniffed is None or declared not in allowed or sniffed != declared:
        raise Problem(ResellerErrorCode.INVALID_IMAGE, _IMAGE, field, types=types)
    return Image(content_type=sniffed, data=data)


@dataclass(frozen=True)
class Branding:
    """What subscribers see of their reseller: its name, images, colours and support."""

    reseller_name: str
    logo_url: str | None
    favicon_url: str | None
    primary_color: str | None
    secondary_color: str | None
    support_email: str | None
    support_phone: str | None


BRANDING_PATH = "/branding"


def image_url(public_url: str, reseller_id: int, kind: str, stored: Mapping[str, Any] | None
              ) -> str | None:
    """The URL of a stored logo or favicon: the https URL given, or the gateway's route for an
    upload, naming the image's digest (a new image is a new URL, so caches may keep it)."""
    if not stored:
        return None
    if stored.get("url"):
        return str(stored["url"])
    if stored.get("digest"):
        return f"{public_url.rstrip('/')}{BRANDING_PATH}/{reseller_id}/{kind}/{stored['digest']}"
    return None


def branding_of(reseller_id: int, name: str, stored: Mapping[str, Any] | None, public_url: str
                ) -> Branding:
    stored = stored or {}
    return Branding(
        reseller_name=name,
        logo_url=image_url(public_url, reseller_id, "logo", stored.get("logo")),
        favicon_url=image_url(public_url, reseller_id, "favicon", stored.get("favicon")),
        primary_color=stored.get("primary_color"),
        secondary_color=stored.get("secondary_color"),
        support_email=stored.get("support_email"),
        support_phone=stored.get("support_phone"),
    )


async def branding_for(principal: Principal | None, reseller_id: int | None, public_url: str
                       ) -> Branding | None:
    """The branding of a reseller the caller sees (subscribers see their own reseller's)."""
    if reseller_id is None:
        return None
    rows = await scoping.resellers_visible(principal).filter(id=reseller_id).values(
        "id", "name", "branding")
    if not rows:
        return None
    return branding_of(rows[0]["id"], rows[0]["name"], rows[0]["branding"], public_url)


async def update_branding(principal: Principal, changes: Mapping[str, Any]) -> Reseller:
    """Marque: logo and favicon (https URL or uploaded image), colours (#RRGGBB) and the
    support email and phone shown to subscribers. ``changes`` holds the fields given; None
    removes one."""
    reseller = await Reseller.get(id=require_staff(principal))
    images, values = _checked(changes, reseller.country)
    branding = dict(reseller.branding or {})
    async with in_transaction():
        for kind, image in images.items():
            await ResellerImage.filter(reseller_id=reseller.id, kind=kind).delete()
            if isinstance(image, Image):
                await ResellerImage.create(reseller_id=reseller.id, kind=kind,
                                           content_type=image.content_type,
                                           digest=image.digest, data=image.data)
                branding[kind] = {"digest": image.digest, "content_type": image.content_type}
            elif image:
                branding[kind] = {"url": image}
            else:
                branding.pop(kind, None)
        for key, value in values.items():
            if value is None:
                branding.pop(key, None)
            else:
                branding[key] = value
        reseller.branding = branding
        await reseller.save(update_fields=["branding", "updated_at"])
    return reseller


def _checked(changes: Mapping[str, Any], country: str
             ) -> tuple[dict[str, Image | str | None], dict[str, Any]]:
    """The new images and other values of a branding change, every problem reported at once."""
    check = Checks()
    images = {kind: check(_image_or_url, kind, changes[kind])
              for kind in IMAGE_KINDS if kind in changes}
    values: dict[str, Any] = {}
    for key, field in (("primary_color", "primaryColor"), ("secondary_color", "secondaryColor")):
        if key in changes:
            values[key] = check(_color, changes[key], ["input", field])
    if "support_email" in changes:
        given = changes["support_email"]
        values["support_email"] = (
            check(normalize_email, given, ["input", "supportEmail"])
            if given and given.strip() else None
        )
    if "support_phone" in changes:
        values["support_phone"] = check(clean_phone, changes["support_phone"],
                                        ["input", "supportPhone"], country)
    check.done()
    return images, values


async def branding_image(request: Request) -> Response:
    """GET /branding/{reseller}/{kind}/{digest}: an uploaded logo or favicon. The URL names the
    image's digest, so it cannot be guessed from a reseller id and never changes content."""
    kind = request.path_params["kind"]
    digest = request.path_params["digest"]
    if kind not in IMAGE_KINDS or not re.fullmatch(r"[0-9a-f]{64}", digest):
        return Response(status_code=404)
    row = await ResellerImage.filter(
        reseller_id=request.path_params["reseller_id"], kind=kind, digest=digest
    ).first()
    if row is None:
        return Response(status_code=404)
    return Response(
        bytes(row.data),
        media_type=row.content_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def branding_routes() -> list[Any]:
    from starlette.routing import Route

    return [Route(BRANDING_PATH + "/{reseller_id:int}/{kind}/{digest}", branding_image,
                  methods=["GET"])]


