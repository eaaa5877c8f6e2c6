"""A company's users, run by its company administrator or by the reseller (issue 20, seeds:
Clients, administrateur-entreprise; Plages de numéros; Restrictions de gestion du compte;
Envoyer les codes d'accès), callable without GraphQL.

Who: reseller staff, system admins and API tokens for the accounts they see (also a reseller
inside the account through direct access), whatever the account's restrictions; the account's
own company admin unless the reseller chose "Interdire la gestion des utilisateurs" (reading
the list stays allowed). Anyone else's account or user is "not found".

Every user has an extension of the account's users' range (account settings); logins are
email addresses, unique platform-wide and lower-case. The company always keeps one active
company admin. Credentials (login email, PIN) never change inside direct access.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from tortoise import Tortoise
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.fields import OnDelete
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    LANGUAGES,
    LINK_LIFETIME,
    MAX_EMAIL,
    STAFF,
    Account,
    AccountKind,
    AuditEntry,
    BillingStatus,
    OneTimeTokenPurpose,
    PluginHost,
    Principal,
    Problem,
    Reseller,
    ResellerDelegate,
    Role,
    Session,
    User,
    UserRole,
    account_for,
    accounts_visible,
    hash_secret,
    is_email,
    issue_password_link,
    raise_all,
    send_email,
)
from plugins.account_settings.api import (
    MailboxMessage,
    assign_user_extension,
    file_of,
    get_options,
)
from plugins.clients.api import is_test_mode
from plugins.company_users import errors as e
from plugins.company_users.errors import CompanyUserErrorCode as Code

COMPANY_ROLES = (UserRole.EMPLOYEE, UserRole.COMPANY_ADMIN)
MAX_NAME = 100  # the columns' size (core User)
MAX_SEARCH = 100
ACCESS_CODES_TEMPLATE = "company_users_access_codes"
EMAIL_CHANGED_TEMPLATE = "company_users_email_changed"
PIN = re.compile(r"^\d{4,10}$")
# What a list page reads of a user; ``pin_hash`` only becomes ``has_pin`` (see ``user_row``).
USER_COLUMNS = ("id", "account_id", "role", "login", "email", "first_name", "last_name",
                "language", "extension", "is_active", "pin_hash", "created_at")

Path = list[str | int]


def user_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of ``USER_COLUMNS`` as shown: the PIN's hash becomes whether there is one."""
    shown = {key: value for key, value in row.items() if key != "pin_hash"}
    shown["has_pin"] = bool(row.get("pin_hash"))
    return shown


async def user_rows(user_ids: list[int]) -> list[dict[str, Any]]:
    rows = await User.filter(id__in=user_ids).values(*USER_COLUMNS)
    return [user_row(row) for row in rows]


# --- Who may manage which users ------------------------------------------------------------

def acts_for_reseller(principal: Principal) -> bool:
    """Reseller staff, system admins, API tokens, and a reseller inside the account through
    direct access: the account's restrictions never bind them."""
    return principal.role in STAFF or principal.direct_access


async def company_account(principal: Principal | None, account_id: int, *,
                          field: Path | None = None, reading: bool = False) -> Account:
    """The company account whose users the caller manages (``reading``: only lists them);
    refused with its reason otherwise."""
    where: Path = field if field is not None else ["input", "accountId"]
    if principal is None:
        raise Problem(Code.NOT_FOUND, e.ACCOUNT_NOT_FOUND, where)
    account = await account_for(principal, account_id, where)
    if account.kind != AccountKind.COMPANY:
        raise Problem(Code.WRONG_ACCOUNT_KIND, e.COMPANY_ONLY, where)
    if not acts_for_reseller(principal):
        if principal.role != Role.COMPANY_ADMIN or principal.account_id != account.id:
            raise Problem(Code.NOT_ALLOWED, e.NOT_ALLOWED, where)
        if not reading and (await get_options(account.id)).forbid_user_management:
            raise Problem(Code.MANAGEMENT_FORBIDDEN, e.MANAGEMENT_FORBIDDEN, where)
    if not reading and account.billing_status == BillingStatus.UNSUBSCRIBED:
        raise Problem(Code.ACCOUNT_UNSUBSCRIBED, e.ACCOUNT_UNSUBSCRIBED, where)
    return account


async def company_user(principal: Principal | None, user_id: int, *,
                       field: Path | None = None) -> tuple[Account, User]:
    """An employee or company admin of an account the caller manages, with the account. A
    company admin never manages a user who is also a reseller's delegate (staff)."""
    where: Path = field if field is not None else ["input", "userId"]
    visible = accounts_visible(principal).filter(kind=AccountKind.COMPANY).values("id")
    user = await User.filter(id=user_id, role__in=COMPANY_ROLES,
                             account_id__in=Subquery(visible)).first()
    if principal is None or user is None or user.account_id is None:
        raise Problem(Code.NOT_FOUND, e.USER_NOT_FOUND, where)
    account = await company_account(principal, user.account_id, field=where)
    if not acts_for_reseller(principal) and await ResellerDelegate.filter(
            user_id=user.id).exists():
        raise Problem(Code.NOT_ALLOWED, e.STAFF_USER, where)
    return account, user


def signed_in(principal: Principal | None) -> Principal:
    """The caller of a change (root fields admit only signed-in roles)."""
    if principal is None:
        raise Problem(Code.NOT_ALLOWED, e.NOT_ALLOWED)
    return principal


def _is_self(principal: Principal, user: User) -> bool:
    return not principal.direct_access and principal.user_id == user.id


async def _lock(account: Account) -> None:
    """One change of the account's admins at a time (the last admin stays)."""
    await Account.filter(id=account.id).select_for_update().values_list("id")


async def _keep_an_admin(account: Account, user: User, field: Path) -> None:
    """Refuse taking away the last active company admin (call it with the account locked)."""
    if user.role != UserRole.COMPANY_ADMIN or not user.is_active:
        return
    others = User.filter(account_id=account.id, role=UserRole.COMPANY_ADMIN,
                         is_active=True).exclude(id=user.id)
    if not await others.exists():
        raise Problem(Code.LAST_ADMIN, e.LAST_ADMIN, field)


# --- Reading ---------------------------------------------------------------------------------

async def users_of(principal: Principal | None, account_id: int,
                   search: str | None = None) -> QuerySet[User]:
    """The account's employees and company admins, optionally those whose name, email or
    extension contains ``search``."""
    await company_account(principal, account_id, field=["accountId"], reading=True)
    query = User.filter(account_id=account_id, role__in=COMPANY_ROLES)
    text = (search or "").strip()
    if len(text) > MAX_SEARCH:
        raise Problem(Code.TOO_LONG, e.SEARCH_TOO_LONG, ["search"], max=MAX_SEARCH)
    if text:
        query = query.filter(Q(first_name__icontains=text) | Q(last_name__icontains=text)
                             | Q(email__icontains=text) | Q(extension=text))
    return query


# --- Input -----------------------------------------------------------------------------------

def _clean_names(data: Mapping[str, Any], creating: bool, values: dict[str, Any],
                 problems: list[Problem]) -> None:
    for key, name in (("first_name", "firstName"), ("last_name", "lastName")):
        if key in data:
            text = str(data[key] or "").strip()
            if len(text) > MAX_NAME:
                problems.append(Problem(Code.TOO_LONG, e.TOO_LONG, ["input", name],
                                        max=MAX_NAME))
            values[key] = text
    both_cleared = "first_name" in values and "last_name" in values
    if (creating or both_cleared) and not (values.get("first_name") or values.get("last_name")):
        problems.append(Problem(Code.REQUIRED, e.NO_NAME, ["input", "firstName"]))


def _clean_email(data: Mapping[str, Any], values: dict[str, Any],
                 problems: list[Problem]) -> None:
    email = str(data.get("email") or "").strip().lower()
    if not email:
        problems.append(Problem(Code.REQUIRED, e.REQUIRED, ["input", "email"]))
    elif len(email) > MAX_EMAIL:
        problems.append(Problem(Code.TOO_LONG, e.TOO_LONG, ["input", "email"], max=MAX_EMAIL))
    elif not is_email(email):
        problems.append(Problem(Code.INVALID_EMAIL, e.INVALID_EMAIL, ["input", "email"]))
    values["email"] = email


def _clean(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """The checked values of a user's form: names, email, language, role (extension apart)."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    _clean_names(data, creating, values, problems)
    if "email" in data or creating:
        _clean_email(data, values, problems)
    if "language" in data:
        values["language"] = str(data["language"] or "").strip().lower()
        if values["language"] not in LANGUAGES:
            problems.append(Problem(Code.INVALID_LANGUAGE, e.INVALID_LANGUAGE,
                                    ["input", "language"]))
    if "role" in data:
        values["role"] = next((r for r in COMPANY_ROLES if r.value == str(data["role"])), None)
        if values["role"] is None:
            problems.append(Problem(Code.INVALID, e.WRONG_ROLE, ["input", "role"]))
    raise_all(problems)
    return values


async def _email_free(email: str, user_id: int | None) -> None:
    """Logins and emails are unique platform-wide (another reseller's person included)."""
    taken = User.filter(Q(login=email) | Q(email=email))
    if user_id is not None:
        taken = taken.exclude(id=user_id)
    if await taken.exists():
        raise Problem(Code.EMAIL_TAKEN, e.EMAIL_TAKEN, ["input", "email"])


_EXTENSION_TEXTS = {"INVALID": e.EXTENSION_SHAPE, "OUT_OF_RANGE": e.EXTENSION_OUT_OF_RANGE,
                    "EXTENSION_TAKEN": e.EXTENSION_TAKEN, "RANGE_FULL": e.RANGE_FULL}


async def _give_extension(account: Account, user_id: int, extension: str | None) -> None:
    """``extension`` (checked: free and in the users' range) or the next free one, through the
    account settings' allocation (one at a time per organisation)."""
    field: Path = ["input", "extension"]
    try:
        await assign_user_extension(account, user_id, extension)
    except Problem as problem:
        text = _EXTENSION_TEXTS.get(problem.code_name)
        if text is None:
            raise
        raise Problem(Code[problem.code_name], text, field, **problem.values) from None


# --- Changes ---------------------------------------------------------------------------------

async def create_user(principal: Principal | None, account_id: int,
                      data: Mapping[str, Any]) -> User:
    """A new employee (or company admin) of the account: ``first_name``, ``last_name``,
    ``email`` (the login id), ``language`` (the account's by default), ``role`` (EMPLOYEE by
    default), ``extension`` (the next free one of the users' range by default). No password:
    send the access codes for the person to choose one."""
    account = await company_account(principal, account_id)
    values = _clean(data, creating=True)
    values.setdefault("language", account.language if account.language in LANGUAGES else "fr")
    values["role"] = values.get("role") or UserRole.EMPLOYEE
    extension = data.get("extension")
    try:
        async with in_transaction():
            await _email_free(values["email"], None)
            user = await User.create(reseller_id=account.reseller_id, account_id=account.id,
                                     login=values["email"], password_hash=None, **values)
            await _give_extension(account, user.id,
                                  None if extension is None else str(extension))
    except IntegrityError:  # the same address taken meanwhile by another request
        raise Problem(Code.EMAIL_TAKEN, e.EMAIL_TAKEN, ["input", "email"]) from None
    return await User.get(id=user.id)


async def update_user(caller: Principal | None, user_id: int,
                      changes: Mapping[str, Any], *, host: PluginHost) -> User:
    """Change what is given of a user's names, email (the login id too), language, role and
    extension; the last active company admin stays one. A changed address: the previous one
    hears of it (unless the account is in test mode), so a login cannot move quietly."""
    principal = signed_in(caller)
    account, user = await company_user(principal, user_id)
    values = _clean(changes, creating=False)
    if values.get("email") == user.email:
        values.pop("email")
    if "email" in values:
        if principal.direct_access:
            raise Problem(Code.DIRECT_ACCESS_FORBIDDEN, e.DIRECT_ACCESS_FORBIDDEN,
                          ["input", "email"])
        if user.login == user.email:  # the login id follows the address it was
            values["login"] = values["email"]
    demoted = values.get("role") == UserRole.EMPLOYEE and user.role == UserRole.COMPANY_ADMIN
    if demoted and _is_self(principal, user):
        raise Problem(Code.SELF, e.SELF["demote"], ["input", "role"])
    extension = changes.get("extension")
    try:
        async with in_transaction():
            await _lock(account)
            if demoted:
                await _keep_an_admin(account, user, ["input", "role"])
            if "email" in values:
                await _email_free(values["email"], user.id)
            if values:
                await User.filter(id=user.id).update(**values)
            if extension is not None:
                await _give_extension(account, user.id, str(extension))
            if "email" in values and user.email and not await is_test_mode(account.id):
                await _tell_old_address(host, account, user, values)
    except IntegrityError:
        raise Problem(Code.EMAIL_TAKEN, e.EMAIL_TAKEN, ["input", "email"]) from None
    return await User.get(id=user.id)


async def _tell_old_address(host: PluginHost, account: Account, user: User,
                            changed: Mapping[str, Any]) -> None:
    """``user`` as it was; ``changed``: what the edit saved (the new address, maybe the
    language and names the person reads the message in)."""
    reseller = await Reseller.get(id=account.reseller_id)
    language = changed.get("language", user.language)
    name = " ".join(str(changed.get(k, getattr(user, k)) or "")
                    for k in ("first_name", "last_name")).strip()
    await send_email(
        to=user.email, template=EMAIL_CHANGED_TEMPLATE,
        language=language if language in LANGUAGES else "fr",
        values={"name": name, "new_email": changed["email"], "account_name": account.name,
                "reseller": reseller.name},
        gateway=host)


async def set_active(caller: Principal | None, user_id: int, active: bool) -> User:
    """Suspend (``active`` false: the person cannot sign in and every session of theirs ends)
    or resume a user. Nobody suspends themselves, nor the last active company admin."""
    principal = signed_in(caller)
    account, user = await company_user(principal, user_id)
    if not active and _is_self(principal, user):
        raise Problem(Code.SELF, e.SELF["suspend"], ["input", "userId"])
    async with in_transaction():
        await _lock(account)
        if not active:
            await _keep_an_admin(account, user, ["input", "userId"])
            await Session.filter(user_id=user.id, ended_at__isnull=True).update(
                ended_at=dt.datetime.now(dt.UTC))
        await User.filter(id=user.id).update(is_active=active)
    return await User.get(id=user.id)


async def delete_user(caller: Principal | None, user_id: int, *, host: PluginHost) -> int:
    """Delete a user with what is theirs (sessions, links, mailbox and its files, personal
    contacts, number operators...): refused for oneself and the last active company admin.
    A person the audit log names keeps a row for it (the log is append-only): that row loses
    every personal detail but the name, its credentials and its account, and leaves every list
    of the company, so the log still says who did what. Returns the id."""
    principal = signed_in(caller)
    account, user = await company_user(principal, user_id)
    field: Path = ["input", "userId"]
    if _is_self(principal, user):
        raise Problem(Code.SELF, e.SELF["delete"], field)
    async with in_transaction():
        await _lock(account)
        await _keep_an_admin(account, user, field)
        await host.call_async("gateway_user_removed", account=account, user_id=user.id)
        files = await MailboxMessage.filter(user_id=user.id).values_list("storage_key",
                                                                          flat=True)
        if await AuditEntry.filter(Q(actor_id=user.id) | Q(acting_as_id=user.id)).exists():
            await _release_everything_of(user.id)
            await _scrub(user.id)
        else:
            await MailboxMessage.filter(user_id=user.id).delete()
            await Session.filter(user_id=user.id).delete()
            try:
                async with in_transaction():  # a savepoint: an entry written meanwhile
                    await User.filter(id=user.id).delete()  # the rest cascades
            except IntegrityError:
                await _release_everything_of(user.id)
                await _scrub(user.id)
    for key in files:
        try:
            file_of(host, {"storage_key": key}).unlink(missing_ok=True)
        except OSError:  # the row is gone; an orphan file is only disk space
            pass
    return user.id


def _references_to_users() -> list[tuple[type[Model], str, OnDelete]]:
    """Every column of every enabled plugin's tables pointing at a user (but the audit log's),
    with what the database does when that user is deleted."""
    found = []
    for app in Tortoise.apps.values():
        for model in app.values():
            for name in model._meta.fk_fields:
                fk = model._meta.fields_map[name]
                if getattr(fk, "related_model", None) is User and model is not AuditEntry:
                    found.append((model, f"{name}_id", fk.on_delete))
    return found


async def _release_everything_of(user_id: int) -> None:
    """What deleting the user would do to the rows pointing at them (CASCADE: deleted, SET
    NULL: cleared), done by hand for a user whose row the audit log keeps."""
    for model, column, on_delete in _references_to_users():
        rows = model.filter(**{column: user_id})
        if on_delete == OnDelete.CASCADE:
            await rows.delete()
        elif on_delete == OnDelete.SET_NULL:
            await rows.update(**{column: None})


async def _scrub(user_id: int) -> None:
    # Logins are unique: the address becomes free for a new user.
    placeholder = f"deleted-{user_id}@deleted.invalid"
    await User.filter(id=user_id).update(
        account_id=None, login=placeholder, email=placeholder, phone=None, extension=None,
        password_hash=None, pin_hash=None, is_active=False, role=UserRole.EMPLOYEE)


async def send_access_codes(caller: Principal | None, user_id: int, *, host: PluginHost) -> User:
    """Email the user their access codes (seed: Envoyer les codes d'accès): the login id and a
    single-use, expiring link to choose a password, in the user's language. Nobody ever reads
    a password. Refused for a suspended user and an account in test mode (no email leaves)."""
    principal = signed_in(caller)
    account, user = await company_user(principal, user_id)
    if not user.is_active:
        raise Problem(Code.USER_SUSPENDED, e.USER_SUSPENDED, ["input", "userId"])
    if await is_test_mode(account.id):
        raise Problem(Code.TEST_MODE, e.TEST_MODE, ["input", "userId"])
    reseller = await Reseller.get(id=account.reseller_id)
    async with in_transaction():
        link = await issue_password_link(user, OneTimeTokenPurpose.SET_PASSWORD, gateway=host)
        await send_email(
            to=user.email, template=ACCESS_CODES_TEMPLATE,
            language=user.language if user.language in LANGUAGES else "fr",
            values={"name": user.full_name, "login": user.login, "link": link,
                    "account_name": account.name, "reseller": reseller.name,
                    "days": LINK_LIFETIME[OneTimeTokenPurpose.SET_PASSWORD].days},
            gateway=host)
    return user


async def set_pin(caller: Principal | None, user_id: int, pin: str, confirmation: str) -> User:
    """Reset a user's PIN (NIP, phone access): 4 to 10 digits, typed twice, kept hashed."""
    principal = signed_in(caller)
    _, user = await company_user(principal, user_id)
    if principal.direct_access:
        raise Problem(Code.DIRECT_ACCESS_FORBIDDEN, e.DIRECT_ACCESS_FORBIDDEN, ["input", "pin"])
    if not PIN.match(pin or ""):
        raise Problem(Code.INVALID, e.PIN_SHAPE, ["input", "pin"])
    if pin != confirmation:
        raise Problem(Code.PIN_MISMATCH, e.PIN_MISMATCH, ["input", "pinConfirmation"])
    hashed = await asyncio.to_thread(hash_secret, pin)
    await User.filter(id=user.id).update(pin_hash=hashed)
    return await User.get(id=user.id)
