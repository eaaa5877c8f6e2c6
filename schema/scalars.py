"""Shared scalars: UTC date-times, decimal money, E.164 phone numbers (the check itself is
``gateway.validation.normalize_phone_number``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, NewType

import strawberry

from gateway.validation import normalize_phone_number


def _serialize_datetime(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _parse_datetime(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("DateTime needs a UTC offset, e.g. 2026-11-23T12:00:00Z")
    return parsed.astimezone(dt.UTC)


_DateTime = strawberry.scalar(
    NewType("DateTime", dt.datetime),
    name="DateTime",
    description="An instant, ISO 8601, always given in UTC on the wire "
    "(e.g. 2026-11-23T12:00:00Z).",
    serialize=_serialize_datetime,
    parse_value=_parse_datetime,
)


def _parse_decimal(value: str) -> Decimal:
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal number") from None
    if not parsed.is_finite():
        raise ValueError(f"{value!r} is not a finite decimal number")
    return parsed


_Decimal = strawberry.scalar(
    NewType("Decimal", Decimal),
    name="Decimal",
    description="An exact decimal number, as a string (e.g. \"19.95\").",
    serialize=lambda value: format(Decimal(value), "f"),
    parse_value=_parse_decimal,
)


_PhoneNumber = strawberry.scalar(
    NewType("PhoneNumber", str),
    name="PhoneNumber",
    description="A phone number in E.164 form (e.g. +15145551212); input may be formatted.",
    serialize=str,
    parse_value=normalize_phone_number,
)


# Annotations name the Python types to type checkers and the GraphQL scalars to strawberry.
if TYPE_CHECKING:
    DateTime = dt.datetime
    Decimal_ = Decimal
    PhoneNumber = str
else:
    DateTime = _DateTime
    Decimal_ = _Decimal
    PhoneNumber = _PhoneNumber


@strawberry.type(description="An amount of money: a decimal string and an ISO 4217 currency.")
class Money:
    amount: Decimal_ = strawberry.field(
        description="The amount in the currency's units, not cents (e.g. \"19.95\").")
    currency: str = strawberry.field(
        description="The ISO 4217 currency code, e.g. CAD or USD.")
