"""Shared scalars: DateTime in UTC with Z (naive refused), Decimal (no abc, no NaN), E.164
phone numbers (normalised, letters refused) — through GraphQL, as literals and variables."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import strawberry

from schema.scalars import DateTime, normalize_phone_number
from tests.conftest import Gateway

ECHO = """query ($at: DateTime, $amount: Decimal, $phone: PhoneNumber) {
  scalarEcho(at: $at, amount: $amount, phone: $phone) { at amount phone }
}"""


async def echo(gateway: Gateway, **variables: Any) -> dict[str, Any]:
    return await gateway.graphql(ECHO, variables)


async def literal(gateway: Gateway, argument: str) -> dict[str, Any]:
    return await gateway.graphql(f"{{ scalarEcho({argument}) {{ at amount phone }} }}")


def refused(result: dict[str, Any], *fragments: str) -> None:
    assert result.get("data") is None, result
    message = result["errors"][0]["message"]
    assert "Unexpected internal error" not in message
    for fragment in fragments:
        assert fragment in message, message


# --- DateTime ---------------------------------------------------------------------------------


async def test_datetime_leaves_as_utc_with_z(probe_gateway: Gateway) -> None:
    assert await probe_gateway.graphql("{ montrealNoon }") == {
        "data": {"montrealNoon": "2026-01-15T17:00:00Z"}
    }
    result = await echo(probe_gateway, at="2026-01-15T12:00:00-05:00")
    assert result["data"]["scalarEcho"]["at"] == "2026-01-15T17:00:00Z"
    result = await literal(probe_gateway, 'at: "2026-01-15T17:00:00Z"')
    assert result["data"]["scalarEcho"]["at"] == "2026-01-15T17:00:00Z"


async def test_datetime_refuses_a_naive_time(probe_gateway: Gateway) -> None:
    refused(await echo(probe_gateway, at="2026-01-15T12:00:00"), "UTC offset")
    refused(await literal(probe_gateway, 'at: "2026-01-15T12:00:00"'), "UTC offset")
    refused(await echo(probe_gateway, at="next tuesday"), "DateTime")


# --- Decimal ----------------------------------------------------------------------------------


async def test_decimal_keeps_exact_digits(probe_gateway: Gateway) -> None:
    result = await echo(probe_gateway, amount="19.95")
    assert result["data"]["scalarEcho"]["amount"] == "19.95"
    assert await probe_gateway.graphql("{ smallAmount }") == {"data": {"smallAmount": "0.10"}}


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", "-inf"])
async def test_decimal_refuses_what_is_not_a_finite_number(
    probe_gateway: Gateway, value: str
) -> None:
    refused(await echo(probe_gateway, amount=value), repr(value))
    refused(await literal(probe_gateway, f'amount: "{value}"'), repr(value))


# --- PhoneNumber ------------------------------------------------------------------------------


async def test_phone_number_is_normalised_to_e164(probe_gateway: Gateway) -> None:
    result = await echo(probe_gateway, phone="+1 (514) 555-1212")
    assert result["data"]["scalarEcho"]["phone"] == "+15145551212"
    result = await literal(probe_gateway, 'phone: "+1 514.555.1212"')
    assert result["data"]["scalarEcho"]["phone"] == "+15145551212"
    assert normalize_phone_number("(514) 555-1212", region="CA") == "+15145551212"


@pytest.mark.parametrize("value", ["+1 514 ABC 1212", "call me", "+1 555", "5145551212"])
async def test_phone_number_refuses_letters_and_invalid_numbers(
    probe_gateway: Gateway, value: str
) -> None:
    # Letters would be read as a keypad's digits (ABC -> 222): someone else's number.
    refused(await echo(probe_gateway, phone=value), repr(value))
    refused(await literal(probe_gateway, f'phone: "{value}"'), repr(value))


def test_datetime_serialiser_treats_stored_naive_times_as_utc() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def stored(self, info: strawberry.Info) -> DateTime:
            return info.root_value

    def serialize_datetime(value: dt.datetime) -> Any:
        """What a client reads of ``value`` (e.g. a naive time read back from a column)."""
        result = strawberry.Schema(query=Query).execute_sync("{ stored }", root_value=value)
        assert result.errors is None and result.data is not None
        return result.data["stored"]

    assert serialize_datetime(dt.datetime(2026, 1, 1, 8, 30)) == "2026-01-01T08:30:00Z"
