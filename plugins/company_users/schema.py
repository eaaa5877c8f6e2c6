"""GraphQL of a company's users: the list (``companyUsers``) and the company admin's (and the
reseller's) mutations: create, edit, suspend, resume, delete, send the access codes, reset the
PIN. The rules are in ``services``."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry

from gateway.api import (
    ACCOUNT_NOT_FOUND,
    STAFF,
    Connection,
    DateTime,
    Error,
    Role,
    build_connection,
    describe_enum_values,
    error_type,
    field,
    given,
    global_id,
    listed_pk,
    mutation,
    node_pk,
    page_window,
)
from plugins.company_users import errors as e
from plugins.company_users import services

MANAGERS = (*STAFF, Role.COMPANY_ADMIN)


@error_type("CompanyUser", e.CompanyUserErrorCode)
class CompanyUserError(Error):
    """A refusal of the company users area."""


describe_enum_values(e.CompanyUserErrorCode, {
    "REQUIRED": "A value is missing: the email, or both names.",
    "INVALID": "A malformed value: the PIN (4 to 10 digits), the extension's shape, the role.",
    "TOO_LONG": "A name (100), the email (254) or the search (100) is too long.",
    "INVALID_EMAIL": "The email is not one valid address.",
    "INVALID_LANGUAGE": "The language is not fr or en.",
    "NOT_FOUND": "No such account or user among those you may manage.",
    "NOT_ALLOWED": "You may not manage this user (a reseller's delegate is the reseller's to "
    "manage).",
    "MANAGEMENT_FORBIDDEN": "The reseller forbids the company admin to manage users (Interdire "
    "la gestion des utilisateurs); the reseller's staff still can.",
    "DIRECT_ACCESS_FORBIDDEN": "Credentials (login email, PIN) do not change inside direct "
    "access.",
    "WRONG_ACCOUNT_KIND": "A professional account has no employees.",
    "ACCOUNT_UNSUBSCRIBED": "The account is unsubscribed: its users do not change.",
    "EMAIL_TAKEN": "Another user (of any account) already signs in with this email.",
    "OUT_OF_RANGE": "The extension is outside the account's users' range.",
    "EXTENSION_TAKEN": "The extension is already used in the account (or its organisation).",
    "RANGE_FULL": "No free extension is left in the users' range: the reseller must widen it.",
    "SELF": "You cannot delete, suspend or demote yourself.",
    "LAST_ADMIN": "The company must keep one active company admin.",
    "USER_SUSPENDED": "The user is suspended: resume the user first.",
    "TEST_MODE": "The account is in test mode: no email is sent.",
    "PIN_MISMATCH": "The PIN's confirmation differs from the PIN.",
})


class CompanyUserRole(Enum):
    EMPLOYEE = "EMPLOYEE"
    COMPANY_ADMIN = "COMPANY_ADMIN"


strawberry.enum(CompanyUserRole, description="A user's role within the company: employee "
                "(employé) or company administrator (administrateur-entreprise).")
describe_enum_values(CompanyUserRole, {
    "EMPLOYEE": "An employee (employé): uses the services, manages no one.",
    "COMPANY_ADMIN": "A company administrator (administrateur-entreprise): manages the "
    "company's users and configuration.",
})


@strawberry.type(description="An employee or company administrator of a company account, as "
                 "the company's users page shows them. No password or PIN ever shows.")
class CompanyUser:
    id: strawberry.ID = strawberry.field(description="The user's global ID (a User: "
                                         "`node(id:)` fetches it back).")
    first_name: str = strawberry.field(description="Given name (prénom).")
    last_name: str = strawberry.field(description="Family name (nom).")
    email: str = strawberry.field(description="Their email (courriel), lower-case.")
    login: str = strawberry.field(description="The login id (identifiant) they sign in with.")
    language: str = strawberry.field(description="Their language (fr or en): the portal, "
                                     "their emails and the phone menus use it.")
    extension: str | None = strawberry.field(description="Their extension (poste), within the "
                                             "account's users' range.")
    role: CompanyUserRole = strawberry.field(description="Employee or company administrator.")
    active: bool = strawberry.field(description="False while suspended: they cannot sign in.")
    has_pin: bool = strawberry.field(description="Whether a PIN (NIP) is set; the PIN itself "
                                     "never shows.")
    created_at: DateTime = strawberry.field(description="When the user was created.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CompanyUser:
        return cls(id=global_id("User", row["id"]), first_name=row["first_name"],
                   last_name=row["last_name"], email=row["email"], login=row["login"],
                   language=row["language"], extension=row["extension"],
                   role=CompanyUserRole(str(row["role"])), active=row["is_active"],
                   has_pin=row["has_pin"], created_at=row["created_at"])


async def _user(user_id: int) -> CompanyUser:
    [row] = await services.user_rows([user_id])
    return CompanyUser.from_row(row)


# --- Inputs and payloads ----------------------------------------------------------------------

@strawberry.input(description="A new employee or company administrator of a company account.")
class CreateCompanyUserInput:
    account_id: strawberry.ID = strawberry.field(description="The company account (its global "
                                                 "ID or CID).")
    email: str = strawberry.field(description="Their email, also their login id: unique on "
                                  "the platform.")
    first_name: str | None = strawberry.field(default=None, description="Given name (prénom); "
                                              "a first or last name is needed.")
    last_name: str | None = strawberry.field(default=None, description="Family name (nom).")
    language: str | None = strawberry.field(default=None, description="fr or en; the "
                                            "account's language when left out.")
    role: CompanyUserRole | None = strawberry.field(default=None, description="EMPLOYEE when "
                                                    "left out.")
    extension: str | None = strawberry.field(default=None, description="A free extension of "
                                             "the users' range; the next free one when left "
                                             "out.")


@strawberry.input(description="What changes of a company user; what is left out stays.")
class UpdateCompanyUserInput:
    user_id: strawberry.ID = strawberry.field(description="The user (a CompanyUser's id).")
    first_name: str | None = strawberry.field(default=None, description="Given name (prénom).")
    last_name: str | None = strawberry.field(default=None, description="Family name (nom).")
    email: str | None = strawberry.field(default=None, description="A new email (the login "
                                         "id follows it); not inside direct access.")
    language: str | None = strawberry.field(default=None, description="fr or en.")
    role: CompanyUserRole | None = strawberry.field(default=None, description="The role; the "
                                                    "last active company admin stays one.")
    extension: str | None = strawberry.field(default=None, description="A free extension of "
                                             "the users' range.")


@strawberry.input(description="The company user a mutation acts on.")
class CompanyUserIdInput:
    user_id: strawberry.ID = strawberry.field(description="The user (a CompanyUser's id).")


@strawberry.input(description="A company user's new PIN (NIP), typed twice.")
class SetCompanyUserPinInput:
    user_id: strawberry.ID = strawberry.field(description="The user (a CompanyUser's id).")
    pin: str = strawberry.field(description="4 to 10 digits; kept hashed, never shown.")
    pin_confirmation: str = strawberry.field(description="The same PIN again.")


@strawberry.type(description="The result of a change to a company user.")
class CompanyUserPayload:
    user: CompanyUser | None = strawberry.field(description="The user as saved; null when "
                                                "errors.")
    errors: list[CompanyUserError] = strawberry.field(
        default_factory=list, description="Why nothing was done; empty on success.")


@strawberry.type(description="The result of deleteCompanyUser.")
class DeleteCompanyUserPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The deleted user's id; "
                                                        "null when errors.")
    errors: list[CompanyUserError] = strawberry.field(
        default_factory=list, description="Why nothing was deleted; empty on success.")


@strawberry.type(description="The result of sendCompanyUserAccessCodes.")
class SendCompanyUserAccessCodesPayload:
    user: CompanyUser | None = strawberry.field(description="The user emailed; null when "
                                                "errors.")
    sent_to: str | None = strawberry.field(description="The address the access codes went to; "
                                           "null when errors.")
    errors: list[CompanyUserError] = strawberry.field(
        default_factory=list, description="Why nothing was sent; empty on success.")


def _account_pk(raw: strawberry.ID) -> int:
    return node_pk(raw, "Account", ["input", "accountId"], ACCOUNT_NOT_FOUND)


def _user_pk(raw: strawberry.ID) -> int:
    return node_pk(raw, "User", ["input", "userId"], e.USER_NOT_FOUND)


def _changes(input: Any, names: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in names:
        value = getattr(input, name)
        if given(value):
            values[name] = value.value if isinstance(value, Enum) else value
    return values


FORM = ("first_name", "last_name", "email", "language", "role", "extension")


@strawberry.type
class CompanyUsersQuery:
    @field(*MANAGERS, description="The users (employees and company administrators) of a "
           "company account, by last then first name: its company admin, reseller staff, "
           "system admins, API tokens.")
    async def company_users(
        self, info: strawberry.Info,
        account_id: Annotated[strawberry.ID, strawberry.argument(
            description="The company account (global ID or CID); another tenant's is not "
            "found.")],
        search: Annotated[str | None, strawberry.argument(
            description="Only users whose name or email contains it, or whose extension it "
            "is.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[CompanyUser]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = await services.users_of(info.context.principal,
                                        listed_pk(account_id, "Account", ["accountId"]), search)
        total = await query.count()
        rows = await query.order_by("last_name", "first_name", "id").offset(offset).limit(
            limit + 1).values(*services.USER_COLUMNS)
        return build_connection([services.user_row(r) for r in rows], offset, limit, total,
                                CompanyUser.from_row)


@strawberry.type
class CompanyUsersMutation:
    @mutation(*MANAGERS, errors=CompanyUserError, description="Create an employee or company "
              "administrator, with an extension of the users' range; then send their access "
              "codes.")
    async def create_company_user(
        self, info: strawberry.Info,
        input: Annotated[CreateCompanyUserInput, strawberry.argument(
            description="The account and the new user's details.")],
    ) -> CompanyUserPayload:
        user = await services.create_user(info.context.principal,
                                          _account_pk(input.account_id), _changes(input, FORM))
        return CompanyUserPayload(user=await _user(user.id))

    @mutation(*MANAGERS, errors=CompanyUserError, description="Edit a company user's names, "
              "email, language, role or extension.")
    async def update_company_user(
        self, info: strawberry.Info,
        input: Annotated[UpdateCompanyUserInput, strawberry.argument(
            description="The user and what changes.")],
    ) -> CompanyUserPayload:
        user = await services.update_user(info.context.principal, _user_pk(input.user_id),
                                          _changes(input, FORM), host=info.context.host)
        return CompanyUserPayload(user=await _user(user.id))

    @mutation(*MANAGERS, errors=CompanyUserError, description="Suspend a company user: they "
              "cannot sign in and their sessions end.")
    async def suspend_company_user(
        self, info: strawberry.Info,
        input: Annotated[CompanyUserIdInput, strawberry.argument(
            description="The user to suspend.")],
    ) -> CompanyUserPayload:
        user = await services.set_active(info.context.principal, _user_pk(input.user_id),
                                         False)
        return CompanyUserPayload(user=await _user(user.id))

    @mutation(*MANAGERS, errors=CompanyUserError, description="Resume a suspended company "
              "user: they may sign in again.")
    async def resume_company_user(
        self, info: strawberry.Info,
        input: Annotated[CompanyUserIdInput, strawberry.argument(
            description="The user to resume.")],
    ) -> CompanyUserPayload:
        user = await services.set_active(info.context.principal, _user_pk(input.user_id),
                                         True)
        return CompanyUserPayload(user=await _user(user.id))

    @mutation(*MANAGERS, errors=CompanyUserError, description="Delete a company user with "
              "their sessions, mailbox and personal data (not oneself, not the last admin).")
    async def delete_company_user(
        self, info: strawberry.Info,
        input: Annotated[CompanyUserIdInput, strawberry.argument(
            description="The user to delete.")],
    ) -> DeleteCompanyUserPayload:
        deleted = await services.delete_user(info.context.principal, _user_pk(input.user_id),
                                             host=info.context.host)
        return DeleteCompanyUserPayload(deleted_id=global_id("User", deleted))

    @mutation(*MANAGERS, errors=CompanyUserError, description="Email a company user their "
              "access codes: the login id and a single-use link to choose a password.")
    async def send_company_user_access_codes(
        self, info: strawberry.Info,
        input: Annotated[CompanyUserIdInput, strawberry.argument(
            description="The user to email.")],
    ) -> SendCompanyUserAccessCodesPayload:
        user = await services.send_access_codes(info.context.principal,
                                                _user_pk(input.user_id),
                                                host=info.context.host)
        return SendCompanyUserAccessCodesPayload(user=await _user(user.id), sent_to=user.email)

    @mutation(*MANAGERS, errors=CompanyUserError, description="Reset a company user's PIN "
              "(NIP, phone access): 4 to 10 digits, typed twice; not inside direct access.")
    async def set_company_user_pin(
        self, info: strawberry.Info,
        input: Annotated[SetCompanyUserPinInput, strawberry.argument(
            description="The user and the new PIN, twice.")],
    ) -> CompanyUserPayload:
        user = await services.set_pin(info.context.principal, _user_pk(input.user_id),
                                      input.pin, input.pin_confirmation)
        return CompanyUserPayload(user=await _user(user.id))
