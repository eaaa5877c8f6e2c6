"""Contacts: a user's personal ones and an account's shared ones (the voice directory),
within the account's limits; searched by name or number (later used to name callers)."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gateway.identity.models import Account, AccountKind, User
from plugins.account_settings import errors as e
from plugins.account_settings.errors import AccountSettingsErrorCode as Code
from plugins.account_settings.errors import problem, raise_all
from plugins.account_settings.models import Contact
from plugins.account_settings.services import _locked_options
from schema.errors import PayloadError
from schema.scalars import normalize_phone_number
from schema.validation import is_email

MAX_NAME = 200


def clean_contact(data: dict[str, Any]) -> dict[str, Any]:
    """Name required, a phone number (E.164) or an email; every problem at once."""
    problems: list[PayloadError] = []
    name = str(data.get("name") or "").strip()
    if not name:
        problems.append(problem(Code.REQUIRED, e.REQUIRED, ["input", "name"]))
    elif len(name) > MAX_NAME:
        problems.append(problem(Code.INVALID, e.TOO_LONG, ["input", "name"], max=MAX_NAME))
    number = str(data.get("phone_number") or "").strip() or None
    if number:
        try:
            number = normalize_phone_number(number)
        except ValueError:
            problems.append(problem(Code.INVALID, e.INVALID_PHONE, ["input", "phoneNumber"]))
    email = str(data.get("email") or "").strip().lower()
    if email and not is_email(email):
        problems.append(problem(Code.INVALID, e.INVALID_EMAIL, ["input", "email"]))
    if not number and not email and name:
        problems.append(problem(Code.REQUIRED, e.CONTACT_NEEDS_WAY, ["input", "phoneNumber"]))
    raise_all(problems)
    return {"name": name, "phone_number": number, "email": email}


async def limit_for(account: Account, owner_id: int | None) -> tuple[int, int]:
    """(limit, count now) for a new contact: personal ones against the contacts limit; shared
    ones against the voice directory's (a company's counts its employees too)."""
    options = await _locked_options(account.id)
    if owner_id is not None:
        count = await Contact.filter(account_id=account.id, owner_id=owner_id).count()
        return options.contacts_limit, count
    count = await Contact.filter(account_id=account.id, owner_id__isnull=True).count()
    if AccountKind(account.kind) == AccountKind.COMPANY:
        count += await User.filter(account_id=account.id, is_active=True).count()
        return options.shared_contacts_limit, count
    return options.directory_contacts_limit, count


async def add_contact(account: Account, owner_id: int | None, data: dict[str, Any]) -> Contact:
    """A personal contact of ``owner_id`` (a user of the account), or a shared one (None)."""
    values = clean_contact(data)
    if owner_id is not None and not await User.filter(id=owner_id,
                                                      account_id=account.id).exists():
        raise problem(Code.NOT_FOUND, e.WRONG_USER, ["input", "userId"])
    async with in_transaction():
        # The settings row is locked while counting: two additions cannot pass the limit.
        limit, count = await limit_for(account, owner_id)
        if count >= limit:
            raise problem(Code.LIMIT_REACHED, e.CONTACT_LIMIT, None, max=limit)
        return await Contact.create(account_id=account.id, owner_id=owner_id, **values)


async def update_contact(contact: Contact, data: dict[str, Any]) -> Contact:
    values = clean_contact(data)
    await Contact.filter(id=contact.id).update(**values)
    return await Contact.get(id=contact.id)


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
