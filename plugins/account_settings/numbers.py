"""Phone numbers (FAQ "Téléphones"): a reseller's pool, filled one number at a time or from a
text file (one E.164 number a line), assigned to accounts with their options, and returned
to the pool when released or when the account is unsubscribed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import (
    Account,
    PluginHost,
    Principal,
    Problem,
    Reseller,
    Role,
    normalize_phone_number,
)
from plugins.account_settings import errors as e
from plugins.account_settings import holding
from plugins.account_settings.errors import AccountSettingsErrorCode as Code
from plugins.account_settings.models import AccountOptions, NumberType, PhoneNumber
from plugins.account_settings.numbering import classify
from plugins.account_settings.services import as_own_problem
from plugins.clients import api as clients

MAX_IMPORT_LINES = 10_000
LOOKUP_CHUNK = 500  # numbers per statement (SQLite's variables, PostgreSQL's parameters)
OPTIONS = ("fax_reception", "sms", "emergency_911")


def pool_of(principal: Principal, reseller_id: int | None, field: list[str | int]) -> int:
    """The pool worked on: the caller's reseller's; a system admin names one (another
    reseller's is "not found")."""
    if reseller_id is None:
        if principal.role == Role.SYSTEM_ADMIN or not principal.reseller_id:
            raise Problem(Code.REQUIRED, e.REQUIRED, field)
        return int(principal.reseller_id)
    if principal.role != Role.SYSTEM_ADMIN and reseller_id != principal.reseller_id:
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, field)
    return reseller_id


def pool(reseller_id: int, available: bool | None,
         search: str | None) -> QuerySet[PhoneNumber]:
    """The pool's numbers, free or assigned (``available``), whose digits hold ``search``'s."""
    query = PhoneNumber.filter(reseller_id=reseller_id)
    if available is not None:
        query = query.filter(account_id__isnull=available)
    digits = "".join(c for c in (search or "") if c.isdigit())
    if digits:
        query = query.filter(number__contains=digits)
    return query.order_by("number", "id")


async def _country_of(reseller_id: int) -> str:
    country = await Reseller.filter(id=reseller_id).first().values_list("country", flat=True)
    return str(country or "")


def _new_row(reseller_id: int, number: str, country: str) -> PhoneNumber:
    """A free pool row, its type and area code computed once, here."""
    number_type, area_code = classify(number, country)
    return PhoneNumber(reseller_id=reseller_id, number=number,
                       number_type=NumberType(number_type), area_code=area_code)


def of_account(account_id: int) -> QuerySet[PhoneNumber]:
    return PhoneNumber.filter(account_id=account_id).order_by("number")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _normalize(raw: str, field: list[str | int]) -> str:
    if any(char.isalpha() for char in raw):
        raise Problem(Code.IGNORED, e.NUMBER_LETTERS, field)
    try:
        return normalize_phone_number(raw)
    except ValueError:
        raise Problem(Code.INVALID, e.NUMBER_INVALID, field) from None


def _taken(number: str, holder: int, reseller_id: int, field: list[str | int]) -> Problem:
    """Why ``number``, held by the pool of reseller ``holder``, cannot join ``reseller_id``'s:
    already in it, or in another pool of the platform (which one is never said)."""
    if holder == reseller_id:
        return Problem(Code.DUPLICATE, e.NUMBER_DUPLICATE, field, number=number)
    return Problem(Code.NUMBER_UNAVAILABLE, e.NUMBER_UNAVAILABLE, field, number=number)


async def _holders(numbers: list[str]) -> dict[str, int]:
    """The reseller whose pool holds each of ``numbers`` that is in one (looked up by chunks:
    an import's 10,000 numbers are never one statement's variables)."""
    held: dict[str, int] = {}
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        held |= dict(await PhoneNumber.filter(
            number__in=numbers[start:start + LOOKUP_CHUNK]).values_list("number", "reseller_id"))
    return held


async def add_number(reseller_id: int, raw: str) -> PhoneNumber:
    """Add one number to the reseller's pool; a number is in one pool on the whole platform."""
    field: list[str | int] = ["input", "number"]
    number = _normalize(str(raw or "").strip(), field)
    for _attempt in range(2):
        holder = (await _holders([number])).get(number)
        if holder is not None:
            raise _taken(number, holder, reseller_id, field)
        try:
            row = _new_row(reseller_id, number, await _country_of(reseller_id))
            async with in_transaction():
                await row.save()
                return row
        except IntegrityError:  # added meanwhile: say by whom, as above
            continue
    raise Problem(Code.DUPLICATE, e.NUMBER_DUPLICATE, field, number=number)


@dataclass
class ImportReport:
    added: list[PhoneNumber] = field(default_factory=list)
    # (line number from 1, the error): ignored lines (letters), invalid ones, duplicates.
    rejected: list[tuple[int, Problem]] = field(default_factory=list)


async def import_numbers(reseller_id: int, content: str) -> ImportReport:
    """Read one number a line ("+1 (514) 555-1212", "+44 7979-123456"); blank lines are
    skipped, numbers with letters ignored, invalid lines and duplicates (in the file, already
    in the pool, or in another pool of the platform) reported by line. The good ones are
    added together."""
    lines = content.splitlines()
    if len(lines) > MAX_IMPORT_LINES:
        raise Problem(Code.TOO_MANY, e.TOO_MANY_LINES, ["input", "content"],
                      max=MAX_IMPORT_LINES)
    for _attempt in range(2):
        try:
            return await _import_lines(reseller_id, lines)
        except IntegrityError:  # a number was added meanwhile: read the pools again
            continue
    raise Problem(Code.DUPLICATE, e.NUMBER_DUPLICATE_RETRY, ["input", "content"])


async def _import_lines(reseller_id: int, lines: list[str]) -> ImportReport:
    report = ImportReport()
    seen: dict[str, int] = {}
    for index, line in enumerate(lines, start=1):
        text = line.strip().lstrip("\ufeff")
        if not text:
            continue
        where: list[str | int] = ["input", "content", index]
        try:
            number = _normalize(text, where)
        except Problem as error:
            report.rejected.append((index, error))
            continue
        if number in seen:
            report.rejected.append((index, Problem(Code.DUPLICATE, e.NUMBER_DUPLICATE_IN_FILE,
                                                   where, number=number, line=seen[number])))
            continue
        seen[number] = index
    for number, holder in (await _holders(list(seen))).items():
        index = seen.pop(number)
        report.rejected.append((index, _taken(number, holder, reseller_id,
                                              ["input", "content", index])))
    report.rejected.sort(key=lambda item: item[0])
    if seen:
        country = await _country_of(reseller_id)
        async with in_transaction():
            await PhoneNumber.bulk_create([_new_row(reseller_id, n, country) for n in seen],
                                          batch_size=LOOKUP_CHUNK)
        added = list(seen)
        for start in range(0, len(added), LOOKUP_CHUNK):
            report.added += await PhoneNumber.filter(
                reseller_id=reseller_id, number__in=added[start:start + LOOKUP_CHUNK])
        report.added.sort(key=lambda row: row.id)
    return report


async def remove_from_pool(reseller_id: int, number_id: int) -> PhoneNumber:
    """Take a free number out of the pool for good; the row as it was."""
    row = await PhoneNumber.filter(id=number_id, reseller_id=reseller_id).first()
    if row is None:
        raise Problem(Code.NOT_FOUND, e.NOT_FOUND, ["input", "id"])
    if row.account_id is not None:
        raise Problem(Code.NUMBER_IN_USE, e.NUMBER_IN_USE, ["input", "id"])
    await PhoneNumber.filter(id=number_id, account_id__isnull=True).delete()
    return row


async def guard(account: Account) -> None:
    """The free-trial rule (clients plugin): no numbers nor options in free trial or once
    unsubscribed, as this area's problem at ``input.accountId``."""
    try:
        await clients.ensure_can_add_numbers_and_options(account)
    except Problem as error:
        raise as_own_problem(error, ["input", "accountId"]) from None


def _options(given: Mapping[str, bool]) -> dict[str, bool]:
    return {name: bool(given[name]) for name in OPTIONS if name in given}


async def assign_number(host: PluginHost, account: Account, number_id: int,
                        options: Mapping[str, bool] | None = None) -> PhoneNumber:
    """Give a free number of the account's reseller pool to the account, with its options
    (fax reception, SMS, 911). Refused during a free trial and once unsubscribed."""
    await guard(account)
    async with in_transaction():
        # Only a free number of this reseller: two accounts cannot both get it.
        changed = await PhoneNumber.filter(
            id=number_id, reseller_id=account.reseller_id, account_id__isnull=True,
        ).update(account_id=account.id, user_id=None, assigned_at=utcnow(),
                 **{name: False for name in OPTIONS} | _options(options or {}))
        if not changed:
            raise Problem(Code.NOT_FOUND, e.NUMBER_NOT_FREE, ["input", "numberId"])
        row = await PhoneNumber.get(id=number_id)
        await holding.assigned(host, account, row)
        await holding.refresh_receptionist(account.id)
    return row


async def set_number_options(account: Account, number_id: int,
                             options: Mapping[str, bool]) -> PhoneNumber:
    """Change the options of one of the account's numbers; turning one on is refused during a
    free trial (turning one off never is)."""
    row = await PhoneNumber.filter(id=number_id, account_id=account.id).first()
    if row is None:
        raise Problem(Code.NOT_FOUND, e.NUMBER_NOT_ASSIGNED, ["input", "numberId"])
    wanted = _options(options)
    if any(on and not getattr(row, name) for name, on in wanted.items()):
        await guard(account)
    if wanted:
        await PhoneNumber.filter(id=number_id, account_id=account.id).update(**wanted)
    return await PhoneNumber.get(id=number_id)


async def release_number(host: PluginHost, account: Account, number_id: int) -> PhoneNumber:
    """Give one of the account's numbers back to the pool, its options off (the receptionist
    number moves to the account's next one)."""
    async with in_transaction():
        changed = await PhoneNumber.filter(id=number_id, account_id=account.id).update(
            account_id=None, user_id=None, assigned_at=None,
            **{name: False for name in OPTIONS})
        if not changed:
            raise Problem(Code.NOT_FOUND, e.NUMBER_NOT_ASSIGNED, ["input", "numberId"])
        row = await PhoneNumber.get(id=number_id)
        await AccountOptions.filter(account_id=account.id, caller_id_number=row.number).update(
            caller_id_number=None)
        await holding.released(host, account, [row.number])
        await holding.refresh_receptionist(account.id)
    return row


async def return_account_numbers(host: PluginHost, account: Account) -> int:
    """Every number of the account back to its reseller's pool (the account is unsubscribed,
    in that transaction): the count returned."""
    held = list(await PhoneNumber.filter(account_id=account.id).order_by("number").values_list(
        "number", flat=True))
    count = await PhoneNumber.filter(account_id=account.id).update(
        account_id=None, user_id=None, assigned_at=None, **{name: False for name in OPTIONS})
    await AccountOptions.filter(account_id=account.id).update(caller_id_number=None)
    await holding.released(host, account, [str(n) for n in held])
    await holding.refresh_receptionist(account.id)
    return int(count)
