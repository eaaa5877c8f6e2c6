"""API tokens for integrators: created by a reseller admin, scoped to that reseller, shown once,
listed with their last use, revocable (a revoked token stops working at the next request).

The database keeps the token's digest and a short prefix to recognise it in lists; the token
itself exists only in the one response that created it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry import relay

from gateway.contributions import Principal
from gateway.i18n import Text
from gateway.identity.errors import IdentityError, IdentityErrorCode
from gateway.identity.models import ApiToken, Reseller, User
from gateway.identity.secrets import API_TOKEN_PREFIX, new_token, token_digest
from schema.errors import PayloadError
from schema.node import database_id
from schema.pagination import Connection, build_connection, page_window
from schema.permissions import Role, allow
from schema.scalars import DateTime

log = logging.getLogger("gateway.identity")

NAME_MAX = 100
PREFIX_LENGTH = len(API_TOKEN_PREFIX) + 8  # enough to tell tokens apart, useless to guess one

_NAME_REQUIRED = Text(en="Give the token a name (what it is for).",
                      fr="Donnez un nom au jeton (à quoi il sert).")
_NAME_TOO_LONG = Text(en="The name must have at most {max} characters.",
                      fr="Le nom doit comporter au plus {max} caractères.")
_NOT_FOUND = Text(en="No such API token.", fr="Ce jeton d'API n'existe pas.")
_NO_RESELLER = Text(en="Only a reseller administrator can create API tokens.",
                    fr="Seul un administrateur-revendeur peut créer des jetons d'API.")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---- services ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CreatedToken:
    row: ApiToken
    token: str  # the only time it exists outside the client


def tokens_visible(principal: Principal | None) -> Any:
    """A reseller admin's own reseller's tokens; a system admin's: all; anyone else: none."""
    if principal is None or principal.direct_access:
        return ApiToken.filter(id=-1)
    if principal.role == Role.SYSTEM_ADMIN:
        return ApiToken.all()
    if principal.role == Role.RESELLER_ADMIN and principal.reseller_id:
        return ApiToken.filter(reseller_id=principal.reseller_id)
    return ApiToken.filter(id=-1)


async def create_api_token(principal: Principal, name: str) -> CreatedToken:
    """A new token for the principal's reseller, named ``name``. Raises :class:`PayloadError`."""
    name = " ".join(name.split())
    if not name:
        raise PayloadError(IdentityErrorCode.REQUIRED, _NAME_REQUIRED, ["input", "name"])
    if len(name) > NAME_MAX:
        raise PayloadError(IdentityErrorCode.INVALID, _NAME_TOO_LONG, ["input", "name"],
                           max=NAME_MAX)
    if (principal.role != Role.RESELLER_ADMIN or principal.direct_access
            or not principal.reseller_id):
        raise PayloadError(IdentityErrorCode.FORBIDDEN, _NO_RESELLER)
    reseller = await Reseller.get(id=principal.reseller_id)
    creator = await User.get_or_none(id=principal.user_id) if principal.user_id else None
    token = new_token(API_TOKEN_PREFIX)
    row = await ApiToken.create(
        reseller=reseller, name=name, prefix=token[:PREFIX_LENGTH],
        token_hash=token_digest(token), created_by=creator,
    )
    log.info("API token %s (%s) created for reseller %s by user %s", row.id, row.prefix,
             reseller.id, principal.user_id)
    return CreatedToken(row=row, token=token)


async def revoke_api_token(principal: Principal, token_id: int) -> ApiToken:
    """Revoke one of the principal's visible tokens (again is harmless); another reseller's
    token is not found."""
    row = await tokens_visible(principal).filter(id=token_id).first()
    if row is None:
        raise PayloadError(IdentityErrorCode.NOT_FOUND, _NOT_FOUND, ["input", "id"])
    if row.revoked_at is None:
        now = utcnow()
        await ApiToken.filter(id=row.id, revoked_at__isnull=True).update(revoked_at=now)
        row.revoked_at = now
        log.info("API token %s (%s) revoked by user %s", row.id, row.prefix, principal.user_id)
    return row


# ---- GraphQL -------------------------------------------------------------------------------

_COLUMNS = ("id", "name", "prefix", "reseller_id", "created_at", "last_used_at", "revoked_at",
            "created_by__first_name", "created_by__last_name", "created_by__login")


@strawberry.type(name="ApiToken", description="An integrator's API token (the secret itself is "
                 "shown once, when created).")
class ApiTokenNode(relay.Node):
    id: relay.NodeID[int]
    name: str
    prefix: str = strawberry.field(description="The first characters of the token, to "
                                   "recognise it.")
    created_at: DateTime  # type: ignore[valid-type]
    last_used_at: DateTime | None  # type: ignore[valid-type]
    revoked_at: DateTime | None  # type: ignore[valid-type]
    created_by_name: str | None = strawberry.field(description="Who created it.")
    reseller_id: strawberry.Private[int]

    @strawberry.field(description="False once revoked.")
    def active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ApiTokenNode:
        creator = " ".join(
            p for p in (row["created_by__first_name"], row["created_by__last_name"]) if p
        ) or row["created_by__login"]
        return cls(
            id=row["id"], name=row["name"], prefix=row["prefix"],
            reseller_id=row["reseller_id"], created_at=row["created_at"],
            last_used_at=row["last_used_at"], revoked_at=row["revoked_at"],
            created_by_name=creator,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ApiTokenNode | None]:
        ids = [int(i) for i in node_ids if str(i).isdigit()]
        rows = await tokens_visible(info.context.principal).filter(id__in=ids).values(*_COLUMNS)
        found = {r["id"]: cls.from_row(r) for r in rows}
        return [found.get(int(i)) if str(i).isdigit() else None for i in node_ids]


async def api_token_node(token_id: int) -> ApiTokenNode:
    return ApiTokenNode.from_row((await ApiToken.filter(id=token_id).values(*_COLUMNS))[0])


@strawberry.input
class CreateApiTokenInput:
    name: str = strawberry.field(description="What the token is for, e.g. the integrator's name.")


@strawberry.type
class CreateApiTokenPayload:
    api_token: ApiTokenNode | None
    token: str | None = strawberry.field(
        description="The token, for `Authorization: Bearer`. Shown this once: store it now."
    )
    errors: list[IdentityError]  # type: ignore[valid-type]


@strawberry.input
class RevokeApiTokenInput:
    id: strawberry.ID


@strawberry.type
class RevokeApiTokenPayload:
    api_token: ApiTokenNode | None
    errors: list[IdentityError]  # type: ignore[valid-type]


@strawberry.input
class ApiTokenFilter:
    active: bool | None = strawberry.field(default=None,
                                           description="Only active (or only revoked) tokens.")


@strawberry.type
class ApiTokensQuery:
    @strawberry.field(extensions=allow(Role.RESELLER_ADMIN, Role.SYSTEM_ADMIN),
                      description="API tokens of my reseller (system admins: of all), newest "
                      "first; never the tokens themselves.")
    async def api_tokens(
        self, info: strawberry.Info, filter: ApiTokenFilter | None = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[ApiTokenNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = tokens_visible(info.context.principal)
        if filter is not None and filter.active is not None:
            query = query.filter(revoked_at__isnull=filter.active)
        total = await query.count()
        rows = await query.order_by("-id").offset(offset).limit(limit + 1).values(*_COLUMNS)
        return build_connection(rows, offset, limit, total, ApiTokenNode.from_row)


def _token_id(raw: str) -> int:
    try:
        global_id = relay.GlobalID.from_id(raw)
        token_id = database_id(global_id.node_id)
        if global_id.type_name == "ApiToken" and token_id is not None:
            return token_id
    except Exception:  # not a global id at all: same answer as a missing token
        pass
    raise PayloadError(IdentityErrorCode.NOT_FOUND, _NOT_FOUND, ["input", "id"])


@strawberry.type
class ApiTokensMutation:
    @strawberry.mutation(extensions=allow(Role.RESELLER_ADMIN),
                         description="Create an API token for my reseller; the token is in "
                         "this response only.")
    async def create_api_token(
        self, info: strawberry.Info, input: CreateApiTokenInput
    ) -> CreateApiTokenPayload:
        try:
            created = await create_api_token(info.context.principal, input.name)
        except PayloadError as error:
            return CreateApiTokenPayload(
                api_token=None, token=None,
                errors=[error.to_graphql(IdentityError, info.context.language)],
            )
        return CreateApiTokenPayload(api_token=await api_token_node(created.row.id),
                                     token=created.token, errors=[])

    @strawberry.mutation(extensions=allow(Role.RESELLER_ADMIN, Role.SYSTEM_ADMIN),
                         description="Revoke an API token: it stops working at once.")
    async def revoke_api_token(
        self, info: strawberry.Info, input: RevokeApiTokenInput
    ) -> RevokeApiTokenPayload:
        try:
            row = await revoke_api_token(info.context.principal, _token_id(input.id))
        except PayloadError as error:
            return RevokeApiTokenPayload(
                api_token=None, errors=[error.to_graphql(IdentityError, info.context.language)]
            )
        return RevokeApiTokenPayload(api_token=await api_token_node(row.id), errors=[])
