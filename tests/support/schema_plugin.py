"""A test plugin exposing the shared scalars and a connection, to test them through HTTP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import strawberry

from gateway.hookimpl import hookimpl
from schema.pagination import Connection, build_connection, page_window
from schema.permissions import ANONYMOUS, allow
from schema.scalars import DateTime, Decimal_, PhoneNumber

LETTERS = [chr(code) for code in range(ord("a"), ord("a") + 7)]


@strawberry.type
class ScalarEcho:
    at: DateTime | None  # type: ignore[valid-type]
    amount: Decimal_ | None  # type: ignore[valid-type]
    phone: PhoneNumber | None  # type: ignore[valid-type]


@strawberry.type
class Letter:
    value: str


@strawberry.type
class SchemaProbeQuery:
    @strawberry.field(extensions=allow(ANONYMOUS))
    def scalar_echo(
        self,
        at: DateTime | None = None,  # type: ignore[valid-type]
        amount: Decimal_ | None = None,  # type: ignore[valid-type]
        phone: PhoneNumber | None = None,  # type: ignore[valid-type]
    ) -> ScalarEcho:
        return ScalarEcho(at=at, amount=amount, phone=phone)

    @strawberry.field(extensions=allow(ANONYMOUS))
    def montreal_noon(self) -> DateTime:  # type: ignore[valid-type]
        """An aware time that is not UTC: it must leave as UTC with a Z."""
        return dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))

    @strawberry.field(extensions=allow(ANONYMOUS))
    def small_amount(self) -> Decimal_:  # type: ignore[valid-type]
        return Decimal("0.10")

    @strawberry.field(extensions=allow(ANONYMOUS))
    def letters(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Letter]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        rows = LETTERS[offset:offset + limit + 1]
        return build_connection(rows, offset, limit, len(LETTERS), lambda v: Letter(value=v))


@hookimpl
def gateway_query(gateway: Any) -> Any:
    return SchemaProbeQuery
