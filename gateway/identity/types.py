"""GraphQL types of the identity area: Reseller, Account, User (Relay nodes, tenant-scoped)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from gateway.identity import scoping
from gateway.identity.models import AccountKind, BillingStatus, UserRole
from schema.scalars import DateTime

AccountKindEnum = strawberry.enum(AccountKind, name="AccountKind")
BillingStatusEnum = strawberry.enum(BillingStatus, name="BillingStatus",
                                    description="Statut de facturation / billing status.")
UserRoleEnum = strawberry.enum(UserRole, name="UserRole")


@strawberry.enum
class Language(Enum):
    FR = "fr"
    EN = "en"


def _ids(node_ids: Iterable[str]) -> list[int]:
    return [int(i) for i in node_ids if str(i).isdigit()]


def _in_order(node_ids: Iterable[str], found: dict[int, Any]) -> list[Any]:
    return [found.get(int(i)) if str(i).isdigit() else None for i in node_ids]


RESELLER_COLUMNS = ("id", "name", "spid", "can", "default_language", "address", "city",
                    "country", "state", "postal_code", "phone_system", "default_provider",
                    "primary_admin_id", "branding", "created_at")


@strawberry.type(name="Reseller", description="A reseller (revendeur).")
class ResellerNode(relay.Node):
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
    created_at: DateTime  # type: ignore[valid-type]
    primary_admin_id: strawberry.Private[int | None]
    branding_data: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ResellerNode:
        values = {k: row[k] for k in RESELLER_COLUMNS if k != "branding"}
        return cls(branding_data=row.get("branding") or {}, **values)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ResellerNode | None]:
        rows = await scoping.resellers_visible(info.context.principal).filter(
            id__in=_ids(node_ids)).values(*RESELLER_COLUMNS)
        return _in_order(node_ids, {r["id"]: cls.from_row(r) for r in rows})


ACCOUNT_COLUMNS = ("id", "reseller_id", "kind", "name", "can", "organization_id", "language",
                   "time_zone", "country", "email", "phone_number", "billing_status",
                   "trial_ends_at", "unsubscribed_at", "created_at")


@strawberry.type(
    name="Account", description="A subscriber account: company (CID) or professional (UID)."
)
class AccountNode(relay.Node):
    id: relay.NodeID[int]
    kind: AccountKindEnum  # type: ignore[valid-type]
    name: str
    can: str = strawberry.field(description="Customer account number (billing), immutable.")
    language: str
    time_zone: str
    country: str
    email: str
    phone_number: str | None
    billing_status: BillingStatusEnum  # type: ignore[valid-type]
    trial_ends_at: DateTime | None  # type: ignore[valid-type]
    unsubscribed_at: DateTime | None  # type: ignore[valid-type]
    created_at: DateTime  # type: ignore[valid-type]
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
        return await info.context.loaders["core.account_user_count"].load(self.id)  # type: ignore[no-any-return]

    @strawberry.field(description="Poste: the professional's extension; null for a company.")
    async def extension(self, info: strawberry.Info) -> str | None:
        if self.kind != AccountKind.PROFESSIONAL:
            return None
        if "extension" in self.prefetched:
            return self.prefetched["extension"]  # type: ignore[no-any-return]
        return await info.context.loaders["core.account_extension"].load(self.id)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AccountNode:
        return cls(**{k: row[k] for k in ACCOUNT_COLUMNS})

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[AccountNode | None]:
        rows = await scoping.accounts_visible(info.context.principal).filter(
            id__in=_ids(node_ids)).values(*ACCOUNT_COLUMNS)
        return _in_order(node_ids, {r["id"]: cls.from_row(r) for r in rows})


USER_COLUMNS = ("id", "role", "reseller_id", "account_id", "login", "email", "first_name",
                "last_name", "language", "phone", "extension", "is_active", "created_at")


@strawberry.type(name="User", description="A person who can sign in. No password ever shows.")
class UserNode(relay.Node):
    id: relay.NodeID[int]
    role: UserRoleEnum  # type: ignore[valid-type]
    login: str
    email: str
    first_name: str
    last_name: str
    language: str
    phone: str | None
    extension: str | None = strawberry.field(description="Poste / phone extension.")
    is_active: bool
    created_at: DateTime  # type: ignore[valid-type]
    reseller_id: strawberry.Private[int | None]
    account_id: strawberry.Private[int | None]

    @strawberry.field
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.login

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> UserNode:
        return cls(**{k: row[k] for k in USER_COLUMNS})

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[UserNode | None]:
        rows = await scoping.users_visible(info.context.principal).filter(
            id__in=_ids(node_ids)).values(*USER_COLUMNS)
        return _in_order(node_ids, {r["id"]: cls.from_row(r) for r in rows})
