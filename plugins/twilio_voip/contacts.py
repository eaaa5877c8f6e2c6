"""CRM contacts of the account: a name and numbers (mobile, work, home). A call from or to a
number no contact holds creates one, named after the number; every call is in its contact's
history (the calls pointing at it)."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gateway.api import Principal, Problem

from . import errors as e
from .access import account_of
from .errors import VoipErrorCode as Code
from .models import MAX_NAME, ContactPhone, PhoneKind, VoipContact
from .numbers import e164

MAX_PHONES = 10
CONTACT_COLUMNS = ("id", "account_id", "name", "created_by_call", "created_at")
PHONE_COLUMNS = ("id", "contact_id", "kind", "number")


async def contact_of_number(account_id: int, number: str) -> tuple[int, str] | None:
    """(id, name) of the account's contact holding ``number``: caller identification."""
    rows = await ContactPhone.filter(account_id=account_id, number=number).values(
        "contact_id", "contact__name")
    if not rows:
        return None
    return int(rows[0]["contact_id"]), str(rows[0]["contact__name"])


async def contact_for_call(account_id: int, number: str) -> int:
    """The contact holding ``number``, created when none does ("Unknown numbers become
    contacts"). Safe when two calls from a new number arrive at once."""
    found = await contact_of_number(account_id, number)
    if found is not None:
        return found[0]
    try:
        async with in_transaction():
            contact = await VoipContact.create(account_id=account_id, name=number,
                                               created_by_call=True)
            await ContactPhone.create(contact_id=contact.id, account_id=account_id,
                                      number=number, kind=PhoneKind.OTHER)
            return contact.id
    except IntegrityError:
        found = await contact_of_number(account_id, number)
        if found is None:
            raise
        return found[0]


async def contacts_page(principal: Principal, search: str | None, offset: int,
                        limit: int) -> tuple[list[dict[str, Any]], int]:
    """Contacts by name (part of it, any case) or by part of a number, by name."""
    account_id = account_of(principal)
    contacts = VoipContact.filter(account_id=account_id)
    text = (search or "").strip()[:MAX_NAME]
    if text:
        digits = "".join(c for c in text if c.isdigit())
        ids = ContactPhone.filter(account_id=account_id, number__contains=digits).values(
            "contact_id") if len(digits) >= 3 else None
        if ids is not None:
            from tortoise.expressions import Q, Subquery

            contacts = contacts.filter(Q(name__icontains=text) | Q(id__in=Subquery(ids)))
        else:
            contacts = contacts.filter(name__icontains=text)
    total = await contacts.count()
    rows = await contacts.order_by("name", "id").offset(offset).limit(limit + 1).values(
        *CONTACT_COLUMNS)
    return rows, total


async def phones_of(contact_ids: list[int]) -> list[list[dict[str, Any]]]:
    """Each contact's numbers, in one query (the DataLoader of a page)."""
    rows = await ContactPhone.filter(contact_id__in=set(contact_ids)).order_by("id").values(
        *PHONE_COLUMNS)
    by_contact: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_contact.setdefault(row["contact_id"], []).append(row)
    return [by_contact.get(contact_id, []) for contact_id in contact_ids]


def _clean(name: str, phones: list[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
    clean_name = name.strip()
    if not clean_name:
        raise Problem(Code.REQUIRED, e.NAME_REQUIRED, ["input", "name"])
    if len(clean_name) > MAX_NAME:
        raise Problem(Code.TOO_LONG, e.TOO_LONG, ["input", "name"], max=MAX_NAME)
    if len(phones) > MAX_PHONES:
        raise Problem(Code.TOO_MANY, e.TOO_MANY, ["input", "phones"], max=MAX_PHONES)
    cleaned: list[tuple[str, str]] = []
    for index, (kind, raw) in enumerate(phones):
        number = e164(raw.strip())
        if number is None:
            raise Problem(Code.INVALID_NUMBER, e.INVALID_NUMBER,
                          ["input", "phones", index, "number"], number=raw[:30])
        cleaned.append((PhoneKind(kind).value, number))
    return clean_name, cleaned


async def _check_free(account_id: int, numbers: list[str], contact_id: int | None) -> None:
    taken = await ContactPhone.filter(account_id=account_id, number__in=numbers).exclude(
        contact_id=contact_id or 0).values("number", "contact__name")
    if taken:
        index = numbers.index(taken[0]["number"])
        raise Problem(Code.NUMBER_TAKEN, e.NUMBER_OF_CONTACT, ["input", "phones", index,
                                                               "number"],
                      number=taken[0]["number"], name=taken[0]["contact__name"])


async def save_contact(principal: Principal, contact_id: int | None, name: str,
                       phones: list[tuple[str, str]]) -> int:
    """Create a contact, or replace a contact's name and numbers."""
    account_id = account_of(principal)
    clean_name, cleaned = _clean(name, phones)
    numbers = [number for _, number in cleaned]
    if len(set(numbers)) != len(numbers):
        raise Problem(Code.INVALID, e.NUMBER_OF_CONTACT, ["input", "phones"],
                      number=numbers[0], name=clean_name)
    if contact_id is not None and not await VoipContact.filter(
            id=contact_id, account_id=account_id).exists():
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, ["input", "id"])
    await _check_free(account_id, numbers, contact_id)
    async with in_transaction():
        if contact_id is None:
            contact = await VoipContact.create(account_id=account_id, name=clean_name)
            contact_id = contact.id
        else:
            await VoipContact.filter(id=contact_id).update(name=clean_name)
            await ContactPhone.filter(contact_id=contact_id).delete()
        for kind, number in cleaned:
            await ContactPhone.create(contact_id=contact_id, account_id=account_id,
                                      kind=PhoneKind(kind), number=number)
    return contact_id
