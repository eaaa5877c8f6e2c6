"""GraphQL of integrators' API tokens: list, create (the token is in that response only, with
its scopes and expiry), revoke. The rules are in :mod:`gateway.identity.api_tokens` and
:mod:`gateway.identity.scopes`."""

from __future__ import annotations

from typing import Annotated, Any, Self

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from gateway.contributions import Principal
from gateway.identity import api_tokens
from gateway.identity.errors import API_TOKEN_NOT_FOUND
from gateway.identity.models import ApiToken
from gateway.identity.scopes import CORE_AREA
from gateway.identity.types import IdentityError
from gateway.roles import Role
from schema.mutations import field, mutation
from schema.node import RowNode, node_pk
from schema.pagination import Connection, build_connection, page_window
from schema.scalars import DateTime


@strawberry.type(name="ApiToken", description="An integrator's API token (the secret itself is "
                 "shown once, when created).")
class ApiTokenNode(RowNode):
    COLUMNS = ("id", "name", "prefix", "reseller_id", "created_at", "last_used_at", "revoked_at",
               "scopes", "expires_at", "created_by__first_name", "created_by__last_name",
               "created_by__login")

    id: relay.NodeID[int]
    name: str = strawberry.field(description="What the token is for, e.g. the integrator's "
                                 "name.")
    prefix: str = strawberry.field(description="The first characters of the token, to "
                                   "recognise it.")
    created_at: DateTime = strawberry.field(description="When the token was created.")
    last_used_at: DateTime | None = strawberry.field(
        description="When a request last came with it; null if never used.")
    revoked_at: DateTime | None = strawberry.field(
        description="When it was revoked; null while not revoked.")
    scopes: list[str] = strawberry.field(description="What it may call: <area>:read or "
                                         "<area>:write (write includes read), the area being "
                                         "a plugin, core, or * for every area.")
    expires_at: DateTime | None = strawberry.field(description="It stops working then.")
    created_by_name: str | None = strawberry.field(description="Who created it.")
    reseller_id: strawberry.Private[int]

    @strawberry.field(description="False once revoked or expired.")
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None
                                            or self.expires_at > api_tokens.utcnow())

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[ApiToken]:
        return api_tokens.tokens_visible(principal)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        creator = " ".join(
            p for p in (row["created_by__first_name"], row["created_by__last_name"]) if p
        ) or row["created_by__login"]
        return cls(
            id=row["id"], name=row["name"], prefix=row["prefix"],
            reseller_id=row["reseller_id"], created_at=row["created_at"],
            last_used_at=row["last_used_at"], revoked_at=row["revoked_at"],
            scopes=list(row["scopes"] or []), expires_at=row["expires_at"],
            created_by_name=creator,
        )


async def api_token_node(token_id: int) -> ApiTokenNode:
    """The node of a token the caller holds or was just given (not scoped)."""
    rows = await ApiToken.filter(id=token_id).values(*ApiTokenNode.COLUMNS)
    return ApiTokenNode.from_row(rows[0])


@strawberry.input(description="A new API token for an integrator of my reseller.")
class CreateApiTokenInput:
    name: str = strawberry.field(description="What the token is for, e.g. the integrator's name.")
    scopes: list[str] | None = strawberry.field(
        default=None, description="What it may call: <area>:read or <area>:write, the area "
        "being one of apiTokenAreas or * for every area. Not given: read-only everywhere "
        "(*:read).")
    expires_in_days: int | None = strawberry.field(
        default=None, description=f"Its lifetime in days, 1 to {api_tokens.MAX_LIFETIME_DAYS} "
        f"(default {api_tokens.DEFAULT_LIFETIME_DAYS}).")


@strawberry.type(description="The result of createApiToken: the token, shown this once.")
class CreateApiTokenPayload:
    api_token: ApiTokenNode | None = strawberry.field(
        description="The new token's details (not the secret); null on errors.")
    token: str | None = strawberry.field(
        description="The token, for `Authorization: Bearer`. Shown this once: store it now."
    )
    errors: list[IdentityError] = strawberry.field(default_factory=list)


@strawberry.input(description="Which API token to revoke.")
class RevokeApiTokenInput:
    id: strawberry.ID = strawberry.field(description="The ApiToken's global ID.")


@strawberry.type(description="The result of revokeApiToken.")
class RevokeApiTokenPayload:
    api_token: ApiTokenNode | None = strawberry.field(
        description="The token, now revoked (it stops working at once); null on errors.")
    errors: list[IdentityError] = strawberry.field(default_factory=list)


@strawberry.input(description="Which API tokens to list.")
class ApiTokenFilter:
    active: bool | None = strawberry.field(default=None,
                                           description="Only active (or only revoked) tokens.")


@strawberry.type
class ApiTokensQuery:
    @field(Role.RESELLER_ADMIN, Role.SYSTEM_ADMIN, description="API tokens of my reseller "
           "(system admins: of all), newest first; never the tokens themselves.")
    async def api_tokens(
        self, info: strawberry.Info,
        filter: Annotated[ApiTokenFilter | None, strawberry.argument(
            description="Which tokens to list; all of them when left out.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[ApiTokenNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = api_tokens.tokens_matching(info.context.principal,
                                           filter.active if filter is not None else None)
        total = await query.count()
        rows = await query.order_by("-id").offset(offset).limit(limit + 1).values(
            *ApiTokenNode.COLUMNS)
        return build_connection(rows, offset, limit, total, ApiTokenNode.from_row)

    @field(Role.RESELLER_ADMIN, Role.SYSTEM_ADMIN, description="The areas a token's scopes "
           "name: core (the gateway's own fields) and every plugin on.")
    def api_token_areas(self, info: strawberry.Info) -> list[str]:
        return token_areas(info.context.host)


def token_areas(host: Any) -> list[str]:
    """``core`` and the name of every plugin on: what a scope's area may be."""
    return [CORE_AREA, *(spec.name for spec in host.enabled if spec.name != CORE_AREA)]


@strawberry.type
class ApiTokensMutation:
    @mutation(Role.RESELLER_ADMIN, errors=IdentityError, description="Create an API token for "
              "my reseller; the token is in this response only.")
    async def create_api_token(
        self, info: strawberry.Info, input: CreateApiTokenInput
    ) -> CreateApiTokenPayload:
        created = await api_tokens.create_api_token(
            info.context.principal, input.name, scopes=input.scopes,
            expires_in_days=input.expires_in_days, areas=token_areas(info.context.host))
        return CreateApiTokenPayload(api_token=await api_token_node(created.row.id),
                                     token=created.token)

    @mutation(Role.RESELLER_ADMIN, Role.SYSTEM_ADMIN, errors=IdentityError,
              description="Revoke an API token: it stops working at once.")
    async def revoke_api_token(
        self, info: strawberry.Info, input: RevokeApiTokenInput
    ) -> RevokeApiTokenPayload:
        token_id = node_pk(input.id, "ApiToken", ["input", "id"], API_TOKEN_NOT_FOUND,
                           plain=False)
        row = await api_tokens.revoke_api_token(info.context.principal, token_id)
        return RevokeApiTokenPayload(api_token=await api_token_node(row.id))
