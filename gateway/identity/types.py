"""GraphQL types of the identity area: Reseller, Account, User (Relay nodes, tenant-scoped), the
error types of its mutations, and the core's model enums as GraphQL enums."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any, Self, TypeVar

import strawberry
from strawberry import relay
from tortoise.models import Model
from tortoise.queryset import QuerySet

from gateway.contributions import Principal
from gateway.identity import scoping
from gateway.identity.errors import IdentityErrorCode, ResellerErrorCode
from gateway.identity.models import (
    ACCOUNT_COLUMNS,
    RESELLER_COLUMNS,
    USER_COLUMNS,
    Account,
    AccountKind,
    BillingStatus,
    Reseller,
    User,
    UserRole,
)
from schema.errors import Error, error_type
from schema.mutations import as_data
from schema.node import RowNode
from schema.scalars import DateTime

strawberry.enum(AccountKind, name="AccountKind")
strawberry.enum(BillingStatus, name="BillingStatus",
                description="Statut de facturation / billing status.")
strawberry.enum(UserRole, name="UserRole")

# Sign-in, password and API-token payloads have ``errors: [IdentityError!]!``; reseller
# settings, branding and administrators ``[ResellerError!]!``.
@error_type("Identity", IdentityErrorCode)
class IdentityError(Error):
    """A refusal of sign-in, passwords and API tokens."""


@error_type("Reseller", ResellerErrorCode)
class ResellerError(Error):
    """A refusal of reseller settings, branding and administrators."""


@strawberry.enum
class Language(Enum):
    FR = "fr"
    EN = "en"


@strawberry.type(name="Reseller", description="A reseller (revendeur).")
class ResellerNode(RowNode):
    COLUMNS = RESELLER_COLUMNS

    id: relay.NodeID[int]
    name: str
    spid: str | None
    can: str = strawberry.field(description="Customer account number (billing), immutable.")
    default_language: str = strawberry.field(description="Language given to new subscribers.")
    address: str
    city: str
    country: str
    state: str
    postal_code: str
    phone_system: str
    default_provider: str
    created_at: DateTime
    primary_admin_id: strawberry.Private[int | None]
    branding_data: strawberry.Private[dict[str, Any]]

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Reseller]:
        return scoping.resellers_visible(principal)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Self:
        values = {k: row[k] for k in cls.COLUMNS if k != "branding"}
        return cls(branding_data=row.get("branding") or {}, **values)


@strawberry.type(
    name="Account", description="A subscriber account: company (CID) or professional (UID)."
)
class AccountNode(RowNode):
    COLUMNS = ACCOUNT_COLUMNS

    id: relay.NodeID[int]
    kind: AccountKind
    name: str
    can: str = strawberry.field(description="Customer account number (billing), immutable.")
    language: str
    time_zone: str
    country: str
    email: str
    phone_number: str | None
    billing_status: BillingStatus
    trial_ends_at: DateTime | None
    unsubscribed_at: DateTime | None
    created_at: DateTime
    reseller_id: strawberry.Private[int]
    organization_id: strawberry.Private[int | None]
    # Values a list page already read in its one SQL query ("user_count", "extension"); a node
    # fetched alone reads them on demand.
    prefetched: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)

    @strawberry.field(description="CID (company) or UID (professional): the account's number.")
    def account_number(self) -> int:
        return self.id

    @strawberry.field(description="ORGID: the organisation's id, or the account's own.")
    def org_id(self) -> int:
        return self.organization_id or self.id

    @strawberry.field(description="Utilisateurs: how many users (employees) the account has.")
    async def user_count(self, info: strawberry.Info) -> int:
        if "user_count" in self.prefetched:
            return int(self.prefetched["user_count"])
        return int(await info.context.loaders["core.account_user_count"].load(self.id))

    @strawberry.field(description="Poste: the professional's extension; null for a company.")
    async def extension(self, info: strawberry.Info) -> str | None:
        if self.kind != AccountKind.PROFESSIONAL:
            return None
        if "extension" in self.prefetched:
            return self.prefetched["extension"]
        return await info.context.loaders["core.account_extension"].load(self.id)

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Account]:
        return scoping.accounts_visible(principal)


@strawberry.type(name="User", description="A person who can sign in. No password ever shows.")
class UserNode(RowNode):
    COLUMNS = USER_COLUMNS

    id: relay.NodeID[int]
    role: UserRole
    login: str
    email: str
    first_name: str
    last_name: str
    language: str
    phone: str | None
    extension: str | None = strawberry.field(description="Poste / phone extension.")
    is_active: bool
    created_at: DateTime
    reseller_id: strawberry.Private[int | None]
    account_id: strawberry.Private[int | None]

    @strawberry.field
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.login

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[User]:
        return scoping.users_visible(principal)


_Node = TypeVar("_Node", bound=RowNode)


async def _node(model: type[Model], node: type[_Node], pk: int | None) -> _Node | None:
    """The node of row ``pk``, read without scoping: for what the caller is (``me``) or was
    just given by a mutation."""
    if pk is None:
        return None
    rows = await model.filter(id=pk).values(*node.COLUMNS)
    return node.from_row(rows[0]) if rows else None


async def reseller_node(reseller_id: int | None) -> ResellerNode | None:
    return await _node(Reseller, ResellerNode, reseller_id)


async def account_node(account_id: int | None) -> AccountNode | None:
    return await _node(Account, AccountNode, account_id)


async def user_node(user_id: int | None) -> UserNode | None:
    return await _node(User, UserNode, user_id)


def sent_fields(input: Any) -> dict[str, Any]:
    """The fields of a partial-update input the client sent, as plain data: left out means
    unchanged and is absent; null means "clear it" and stays (``as_data`` drops both)."""
    return {
        f.name: as_data(getattr(input, f.name)) for f in dataclasses.fields(input)
        if getattr(input, f.name) is not strawberry.UNSET
    }
