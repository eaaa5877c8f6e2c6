"""Ordering numbers from the reseller's pool (issue 20): what is free by type and area code,
taking free numbers for an account atomically, and the ``number_pool`` provider the sign-up
uses (``gateway_provider(kind="number_pool", name="default")``).

Two orders never get the same number: orders of one reseller's pool take their numbers one
order at a time (its reseller's row is locked, ``FOR NO KEY UPDATE``, until the order's
transaction ends: on PostgreSQL; SQLite runs one writing transaction at a time anyway), and
each free row is taken by an update that only matches it while still free (a number staff
assign meanwhile is passed over). An order that fails therefore never fails because of another
order that is about to roll back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateway.api import Account, PluginHost, Problem, Reseller, User
from plugins.account_settings import errors as e
from plugins.account_settings import holding, numbers
from plugins.account_settings.errors import AccountSettingsErrorCode as Code
from plugins.account_settings.models import NumberType, PhoneNumber

MAX_ORDER = 10  # numbers in one order
MAX_AREA_CODES = 200  # area codes listed with their free count
OPTIONS_OFF = {"fax_reception": False, "sms": False, "emergency_911": False}


@dataclass(frozen=True)
class Wanted:
    """One number an order asks for: its type and, optionally, its area code."""

    number_type: NumberType
    area_code: str | None = None


def clean_area_code(raw: str | None) -> str | None:
    """The area code's digits ("(514)" → "514"); None or blank: any area code."""
    digits = "".join(c for c in (raw or "") if c.isdigit())
    return digits or None


def free_numbers(reseller_id: int, number_type: NumberType | str,
                 area_code: str | None) -> QuerySet[PhoneNumber]:
    """The free numbers of the reseller's pool of that type (and area code), lowest first."""
    query = PhoneNumber.filter(reseller_id=reseller_id, number_type=NumberType(number_type),
                               account_id__isnull=True)
    if area_code is not None:
        query = query.filter(area_code=area_code)
    return query.order_by("number", "id")


async def area_code_counts(reseller_id: int, number_type: NumberType | str
                           ) -> list[tuple[str, int]]:
    """(area code, free numbers) of the reseller's pool for a type, by area code (capped)."""
    rows = await PhoneNumber.filter(
        reseller_id=reseller_id, number_type=NumberType(number_type), account_id__isnull=True,
    ).annotate(free=Count("id")).group_by("area_code").order_by("area_code").limit(
        MAX_AREA_CODES).values("area_code", "free")
    return [(str(row["area_code"]), int(row["free"])) for row in rows]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _take_one(account: Account, wanted: Wanted, now: dt.datetime) -> PhoneNumber | None:
    """One free number for ``account``, taken in the caller's transaction; None when none is
    left (a number assigned meanwhile by staff is passed over)."""
    while True:
        row = await free_numbers(account.reseller_id, wanted.number_type,
                                 wanted.area_code).first()
        if row is None:
            return None
        if await PhoneNumber.filter(id=row.id, account_id__isnull=True).update(
                account_id=account.id, user_id=None, assigned_at=now, **OPTIONS_OFF):
            return await PhoneNumber.get(id=row.id)


async def take_numbers(host: PluginHost, account: Account, wanted: Sequence[Wanted],
                       field: list[str | int], *, each_field: bool = False
                       ) -> list[PhoneNumber]:
    """Take one free number of the account's reseller pool for each of ``wanted`` and assign
    them to the account (hooks fired, receptionist number kept). Runs in the caller's
    transaction: on ``Problem`` (NO_NUMBER_AVAILABLE) the caller's rollback gives back what
    was taken. The problem's field is ``field`` (``[*field, i, "areaCode"]`` with
    ``each_field``)."""
    # One order of this pool at a time, until the caller's transaction ends.
    await Reseller.filter(id=account.reseller_id).select_for_update(no_key=True).first()
    now = _now()
    taken: list[PhoneNumber] = []
    for index, item in enumerate(wanted):
        # One microsecond apart: the earliest assignment (the receptionist number) is the
        # first one taken.
        row = await _take_one(account, item, now + dt.timedelta(microseconds=index))
        if row is None:
            where = [*field, index, "areaCode"] if each_field else field
            # Free before this call: those left and those it took for the same wish.
            free = await free_numbers(account.reseller_id, item.number_type,
                                      item.area_code).count() + wanted[:index].count(item)
            raise Problem(Code.NO_NUMBER_AVAILABLE, e.NO_NUMBER_AVAILABLE, where,
                          wanted=wanted.count(item) if not each_field else 1, free=free)
        taken.append(row)
        await holding.assigned(host, account, row)
    await holding.refresh_receptionist(account.id)
    return taken


class NumberPool:
    """The ``number_pool`` provider: what the sign-up offers and orders (its numbers are part
    of the subscription being created, so the free-trial rule does not apply)."""

    def __init__(self, host: PluginHost) -> None:
        self.host = host

    async def available(self, reseller_id: int, number_type: str,
                        area_code: str | None) -> int:
        """How many numbers of that type (and area code; None: any) are free in the pool."""
        return await free_numbers(reseller_id, number_type, clean_area_code(area_code)).count()

    async def order(self, account: Account, orders: list[dict[str, Any]],
                    field: list[str | int]) -> list[str]:
        """Take one number for each ``{"type": ..., "area_code": ...}`` and assign it to
        ``account``, in the caller's transaction; the numbers (E.164), in order. Raises
        ``Problem`` NO_NUMBER_AVAILABLE at ``[*field, i, "areaCode"]`` (nothing of this call
        taken)."""
        wanted = []
        for index, item in enumerate(orders):
            try:
                number_type = NumberType(str(item.get("type") or ""))
            except ValueError:
                raise Problem(Code.INVALID, e.NUMBER_TYPE, [*field, index, "type"]) from None
            wanted.append(Wanted(number_type, clean_area_code(item.get("area_code"))))
        # A savepoint within the caller's transaction: a refusal gives back what this call
        # took, even if the caller goes on.
        async with in_transaction():
            rows = await take_numbers(self.host, account, wanted, field, each_field=True)
        return [row.number for row in rows]


async def order_numbers(host: PluginHost, account: Account, number_type: NumberType,
                        area_code: str | None, quantity: int) -> list[PhoneNumber]:
    """A subscriber's (or staff's) order: ``quantity`` (1-10) free numbers of that type and
    area code, all or none. Refused in free trial and once unsubscribed."""
    if not 1 <= quantity <= MAX_ORDER:
        raise Problem(Code.OUT_OF_RANGE, e.RANGE_BOUNDS, ["input", "quantity"], min=1,
                      max=MAX_ORDER)
    await numbers.guard(account)
    wanted = [Wanted(number_type, clean_area_code(area_code))] * quantity
    async with in_transaction():
        return await take_numbers(host, account, wanted, ["input", "quantity"])


async def ring_user(host: PluginHost, account: Account, number_id: int,
                    user_id: int | None) -> PhoneNumber:
    """Make one of the account's numbers ring one of its users (None: the account itself)."""
    async with in_transaction():
        row = await PhoneNumber.filter(id=number_id, account_id=account.id
                                       ).select_for_update().first()
        if row is None:
            raise Problem(Code.NOT_FOUND, e.NUMBER_NOT_ASSIGNED, ["input", "numberId"])
        if user_id is not None and not await User.filter(id=user_id,
                                                          account_id=account.id).exists():
            raise Problem(Code.NOT_FOUND, e.WRONG_USER, ["input", "userId"])
        await PhoneNumber.filter(id=row.id).update(user_id=user_id)
        row.user_id = user_id
        await holding.assigned(host, account, row)
    return row


async def ring_account_instead_of(host: PluginHost, account: Account, user_id: int) -> None:
    """The user is being deleted: the numbers that rang them ring the account as a whole
    again, each told to the PBX (``gateway_phone_number_assigned`` with no user)."""
    rows = await PhoneNumber.filter(account_id=account.id, user_id=user_id
                                    ).select_for_update().order_by("number")
    for row in rows:
        await PhoneNumber.filter(id=row.id).update(user_id=None)
        row.user_id = None
        await holding.assigned(host, account, row)
