"""Subscription links: one per reseller and kind (companies, professionals), created when
first listed. A link's token is ``<id>-<HMAC(secret key, id:nonce)>``: unguessable without the
gateway's secret, recomputed to show the reseller its URL, never stored. Regenerating draws a
new nonce (the old URL stops working), revoking stops it until it is regenerated, an expiry
stops it at a date."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import html
import re
import secrets

from tortoise.queryset import QuerySet

from gateway.api import (
    RESELLER_SIDE,
    AccountKind,
    PluginHost,
    Principal,
    Problem,
    Reseller,
    Role,
)
from plugins.subscription_portal import errors as e
from plugins.subscription_portal.errors import PortalErrorCode as Code
from plugins.subscription_portal.models import SubscriptionLink

ROUTE = "/subscribe"
_TOKEN = re.compile(r"(\d{1,10})-([A-Za-z0-9_-]{43})")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def keyed_digest(secret: str, purpose: str, text: str) -> str:
    """HMAC-SHA256 of ``text`` under the gateway's secret, one ``purpose`` per use (a link's
    token, a form's CSRF token), URL-safe base64 without padding (43 characters)."""
    digest = hmac.new(secret.encode(), f"{purpose}:{text}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _mac(secret: str, link_id: int, nonce: str) -> str:
    return keyed_digest(secret, "subscription-link", f"{link_id}:{nonce}")


def token_of(host: PluginHost, link: SubscriptionLink) -> str:
    return f"{link.id}-{_mac(host.settings.secret_key, link.id, link.nonce)}"


def public_base(host: PluginHost) -> str:
    return host.settings.public_url.rstrip("/")


def url_of(host: PluginHost, link: SubscriptionLink) -> str:
    return f"{public_base(host)}{ROUTE}/{token_of(host, link)}"


def portal_url(host: PluginHost) -> str:
    return f"{public_base(host)}{ROUTE}"


LABELS = {
    (AccountKind.COMPANY, "fr"): "Abonnez votre entreprise",
    (AccountKind.COMPANY, "en"): "Subscribe your company",
    (AccountKind.PROFESSIONAL, "fr"): "Abonnement professionnel",
    (AccountKind.PROFESSIONAL, "en"): "Subscribe as a professional",
}


def snippet_of(host: PluginHost, link: SubscriptionLink, language: str) -> str:
    """The HTML to paste on the reseller's site: a plain link, no script."""
    label = LABELS[(AccountKind(link.kind), language if language in ("fr", "en") else "fr")]
    return (f'<a href="{html.escape(url_of(host, link))}" rel="noopener">'
            f"{html.escape(label)}</a>")


def is_active(link: SubscriptionLink, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    return link.revoked_at is None and (link.expires_at is None or link.expires_at > now)


async def link_for_token(host: PluginHost, token: str) -> SubscriptionLink | None:
    """The active link a token opens; None when forged, replaced, revoked or expired."""
    match = _TOKEN.fullmatch(token or "")
    if match is None:
        return None
    link = await SubscriptionLink.filter(id=int(match[1])).first()
    if link is None or not hmac.compare_digest(
            _mac(host.settings.secret_key, link.id, link.nonce), match[2]):
        return None
    return link if is_active(link) else None


# --- Staff side ---------------------------------------------------------------------------

def links_visible(principal: Principal | None) -> QuerySet[SubscriptionLink]:
    """The links the caller may see: their reseller's (every one for a system admin); none
    from inside direct access."""
    if principal is None or principal.direct_access:
        return SubscriptionLink.filter(id=-1)
    if principal.role == Role.SYSTEM_ADMIN:
        return SubscriptionLink.all()
    if principal.role in RESELLER_SIDE and principal.reseller_id:
        return SubscriptionLink.filter(reseller_id=principal.reseller_id)
    return SubscriptionLink.filter(id=-1)


async def reseller_for(principal: Principal, reseller_id: int | None,
                       field: list[str | int] | None = None) -> Reseller:
    """The reseller whose links (or portal settings) the caller asks for: their own; a system
    admin names one. Another reseller is not found."""
    field = field or ["resellerId"]
    if principal.role == Role.SYSTEM_ADMIN and not principal.direct_access:
        if reseller_id is None:
            raise Problem(Code.REQUIRED, e.RESELLER_REQUIRED, field)
        reseller = await Reseller.filter(id=reseller_id).first()
    elif principal.direct_access or principal.reseller_id is None or (
            reseller_id is not None and reseller_id != principal.reseller_id):
        reseller = None
    else:
        reseller = await Reseller.filter(id=principal.reseller_id).first()
    if reseller is None:
        raise Problem(Code.NOT_FOUND, e.RESELLER_NOT_FOUND, field)
    return reseller


async def links_of(reseller: Reseller) -> list[SubscriptionLink]:
    """The reseller's two links (company first), created the first time they are asked."""
    for kind in (AccountKind.COMPANY, AccountKind.PROFESSIONAL):
        if not await SubscriptionLink.filter(reseller_id=reseller.id, kind=kind).exists():
            await SubscriptionLink.get_or_create(reseller_id=reseller.id, kind=kind,
                                                 defaults={"nonce": new_nonce()})
    links = await SubscriptionLink.filter(reseller_id=reseller.id)
    return sorted(links, key=lambda link: 0 if link.kind == AccountKind.COMPANY else 1)


async def link_for(principal: Principal, link_id: int) -> SubscriptionLink:
    link = await links_visible(principal).filter(id=link_id).first()
    if link is None:
        raise Problem(Code.NOT_FOUND, e.LINK_NOT_FOUND, ["input", "id"])
    return link


async def regenerate(link: SubscriptionLink) -> SubscriptionLink:
    """A new URL (the old one stops working); a revoked link works again."""
    link.nonce = new_nonce()
    link.revoked_at = None
    link.regenerated_at = utcnow()
    await link.save(update_fields=["nonce", "revoked_at", "regenerated_at", "updated_at"])
    return link


async def revoke(link: SubscriptionLink) -> SubscriptionLink:
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        await link.save(update_fields=["revoked_at", "updated_at"])
    return link


async def set_expiry(link: SubscriptionLink, expires_at: dt.datetime | None) -> SubscriptionLink:
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=dt.UTC)
        if expires_at <= utcnow():
            raise Problem(Code.INVALID, e.EXPIRY_PAST, ["input", "expiresAt"])
    link.expires_at = expires_at
    await link.save(update_fields=["expires_at", "updated_at"])
    return link
