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
from schema.descriptions import describe_enum_values
from schema.errors import Error, error_type
from schema.mutations import as_data
from schema.node import RowNode
from schema.scalars import DateTime

strawberry.enum(AccountKind, name="AccountKind",
                description="What kind of subscriber account it is (type de compte).")
describe_enum_values(AccountKind, {
    "COMPANY": "A company (entreprise, CID): an admin and employees, each with an extension.",
    "PROFESSIONAL": "A professional (UID): one person with one extension.",
})
strawberry.enum(BillingStatus, name="BillingStatus",
                description="Statut de facturation / billing status.")
describe_enum_values(BillingStatus, {
    "FREE_TRIAL": "Essai gratuit: free trial until trialEndsAt; not billed yet.",
    "IN_PRODUCTION": "En production: in service and billed.",
    "BILLING_SUSPENDED": "Facturation suspendue: in service, but billing is on hold.",
    "UNSUBSCRIBED": "Désabonné: read only until reactivated, then purged after the retention "
    "period.",
})
strawberry.enum(UserRole, name="UserRole", description="A person's own role (rôle); a company "
                "admin may in addition be a reseller's delegate.")
describe_enum_values(UserRole, {
    "SYSTEM_ADMIN": "Runs the platform: sees every reseller and account.",
    "RESELLER_ADMIN": "Administers one reseller (revendeur) and its subscriber accounts.",
    "COMPANY_ADMIN": "Administers a company account (administrateur d'entreprise).",
    "EMPLOYEE": "An employee of a company account (employé).",
    "PROFESSIONAL": "The one person of a professional account (professionnel).",
})

# Sign-in, password and API-token payloads have ``errors: [IdentityError!]!``; reseller
# settings, branding and administrators ``[ResellerError!]!``.
@error_type("Identity", IdentityErrorCode)
class IdentityError(Error):
    """A refusal of sign-in, passwords and API tokens."""


@error_type("Reseller", ResellerErrorCode)
class ResellerError(Error):
    """A refusal of reseller settings, branding and administrators."""


describe_enum_values(IdentityErrorCode, {
    "INVALID": "A value is not valid; the message says why.",
    "FORBIDDEN": "The caller may not do this (e.g. a caller with no person or no reseller "
    "behind it).",
    "INVALID_CREDENTIALS": "Wrong login id or password (the answer does not tell which).",
    "ACCOUNT_DISABLED": "This access is disabled; the person's administrator can restore it.",
    "TOO_MANY_ATTEMPTS": "Too many attempts: wait retryAfter seconds before trying again.",
    "WRONG_CURRENT_PASSWORD": "The current password given is wrong.",
    "PASSWORD_UNCHANGED": "The new password is the same as the current one.",
    "PASSWORD_TOO_SHORT": "The new password has fewer than 8 characters.",
    "PASSWORD_NO_UPPERCASE": "The new password needs an uppercase letter.",
    "PASSWORD_NO_DIGIT": "The new password needs a digit.",
    "PASSWORD_NO_SPECIAL": "The new password needs a character that is neither a letter nor "
    "a digit.",
    "NOT_IN_DIRECT_ACCESS": "Only a reseller acting inside a subscriber account (direct "
    "access) may do this.",
    "LINK_INVALID": "The link's token is not one we issued.",
    "LINK_EXPIRED": "The link has expired; ask for a new one.",
    "LINK_USED": "The link was already used; ask for a new one.",
})
describe_enum_values(ResellerErrorCode, {
    "INVALID_LANGUAGE": "Not a supported language (fr or en).",
    "INVALID_COUNTRY": "Not a known country (ISO 3166-1 alpha-2 code, e.g. CA).",
    "INVALID_EMAIL": "Not a valid email address.",
    "EMAIL_TAKEN": "Another person already signs in with this email.",
    "INVALID_PHONE": "Not a valid phone number.",
    "INVALID_COLOR": "Not a colour in #RRGGBB form.",
    "INVALID_URL": "Neither an https:// address nor an uploaded image (a data: URL).",
    "INVALID_IMAGE": "Not an image of an accepted type (the file's content is checked).",
    "IMAGE_TOO_LARGE": "The image is larger than allowed; the message gives the maximum.",
    "ALREADY_DELEGATE": "This person is already a delegate of the reseller.",
    "DIRECT_ACCESS_FORBIDDEN": "Access codes cannot be changed during direct access: end it "
    "first.",
    "CURRENT_PASSWORD_REQUIRED": "Changing this needs your current password.",
    "WRONG_CURRENT_PASSWORD": "The current password given is wrong.",
    "TOO_MANY_ATTEMPTS": "Too many wrong passwords: wait before trying again.",
})


@strawberry.enum(description="A language of the portals and of the emails sent (langue).")
class Language(Enum):
    FR = "fr"
    EN = "en"


describe_enum_values(Language, {"FR": "French (français).", "EN": "English (anglais)."})


@strawberry.type(name="Reseller", description="A reseller (revendeur).")
class ResellerNode(RowNode):
    COLUMNS = RESELLER_COLUMNS

    id: relay.NodeID[int]
    name: str = strawberry.field(description="The reseller's name (nom), shown to its "
                                 "subscribers.")
    spid: str | None = strawberry.field(
        description="SPID: the telephone service provider id; null when not set.")
    can: str = strawberry.field(description="Customer account number (billing), immutable.")
    default_language: str = strawberry.field(description="Language given to new subscribers.")
    address: str = strawberry.field(description="Street address (adresse).")
    city: str = strawberry.field(description="City of the street address (ville).")
    country: str = strawberry.field(description="Country, ISO 3166-1 alpha-2 code (e.g. CA).")
    state: str = strawberry.field(description="Province or state (e.g. QC).")
    postal_code: str = strawberry.field(description="Postal or ZIP code (code postal).")
    phone_system: str = strawberry.field(
        description="The phone system (système téléphonique) its subscribers' lines run on; "
        "set by a system admin.")
    default_provider: str = strawberry.field(
        description="The default telephone provider (fournisseur) of its subscribers' lines.")
    created_at: DateTime = strawberry.field(description="When the reseller was created.")
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
    kind: AccountKind = strawberry.field(description="Company (CID) or professional (UID).")
    name: str = strawberry.field(description="The company's or the professional's name.")
    can: str = strawberry.field(description="Customer account number (billing), immutable.")
    language: str = strawberry.field(
        description="The account's language (fr or en): its emails and documents use it.")
    time_zone: str = strawberry.field(
        description="IANA time zone (e.g. America/Toronto) of the account's local days and "
        "hours.")
    country: str = strawberry.field(description="Country, ISO 3166-1 alpha-2 code (e.g. CA).")
    email: str = strawberry.field(description="The account's contact email (courriel).")
    phone_number: str | None = strawberry.field(
        description="The account's contact phone number (typed at sign-up), E.164; null when "
        "none was given.")
    receptionist_number: str | None = strawberry.field(
        description="Numéro de la réceptionniste virtuelle: the account's first number from "
        "its reseller's pool still held, E.164 (the accounts list's Numéro de téléphone); null "
        "while it holds none.")
    billing_status: BillingStatus = strawberry.field(
        description="Statut de facturation: trial, in production, suspended or unsubscribed.")
    trial_ends_at: DateTime | None = strawberry.field(
        description="When the free trial (essai gratuit) ends; null when not on a trial.")
    unsubscribed_at: DateTime | None = strawberry.field(
        description="When the account was unsubscribed; null while subscribed.")
    created_at: DateTime = strawberry.field(description="When the account was created.")
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

    # Plain functions, not coroutines: a list page's rows answer from ``prefetched`` without
    # a task each (50 rows: 50 tasks fewer); a node fetched alone gives the loader's future,
    # which the executor awaits.
    @strawberry.field(description="Utilisateurs: how many users (employees) the account has.")
    def user_count(self, info: strawberry.Info) -> int:
        if "user_count" in self.prefetched:
            return int(self.prefetched["user_count"])
        return info.context.loaders["core.account_user_count"].load(self.id)

    @strawberry.field(description="Poste: the professional's extension; null for a company.")
    def extension(self, info: strawberry.Info) -> str | None:
        if self.kind != AccountKind.PROFESSIONAL:
            return None
        if "extension" in self.prefetched:
            return self.prefetched["extension"]
        return info.context.loaders["core.account_extension"].load(self.id)

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Account]:
        return scoping.accounts_visible(principal)


@strawberry.type(name="User", description="A person who can sign in. No password ever shows.")
class UserNode(RowNode):
    COLUMNS = USER_COLUMNS

    id: relay.NodeID[int]
    role: UserRole = strawberry.field(description="The person's own role (rôle).")
    login: str = strawberry.field(description="The login id (identifiant) they sign in with.")
    email: str = strawberry.field(description="Their email (courriel); sign-in accepts it too.")
    first_name: str = strawberry.field(description="Given name (prénom).")
    last_name: str = strawberry.field(description="Family name (nom).")
    language: str = strawberry.field(
        description="Their language (fr or en): the portal and their emails use it.")
    phone: str | None = strawberry.field(
        description="Their phone number, E.164; null when none was given.")
    extension: str | None = strawberry.field(description="Poste / phone extension.")
    is_active: bool = strawberry.field(
        description="Whether they may sign in (false once disabled).")
    created_at: DateTime = strawberry.field(description="When the user was created.")
    reseller_id: strawberry.Private[int | None]
    account_id: strawberry.Private[int | None]

    @strawberry.field(description="First and last name, or the login id when both are empty.")
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
