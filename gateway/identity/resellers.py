"""Resellers and their own settings (seeds: Paramètres), without GraphQL.

- A system admin creates a reseller with its primary admin, who gets their login id and a
  set-password link by email, in the same transaction (outbox); the phone system and default
  provider are set by a system admin only.
- The reseller's staff edit its general information (the CAN never changes), their own
  account-administrator details (email = login id), and the branding its subscribers see.
- Administrators: exactly one primary admin, and delegates chosen among the company admins of
  the reseller's accounts; only the reseller admin adds or removes them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from starlette.requests import Request
from starlette.responses import Response
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gateway.contributions import Principal
from gateway.i18n import LANGUAGES, Text
from gateway.identity.auth import Rejected
from gateway.identity.codes import new_can
from gateway.identity.models import (
    Account,
    BillingStatus,
    OneTimeTokenPurpose,
    Reseller,
    ResellerDelegate,
    ResellerImage,
    User,
    UserRole,
)
from gateway.identity.types import ACCOUNT_COLUMNS, USER_COLUMNS
from schema.errors import PayloadError
from schema.permissions import RESELLER_STAFF, Role
from schema.scalars import normalize_phone_number
from schema.validation import (
    INVALID_COUNTRY,
    INVALID_EMAIL,
    INVALID_LANGUAGE,
    INVALID_PHONE,
    REQUIRED,
    TOO_LONG,
    is_email,
)

log = logging.getLogger("gateway.identity")

DEFAULT_LANGUAGE = "fr"


class ResellerErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_LANGUAGE = "INVALID_LANGUAGE"
    INVALID_COUNTRY = "INVALID_COUNTRY"
    INVALID_EMAIL = "INVALID_EMAIL"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_PHONE = "INVALID_PHONE"
    INVALID_COLOR = "INVALID_COLOR"
    INVALID_URL = "INVALID_URL"
    INVALID_IMAGE = "INVALID_IMAGE"
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
    ALREADY_DELEGATE = "ALREADY_DELEGATE"
    DIRECT_ACCESS_FORBIDDEN = "DIRECT_ACCESS_FORBIDDEN"


RESELLER_NOT_FOUND = Text(en="No such reseller.", fr="Ce revendeur n'existe pas.")
USER_NOT_FOUND = Text(en="No such user.", fr="Cet utilisateur n'existe pas.")
_NOT_A_CANDIDATE = Text(
    en="Only an active company administrator of one of your accounts can be a delegated "
    "administrator.",
    fr="Seul un administrateur-entreprise actif de l'un de vos comptes peut être administrateur "
    "délégué.",
)
_NOT_A_DELEGATE = Text(en="This user is not one of your delegated administrators.",
                       fr="Cet utilisateur n'est pas l'un de vos administrateurs délégués.")
_ALREADY_DELEGATE = Text(en="This user is already a delegated administrator.",
                         fr="Cet utilisateur est déjà administrateur délégué.")
_EMAIL_TAKEN = Text(
    en="This email address is already the login id or email of another person.",
    fr="Cette adresse courriel est déjà l'identifiant ou le courriel d'une autre personne.",
)
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
_IN_DIRECT_ACCESS = Text(
    en="Access codes cannot be changed while accessing an account directly. End the direct "
    "access first.",
    fr="Les codes d'accès ne peuvent pas être modifiés pendant un accès direct à un compte. "
    "Terminez d'abord l'accès direct.",
)
_NOT_STAFF = Text(en="Only the reseller's administrators can do this.",
                  fr="Seuls les administrateurs du revendeur peuvent faire ceci.")


# ---- validation ----------------------------------------------------------------------------

_COLOR_SHAPE = re.compile(r"^#[0-9A-Fa-f]{6}$")


class _Problems:
    """Collects every problem of one input, so a form shows them all at once."""

    def __init__(self) -> None:
        self.errors: list[PayloadError] = []

    def check(self, rule: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return rule(*args, **kwargs)
        except PayloadError as error:
            self.errors.append(error)
            return None

    def raise_any(self) -> None:
        if self.errors:
            raise Rejected(self.errors)


def _text(value: str | None, field: list[str], *, max_length: int, required: bool = False
          ) -> str:
    cleaned = " ".join((value or "").split())
    if required and not cleaned:
        raise PayloadError(ResellerErrorCode.REQUIRED, REQUIRED, field)
    if len(cleaned) > max_length:
        raise PayloadError(ResellerErrorCode.TOO_LONG, TOO_LONG, field, max=max_length)
    return cleaned


def _language(value: str | None, field: list[str]) -> str:
    code = (value or "").strip().lower()
    if code not in LANGUAGES:
        raise PayloadError(ResellerErrorCode.INVALID_LANGUAGE, INVALID_LANGUAGE, field)
    return code


def _country(value: str | None, field: list[str]) -> str:
    code = (value or "").strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise PayloadError(ResellerErrorCode.INVALID_COUNTRY, INVALID_COUNTRY, field)
    return code


def normalize_email(value: str | None, field: list[str]) -> str:
    """An email address, lower-case (logins and emails are stored so); else INVALID_EMAIL."""
    address = (value or "").strip().lower()
    if not address:
        raise PayloadError(ResellerErrorCode.REQUIRED, REQUIRED, field)
    if not is_email(address):
        raise PayloadError(ResellerErrorCode.INVALID_EMAIL, INVALID_EMAIL, field)
    return address


def _phone(value: str | None, field: list[str], region: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return normalize_phone_number(value, region or "CA")
    except ValueError:
        raise PayloadError(ResellerErrorCode.INVALID_PHONE, INVALID_PHONE, field) from None


def _color(value: str | None, field: list[str]) -> str | None:
    if value is None or not value.strip():
        return None
    if not _COLOR_SHAPE.match(value.strip()):
        raise PayloadError(ResellerErrorCode.INVALID_COLOR, _COLOR, field)
    return value.strip().upper()


async def _email_taken(address: str, except_user_id: int | None = None) -> bool:
    query = User.filter(Q(login=address) | Q(email=address))
    if except_user_id is not None:
        query = query.exclude(id=except_user_id)
    return await query.exists()


def default_language_for(reseller: Reseller) -> str:
    """The language a new subscriber of ``reseller`` gets (seeds: Informations générales >
    Langue): the reseller's default language."""
    language = (reseller.default_language or "").lower()
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


# ---- creation and the phone system (system admins) -----------------------------------------

@dataclass(frozen=True)
class NewAdmin:
    email: str
    first_name: str
    last_name: str
    language: str
    phone: str | None = None


@dataclass(frozen=True)
class NewReseller:
    name: str
    default_language: str
    admin: NewAdmin
    spid: str | None = None
    address: str = ""
    city: str = ""
    country: str = "CA"
    state: str = ""
    postal_code: str = ""
    phone_system: str = ""
    default_provider: str = ""


async def _fresh_can() -> str:
    """A CAN no reseller has yet (the unique index still has the last word)."""
    while True:
        can = new_can()
        if not await Reseller.filter(can=can).exists():
            return can


async def create_reseller(new: NewReseller, *, gateway: Any = None) -> Reseller:
    """Create the reseller and its primary admin (role RESELLER_ADMIN, login = email) and email
    the admin their login id with a set-password link, all in one transaction. Raises
    :class:`Rejected` with every problem of the input."""
    from gateway.email import send_email
    from gateway.identity.links import LIFETIME, issue_password_link

    problems = _Problems()
    name = problems.check(_text, new.name, ["input", "name"], max_length=200, required=True)
    language = problems.check(_language, new.default_language, ["input", "defaultLanguage"])
    country = problems.check(_country, new.country or "CA", ["input", "country"])
    general = _general_values(problems, {
        "spid": new.spid, "address": new.address, "city": new.city, "state": new.state,
        "postal_code": new.postal_code,
    })
    phone_system = problems.check(_text, new.phone_system, ["input", "phoneSystem"],
                                  max_length=100)
    provider = problems.check(_text, new.default_provider, ["input", "defaultProvider"],
                              max_length=100)
    admin_field = ["input", "primaryAdmin"]
    email = problems.check(normalize_email, new.admin.email, [*admin_field, "email"])
    first_name = problems.check(_text, new.admin.first_name, [*admin_field, "firstName"],
                                max_length=100, required=True)
    last_name = problems.check(_text, new.admin.last_name, [*admin_field, "lastName"],
                               max_length=100, required=True)
    admin_language = problems.check(_language, new.admin.language, [*admin_field, "language"])
    phone = problems.check(_phone, new.admin.phone, [*admin_field, "phone"], country)
    if email and await _email_taken(email):
        problems.errors.append(
            PayloadError(ResellerErrorCode.EMAIL_TAKEN, _EMAIL_TAKEN, [*admin_field, "email"]))
    problems.raise_any()
    try:
        async with in_transaction():
            reseller = await Reseller.create(
                name=name, can=await _fresh_can(), default_language=language, country=country,
                phone_system=phone_system, default_provider=provider, **general,
            )
            admin = await User.create(
                role=UserRole.RESELLER_ADMIN, reseller=reseller, login=email, email=email,
                first_name=first_name, last_name=last_name, language=admin_language,
                phone=phone,
            )
            reseller.primary_admin = admin
            await reseller.save(update_fields=["primary_admin_id"])
            link = await issue_password_link(admin, OneTimeTokenPurpose.SET_PASSWORD,
                                             gateway=gateway)
            await send_email(
                to=admin.email, template="reseller_created", language=admin_language,
                values={"name": admin.full_name, "reseller_name": reseller.name,
                        "can": reseller.can, "login": admin.login, "link": link,
                        "days": LIFETIME[OneTimeTokenPurpose.SET_PASSWORD].days},
                gateway=gateway,
            )
    except IntegrityError:
        # Another request took the same email between the check and the insert.
        raise Rejected([PayloadError(ResellerErrorCode.EMAIL_TAKEN, _EMAIL_TAKEN,
                                     [*admin_field, "email"])]) from None
    log.info("reseller %s created with primary admin user %s", reseller.id, admin.id)
    return reseller


async def set_phone_system(reseller_id: int, phone_system: str, default_provider: str
                           ) -> Reseller:
    """A system admin sets the phone system (PBX) and default provider of a reseller (read-only
    for the reseller, seeds: Système téléphonique et fournisseur par défaut)."""
    reseller = await Reseller.get_or_none(id=reseller_id)
    if reseller is None:
        raise Rejected([PayloadError(ResellerErrorCode.NOT_FOUND, RESELLER_NOT_FOUND,
                                     ["input", "resellerId"])])
    problems = _Problems()
    system = problems.check(_text, phone_system, ["input", "phoneSystem"], max_length=100)
    provider = problems.check(_text, default_provider, ["input", "defaultProvider"],
                              max_length=100)
    problems.raise_any()
    reseller.phone_system, reseller.default_provider = system, provider
    await reseller.save(update_fields=["phone_system", "default_provider", "updated_at"])
    return reseller


# ---- the reseller's own settings (reseller admin and delegates) -----------------------------

def _require_staff(principal: Principal) -> int:
    if (principal.role not in RESELLER_STAFF or principal.direct_access
            or not principal.reseller_id):
        raise Rejected([PayloadError(ResellerErrorCode.NOT_FOUND, _NOT_STAFF)])
    return principal.reseller_id


async def reseller_of(principal: Principal | None) -> Reseller | None:
    """The reseller whose settings the caller manages (reseller admin or delegate), or None."""
    if (principal is None or principal.role not in RESELLER_STAFF or principal.direct_access
            or not principal.reseller_id):
        return None
    return await Reseller.get_or_none(id=principal.reseller_id)


_GENERAL_LIMITS = {"spid": 64, "address": 200, "city": 100, "state": 100, "postal_code": 20}
_GENERAL_FIELDS = {"spid": "spid", "address": "address", "city": "city", "state": "state",
                   "postal_code": "postalCode"}


def _general_values(problems: _Problems, values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        text = problems.check(_text, value, ["input", _GENERAL_FIELDS[key]],
                              max_length=_GENERAL_LIMITS[key])
        cleaned[key] = (text or None) if key == "spid" else (text or "")
    return cleaned


async def update_general_info(principal: Principal, changes: Mapping[str, Any]) -> Reseller:
    """Informations générales: SPID, name, default language for new subscribers and address.
    ``changes`` holds only the fields given (python names); the CAN is not one of them."""
    reseller_id = _require_staff(principal)
    problems = _Problems()
    values = _general_values(problems, {k: v for k, v in changes.items()
                                        if k in _GENERAL_LIMITS})
    if "name" in changes:
        values["name"] = problems.check(_text, changes["name"], ["input", "name"],
                                        max_length=200, required=True)
    if "default_language" in changes:
        values["default_language"] = problems.check(_language, changes["default_language"],
                                                    ["input", "defaultLanguage"])
    if "country" in changes:
        values["country"] = problems.check(_country, changes["country"], ["input", "country"])
    problems.raise_any()
    reseller = await Reseller.get(id=reseller_id)
    if values:
        for key, value in values.items():
            setattr(reseller, key, value)
        await reseller.save(update_fields=[*values, "updated_at"])
    return reseller


async def update_account_administrator(
    principal: Principal, changes: Mapping[str, Any], *, gateway: Any = None
) -> User:
    """Administrateur du compte: the signed-in reseller admin (or delegate) changes their own
    interface language, email (which is also their login id) and phone. Refused inside
    direct access: the login id is a credential."""
    if principal.direct_access:
        raise Rejected([PayloadError(ResellerErrorCode.DIRECT_ACCESS_FORBIDDEN,
                                     _IN_DIRECT_ACCESS)])
    reseller_id = _require_staff(principal)
    user = await User.get_or_none(id=principal.user_id) if principal.user_id else None
    if user is None:
        raise Rejected([PayloadError(ResellerErrorCode.NOT_FOUND, USER_NOT_FOUND)])
    reseller = await Reseller.get(id=reseller_id)
    problems = _Problems()
    values: dict[str, Any] = {}
    if "language" in changes:
        values["language"] = problems.check(_language, changes["language"],
                                            ["input", "language"])
    if "phone" in changes:
        values["phone"] = problems.check(_phone, changes["phone"], ["input", "phone"],
                                         reseller.country)
    email = None
    if "email" in changes:
        email = problems.check(normalize_email, changes["email"], ["input", "email"])
        if email and email != user.email and await _email_taken(email, user.id):
            problems.errors.append(PayloadError(ResellerErrorCode.EMAIL_TAKEN, _EMAIL_TAKEN,
                                                ["input", "email"]))
    problems.raise_any()
    old_email = user.email
    if email and email != user.email:
        # Seeds: the new address becomes the login id.
        values["email"] = values["login"] = email
    if not values:
        return user
    try:
        async with in_transaction():
            for key, value in values.items():
                setattr(user, key, value)
            await user.save(update_fields=[*values, "updated_at"])
            if "email" in values:
                await _tell_old_address(user, old_email, gateway)
    except IntegrityError:
        raise Rejected([PayloadError(ResellerErrorCode.EMAIL_TAKEN, _EMAIL_TAKEN,
                                     ["input", "email"])]) from None
    if "email" in values:
        log.info("user %s changed their login email", user.id)
    return user


async def _tell_old_address(user: User, old_email: str, gateway: Any) -> None:
    """A hijacked session must not quietly move the login elsewhere: the previous address
    hears of the change."""
    from gateway.email import send_email

    await send_email(
        to=old_email, template="login_email_changed",
        language=user.language if user.language in LANGUAGES else DEFAULT_LANGUAGE,
        values={"name": user.full_name, "new_email": user.email}, gateway=gateway,
    )


# ---- branding -------------------------------------------------------------------------------

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
            raise PayloadError(ResellerErrorCode.INVALID_URL, _URL, field)
        return value
    declared = match["type"].lower()
    declared = _TYPE_ALIASES.get(declared, declared)
    encoded = "".join(match["data"].split())
    limit = IMAGE_MAX_BYTES[kind]
    if len(encoded) * 3 // 4 > limit + 3:  # refuse before decoding a huge string
        raise PayloadError(ResellerErrorCode.IMAGE_TOO_LARGE, _IMAGE_SIZE, field,
                           kb=limit // 1024)
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise PayloadError(ResellerErrorCode.INVALID_IMAGE, _IMAGE, field, types=types) from None
    if len(data) > limit:
        raise PayloadError(ResellerErrorCode.IMAGE_TOO_LARGE, _IMAGE_SIZE, field,
                           kb=limit // 1024)
    sniffed = _sniff(data)
    if declared not in allowed or sniffed != declared:
        raise PayloadError(ResellerErrorCode.INVALID_IMAGE, _IMAGE, field, types=types)
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


async def update_branding(principal: Principal, changes: Mapping[str, Any]) -> Reseller:
    """Marque: logo and favicon (https URL or uploaded image), colours (#RRGGBB) and the
    support email and phone shown to subscribers. ``changes`` holds the fields given; None
    removes one."""
    reseller_id = _require_staff(principal)
    reseller = await Reseller.get(id=reseller_id)
    problems = _Problems()
    values: dict[str, Any] = {}
    images: dict[str, Image | str | None] = {}
    for kind in IMAGE_KINDS:
        if kind in changes:
            before = len(problems.errors)
            image = problems.check(_image_or_url, kind, changes[kind])
            if len(problems.errors) == before:
                images[kind] = image
    for key, field in (("primary_color", "primaryColor"), ("secondary_color", "secondaryColor")):
        if key in changes:
            values[key] = problems.check(_color, changes[key], ["input", field])
    if "support_email" in changes:
        given = changes["support_email"]
        values["support_email"] = (
            problems.check(normalize_email, given, ["input", "supportEmail"])
            if given and given.strip() else None
        )
    if "support_phone" in changes:
        values["support_phone"] = problems.check(_phone, changes["support_phone"],
                                                 ["input", "supportPhone"], reseller.country)
    problems.raise_any()
    branding = dict(reseller.branding or {})
    async with in_transaction():
        for kind, image in images.items():
            await ResellerImage.filter(reseller_id=reseller_id, kind=kind).delete()
            if isinstance(image, Image):
                await ResellerImage.create(reseller_id=reseller_id, kind=kind,
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


# ---- administrators -------------------------------------------------------------------------

@dataclass(frozen=True)
class Administrator:
    """The primary admin or a delegate (seeds: user code prefix, then the name)."""

    user: dict[str, Any]  # USER_COLUMNS
    account: dict[str, Any] | None  # ACCOUNT_COLUMNS: the delegate's company
    is_primary: bool
    granted_at: Any = None

    @property
    def user_code(self) -> str:
        return str(self.user["id"])

    @property
    def label(self) -> str:
        name = f"{self.user['first_name']} {self.user['last_name']}".strip()
        return f"{self.user_code} - {name or self.user['login']}"


async def _accounts_by_id(ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = await Account.filter(id__in=ids).values(*ACCOUNT_COLUMNS)
    return {row["id"]: row for row in rows}


async def administrators(reseller_id: int) -> list[Administrator]:
    """The primary admin first (exactly one), then the delegates in the order they were
    added. Three queries whatever their number."""
    reseller = await Reseller.filter(id=reseller_id).values("primary_admin_id")
    delegations = await ResellerDelegate.filter(reseller_id=reseller_id).order_by(
        "created_at", "id").values("user_id", "created_at")
    primary_id = reseller[0]["primary_admin_id"] if reseller else None
    ids = {d["user_id"] for d in delegations} | ({primary_id} if primary_id else set())
    users = {row["id"]: row for row in await User.filter(id__in=ids).values(*USER_COLUMNS)}
    accounts = await _accounts_by_id({u["account_id"] for u in users.values()
                                      if u["account_id"]})
    result = []
    if primary_id in users:
        result.append(Administrator(user=users[primary_id], account=None, is_primary=True))
    for delegation in delegations:
        user = users.get(delegation["user_id"])
        if user is not None:
            result.append(Administrator(user=user, account=accounts.get(user["account_id"]),
                                        is_primary=False, granted_at=delegation["created_at"]))
    return result


async def _candidates(reseller_id: int) -> Any:
    """Company admins of the reseller's live accounts who are not delegates yet."""
    delegates = await ResellerDelegate.filter(reseller_id=reseller_id).values_list(
        "user_id", flat=True)
    query = User.filter(
        reseller_id=reseller_id, role=UserRole.COMPANY_ADMIN, is_active=True,
        account__reseller_id=reseller_id,
    ).exclude(account__billing_status=BillingStatus.UNSUBSCRIBED)
    return query.exclude(id__in=list(delegates)) if delegates else query


async def delegate_candidates(
    reseller_id: int, search: str | None, offset: int, limit: int
) -> tuple[list[Administrator], int]:
    """Whom the reseller admin may make a delegate (seeds: the company administrators), with
    their company; filtered by name, login or company name. Four queries per page."""
    query = await _candidates(reseller_id)
    term = " ".join((search or "").split())
    if term:
        query = query.filter(Q(first_name__icontains=term) | Q(last_name__icontains=term)
                             | Q(login__icontains=term) | Q(account__name__icontains=term))
    total = await query.count()
    rows = await query.order_by("last_name", "first_name", "id").offset(offset).limit(
        limit + 1).values(*USER_COLUMNS)
    accounts = await _accounts_by_id({r["account_id"] for r in rows if r["account_id"]})
    return [Administrator(user=r, account=accounts.get(r["account_id"]), is_primary=False)
            for r in rows], total


def _require_admin(principal: Principal) -> int:
    """Seeds: a delegate cannot add or remove administrators."""
    if principal.role != Role.RESELLER_ADMIN or principal.direct_access \
            or not principal.reseller_id:
        raise Rejected([PayloadError(ResellerErrorCode.NOT_FOUND, _NOT_STAFF)])
    return principal.reseller_id


async def add_delegate(principal: Principal, user_id: int) -> Administrator:
    """Make a company admin of one of the reseller's accounts a delegated administrator."""
    reseller_id = _require_admin(principal)
    field = ["input", "userId"]
    user = await User.filter(id=user_id, reseller_id=reseller_id).first()
    if user is None:
        raise Rejected([PayloadError(ResellerErrorCode.NOT_FOUND, USER_NOT_FOUND, field)])
    if await ResellerDelegate.filter(reseller_id=reseller_id, user_id=user_id).exists():
        raise Rejected([PayloadError(ResellerErrorCode.ALREADY_DELEGATE, _ALREADY_DELEGATE,
                                     field)])
    if not await (await _candidates(reseller_id)).filter(id=user_id).exists():
        raise Rejected([PayloadError(ResellerErrorCode.NOT_FOUND, _NOT_A_CANDIDATE, field)])
    try:
        await ResellerDelegate.create(reseller_id=reseller_id, user_id=user_id,
                                      granted_by_id=principal.user_id)
    except IntegrityError:
        raise Rejected([PayloadError(ResellerErrorCode.ALREADY_DELEGATE, _ALREADY_DELEGATE,
                                     field)]) from None
    log.info("user %s made a delegate of reseller %s by user %s", user_id, reseller_id,
             principal.user_id)
    entry = next(a for a in await administrators(reseller_id) if a.user["id"] == user_id)
    return entry


async def remove_delegate(principal: Principal, user_id: int, *, request_id: str | None = None
                          ) -> None:
    """Take delegated rights back. They end at the person's next request; a direct access the
    person has open inside one of the accounts ends now (and is audited)."""
    from gateway.identity.direct_access import end_direct_access_of

    reseller_id = _require_admin(principal)
    removed = await ResellerDelegate.filter(reseller_id=reseller_id, user_id=user_id).delete()
    if not removed:
        raise Rejected([PayloadError(ResellerErrorCode.NOT_FOUND, _NOT_A_DELEGATE,
                                     ["input", "userId"])])
    await end_direct_access_of(user_id, reason="DELEGATION_REVOKED", request_id=request_id)
    log.info("user %s no longer a delegate of reseller %s (removed by user %s)", user_id,
             reseller_id, principal.user_id)
