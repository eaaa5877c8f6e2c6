"""Contacts: a user's personal ones and an account's shared ones (the voice directory),
within the account's limits; searched by name or number (later used to name callers)."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    Account,
    AccountKind,
    Principal,
    Problem,
    Role,
    User,
    accounts_visible,
    is_email,
    normalize_phone_number,
    raise_all,
)
from plugins.account_settings import errors as e
from plugins.account_settings.errors import AccountSettingsErrorCode as Code
from plugins.account_settings.models import Contact
from plugins.account_settings.options import locked_options
from plugins.account_settings.services import ensure_may_manage, ensure_self_service, is_staff

MAX_NAME = 200


def clean_contact(data: dict[str, Any]) -> dict[str, Any]:
    """Name required, a phone number (E.164) or an email; every problem at once."""
    problems: list[Problem] = []
    name = str(data.get("name") or "").strip()
    if not name:
        problems.append(Problem(Code.REQUIRED, e.REQUIRED, ["input", "name"]))
    elif len(name) > MAX_NAME:
        problems.append(Problem(Code.INVALID, e.TOO_LONG, ["input", "name"], max=MAX_NAME))
    number = str(data.get("phone_number") or "").strip() or None
    if number:
        try:
            number = normalize_phone_number(number)
        except ValueError:
            problems.append(Problem(Code.INVALID, e.INVALID_PHONE, ["input", "phoneNumber"]))
    email = str(data.get("email") or "").strip().lower()
    if email and not is_email(email):
        problems.append(Problem(Code.INVALID, e.INVALID_EMAIL, ["input", "email"]))
    if not number and not email and name:
        problems.append(Problem(Code.REQUIRED, e.CONTACT_NEEDS_WAY, ["input", "phoneNumber"]))
    raise_all(problems)
    return {"name": name, "phone_number": number, "email": email}


async def limit_for(account: Account, owner_id: int | None) -> tuple[int, int]:
    """(limit, count now) for a new contact: personal ones against the contacts limit; shared
    ones against the voice directory's (a company's counts its employees too)."""
    options = await locked_options(account.id)
    if owner_id is not None:
        count = await Contact.filter(account_id=account.id, owner_id=owner_id).count()
        return options.contacts_limit, count
    count = await Contact.filter(account_id=account.id, owner_id__isnull=True).count()
    if AccountKind(account.kind) == AccountKind.COMPANY:
        count += await User.filter(account_id=account.id, is_active=True).count()
        return options.shared_contacts_limit, count
    return options.directory_contacts_limit, count


async def may_write_shared(principal: Principal, account: Account) -> None:
    """Who changes the account's shared contacts (its voice directory): its managers, and the
    professional itself unless the account is admin-managed."""
    if principal.role == Role.PROFESSIONAL and principal.account_id == account.id:
        # The voice directory is the account's configuration: not while admin-managed.
        await ensure_self_service(principal, account)
        return
    await ensure_may_manage(principal, account)


def owner_for(principal: Principal, user_id: int | None) -> int:
    """Whose personal contacts: staff name a user of the account, others are themselves
    (naming another user is "not found")."""
    if is_staff(principal):
        if user_id is None:
            raise Problem(Code.REQUIRED, e.CONTACT_OWNER, ["input", "userId"])
        return user_id
    if user_id is not None and user_id != principal.user_id:
        raise Problem(Code.NOT_FOUND, e.WRONG_USER, ["input", "userId"])
    return int(principal.user_id or 0)


def listing(principal: Principal, account: Account, *, shared: bool, user_id: int | None,
            search_text: str | None) -> QuerySet[Contact]:
    """The account's shared contacts, or someone's personal ones (see :func:`owner_for`),
    searched, by name."""
    query = Contact.filter(account_id=account.id)
    if shared:
        query = query.filter(owner_id__isnull=True)
    else:
        query = query.filter(owner_id=owner_for(principal, user_id))
    return search(query, search_text).order_by("name", "id")


async def add_contact(account: Account, owner_id: int | None, data: dict[str, Any]) -> Contact:
    """A personal contact of ``owner_id`` (a user of the account), or a shared one (None)."""
    values = clean_contact(data)
    if owner_id is not None and not await User.filter(id=owner_id,
                                                      account_id=account.id).exists():
        raise Problem(Code.NOT_FOUND, e.WRONG_USER, ["input", "userId"])
    async with in_transaction():
        # The settings row is locked while counting: two additions cannot pass the limit.
        limit, count = await limit_for(account, owner_id)
        if count >= limit:
            raise Problem(Code.LIMIT_REACHED, e.CONTACT_LIMIT, None, max=limit)
        return await Contact.create(account_id=account.id, owner_id=owner_id, **values)


async def add_contact_for(principal: Principal, account: Account, *, shared: bool,
                          user_id: int | None, data: dict[str, Any]) -> Contact:
    """What the caller adds: a shared contact (not an employee; see
    :func:`may_write_shared`), or a personal one (see :func:`owner_for`)."""
    owner: int | None = None
    if shared:
        if principal.role == Role.EMPLOYEE:
            raise Problem(Code.NOT_ALLOWED, e.NOT_ALLOWED)
        await may_write_shared(principal, account)
    else:
        owner = owner_for(principal, user_id)
    return await add_contact(account, owner, data)


async def changeable(principal: Principal, contact_id: int) -> Contact:
    """A contact the caller may change: its own, any personal one for staff, or a shared one
    it may write; any other (another tenant's included) is "not found"."""
    visible = Subquery(accounts_visible(principal).values("id"))
    row = await Contact.filter(id=contact_id, account_id__in=visible).first()
    if row is None or (row.owner_id is not None and not is_staff(principal)
                       and row.owner_id != principal.user_id):
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, ["input", "id"])
    if row.owner_id is None:
        await may_write_shared(principal, await Account.get(id=row.account_id))
    return row


async def update_contact(principal: Principal, contact_id: int, data: dict[str, Any]) -> Contact:
    row = await changeable(principal, contact_id)
    values = clean_contact(data)
    await Contact.filter(id=row.id).update(**values)
    return await Contact.get(id=row.id)


async def remove_contact(principal: Principal, contact_id: int) -> Contact:
    """Delete a contact the caller may change (see :func:`changeable`); the row it was."""
    row = await changeable(principal, contact_id)
    await Contact.filter(id=row.id).delete()
    return row


def search(query: Any, text: str | None) -> Any:
    """Contacts whose name holds ``text`` (any case), or whose number holds its digits."""
    text = (text or "").strip()
    if not text:
        return query
    condition = Q(name__icontains=text)
    digits = "".join(c for c in text if c.isdigit())
    if digits:
        condition |= Q(phone_number__contains=digits)
    return query.filter(condition)


async def find_by_number(account_id: int, number: str,
                         user_id: int | None = None) -> Contact | None:
    """The contact to name a caller by: the user's own first, then the account's shared."""
    try:
        number = normalize_phone_number(number)
    except ValueError:
        return None
    if user_id is not None:
        own = await Contact.filter(account_id=account_id, owner_id=user_id,
                                   phone_number=number).order_by("id").first()
        if own is not None:
            return own
    return await Contact.filter(account_id=account_id, owner_id__isnull=True,
                                phone_number=number).order_by("id").first()
