"""API tokens for integrators: created by a reseller admin, scoped to that reseller, shown once,
listed with their last use, revocable (a revoked token stops working at the next request).
Each has scopes (what areas it may read or write, :mod:`gateway.identity.scopes`) and an
expiry (``DEFAULT_LIFETIME_DAYS`` unless asked otherwise, at most ``MAX_LIFETIME_DAYS``).

The database keeps the token's digest and a short prefix to recognise it in lists; the token
itself exists only in the one response that created it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from gateway.contributions import Principal
from gateway.i18n import Text
from gateway.identity.errors import API_TOKEN_NOT_FOUND, IdentityErrorCode
from gateway.identity.models import ApiToken, Reseller, User
from gateway.identity.scopes import clean_scopes
from gateway.identity.secrets import API_TOKEN_PREFIX, new_token, token_digest
from gateway.problems import Problem
from gateway.roles import Role

log = logging.getLogger("gateway.identity")

NAME_MAX = 100
PREFIX_LENGTH = len(API_TOKEN_PREFIX) + 8  # enough to tell tokens apart, useless to guess one
DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 730

_NAME_REQUIRED = Text(en="Give the token a name (what it is for).",
                      fr="Donnez un nom au jeton (à quoi il sert).")
_NAME_TOO_LONG = Text(en="The name must have at most {max} characters.",
                      fr="Le nom doit comporter au plus {max} caractères.")
_BAD_LIFETIME = Text(en="A token lasts from 1 to {max} days.",
                     fr="Un jeton dure de 1 à {max} jours.")
_NO_RESELLER = Text(en="Only a reseller administrator can create API tokens.",
                    fr="Seul un administrateur-revendeur peut créer des jetons d'API.")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class CreatedToken:
    row: ApiToken
    token: str  # the only time it exists outside the client


def tokens_visible(principal: Principal | None) -> QuerySet[ApiToken]:
    """A reseller admin's own reseller's tokens; a system admin's: all; anyone else: none."""
    if principal is None or principal.direct_access:
        return ApiToken.filter(id=-1)
    if principal.role == Role.SYSTEM_ADMIN:
        return ApiToken.all()
    if principal.role == Role.RESELLER_ADMIN and principal.reseller_id:
        return ApiToken.filter(reseller_id=principal.reseller_id)
    return ApiToken.filter(id=-1)


def tokens_matching(principal: Principal | None, active: bool | None) -> QuerySet[ApiToken]:
    """The visible tokens, only the active (or only the revoked or expired) ones when
    ``active`` is set."""
    query = tokens_visible(principal)
    if active is None:
        return query
    live = Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=utcnow()))
    return query.filter(live) if active else query.filter(~live)


def is_active(row: ApiToken, now: dt.datetime | None = None) -> bool:
    """Neither revoked nor expired."""
    now = now or utcnow()
    return row.revoked_at is None and (row.expires_at is None or row.expires_at > now)


def _lifetime(days: int | None) -> dt.timedelta:
    if days is None:
        return dt.timedelta(days=DEFAULT_LIFETIME_DAYS)
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        raise Problem(IdentityErrorCode.INVALID, _BAD_LIFETIME, ["input", "expiresInDays"],
                      max=MAX_LIFETIME_DAYS)
    return dt.timedelta(days=days)


async def create_api_token(
    principal: Principal, name: str, *, scopes: Sequence[str] | None = None,
    expires_in_days: int | None = None, areas: Iterable[str] = (),
) -> CreatedToken:
    """A new token for the principal's reseller, named ``name``, with ``scopes`` over the
    known ``areas`` (none: read-only everywhere), expiring in ``expires_in_days`` (default
    90). Raises :class:`Problem`."""
    name = " ".join(name.split())
    if not name:
        raise Problem(IdentityErrorCode.REQUIRED, _NAME_REQUIRED, ["input", "name"])
    if len(name) > NAME_MAX:
        raise Problem(IdentityErrorCode.INVALID, _NAME_TOO_LONG, ["input", "name"], max=NAME_MAX)
    granted = clean_scopes(scopes, areas, ["input", "scopes"])
    lifetime = _lifetime(expires_in_days)
    if (principal.role != Role.RESELLER_ADMIN or principal.direct_access
            or not principal.reseller_id):
        raise Problem(IdentityErrorCode.FORBIDDEN, _NO_RESELLER)
    reseller = await Reseller.get(id=principal.reseller_id)
    creator = await User.get_or_none(id=principal.user_id) if principal.user_id else None
    token = new_token(API_TOKEN_PREFIX)
    expires_at = utcnow() + lifetime
    row = await ApiToken.create(
        reseller=reseller, name=name, prefix=token[:PREFIX_LENGTH],
        token_hash=token_digest(token), created_by=creator, scopes=granted,
        expires_at=expires_at,
    )
    log.info("API token %s (%s) created for reseller %s by user %s, scopes %s, expires %s",
             row.id, row.prefix, reseller.id, principal.user_id, ",".join(granted),
             expires_at.isoformat())
    return CreatedToken(row=row, token=token)


async def revoke_api_token(principal: Principal, token_id: int) -> ApiToken:
    """Revoke one of the principal's visible tokens (again is harmless); another reseller's
    token is not found."""
    row = await tokens_visible(principal).filter(id=token_id).first()
    if row is None:
        raise Problem(IdentityErrorCode.NOT_FOUND, API_TOKEN_NOT_FOUND, ["input", "id"])
    if row.revoked_at is None:
        now = utcnow()
        await ApiToken.filter(id=row.id, revoked_at__isnull=True).update(revoked_at=now)
        row.revoked_at = now
        log.info("API token %s (%s) revoked by user %s", row.id, row.prefix, principal.user_id)
    return row
