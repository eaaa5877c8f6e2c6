"""Checks of typed billing values (codes, names, currencies, amounts, percentages, dates): each
returns the cleaned value or raises a ``Problem`` naming the field, in both languages."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from gateway.api import Field, Principal, Problem, Role

from . import errors as e
from .errors import BillingErrorCode as Code
from .models import MAX_CODE, MAX_NAME, MONEY_DIGITS, MONEY_PLACES, RATE_PLACES

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_AMOUNT = Decimal(10) ** (MONEY_DIGITS - MONEY_PLACES) - 1
MAX_UNITS = 10_000_000
MAX_QUANTITY = 999
MAX_MONTHS = 36


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def is_system_admin(principal: Principal | None) -> bool:
    return principal is not None and principal.role == Role.SYSTEM_ADMIN


def code(value: str, field: Field) -> str:
    value = (value or "").strip().upper()
    if not value or len(value) > MAX_CODE or not _CODE.match(value):
        raise Problem(Code.INVALID, e.CODE_FORMAT, field, max=MAX_CODE)
    return value


def name(value: str, field: Field, max_length: int = MAX_NAME) -> str:
    value = (value or "").strip()
    if not value:
        raise Problem(Code.REQUIRED, e.REQUIRED, field)
    if len(value) > max_length:
        raise Problem(Code.TOO_LONG, e.NAME_TOO_LONG, field, max=max_length)
    return value


def currency(value: str, field: Field) -> str:
    value = (value or "").strip().upper()
    if not _CURRENCY.match(value):
        raise Problem(Code.INVALID, e.CURRENCY_FORMAT, field)
    return value


def amount(value: Decimal, field: Field, places: int = MONEY_PLACES) -> Decimal:
    """A non-negative amount with at most ``places`` decimals that fits the column."""
    value = Decimal(value)
    exponent = value.as_tuple().exponent
    if (not value.is_finite() or value < 0 or value > MAX_AMOUNT
            or (isinstance(exponent, int) and -exponent > places)):
        raise Problem(Code.OUT_OF_RANGE, e.AMOUNT_RANGE, field, max=MAX_AMOUNT, places=places)
    return value


def percent(value: Decimal, field: Field) -> Decimal:
    value = Decimal(value)
    exponent = value.as_tuple().exponent
    if (not value.is_finite() or not 0 <= value <= 100
            or (isinstance(exponent, int) and -exponent > RATE_PLACES)):
        raise Problem(Code.OUT_OF_RANGE, e.PERCENT_RANGE, field)
    return value


def units(value: int, field: Field) -> int:
    if not 0 <= value <= MAX_UNITS:
        raise Problem(Code.OUT_OF_RANGE, e.UNITS_RANGE, field, max=MAX_UNITS)
    return value


def quantity(value: int, field: Field) -> int:
    if not 1 <= value <= MAX_QUANTITY:
        raise Problem(Code.OUT_OF_RANGE, e.QUANTITY_RANGE, field, max=MAX_QUANTITY)
    return value


def months(value: int, field: Field) -> int:
    if not 1 <= value <= MAX_MONTHS:
        raise Problem(Code.OUT_OF_RANGE, e.MONTHS_RANGE, field, max=MAX_MONTHS)
    return value


def from_today(value: dt.date | None, field: Field, now: dt.date | None = None) -> dt.date:
    """A date a price or subscription change applies from: today or later (a closed cycle is
    in the past, so it is never rewritten); None is today."""
    now = now or today()
    if value is None:
        return now
    if value < now:
        raise Problem(Code.PRICE_IN_PAST, e.PRICE_IN_PAST, field, date=value.isoformat())
    return value


def capped(values: list[object], field: Field, maximum: int) -> None:
    if len(values) > maximum:
        raise Problem(Code.TOO_MANY, e.TOO_MANY_ITEMS, field, max=maximum)
