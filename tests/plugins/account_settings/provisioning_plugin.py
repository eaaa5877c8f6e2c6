"""A test plugin recording the phone number provisioning hooks as the account settings plugin
calls them (``gateway_phone_number_assigned`` / ``gateway_phone_number_released``), with
whether the number's row was already changed in the calling transaction."""

from __future__ import annotations

from typing import Any

from gateway.hookimpl import hookimpl
from plugins.account_settings.models import PhoneNumber

calls: list[tuple[str, int, str, Any]] = []


@hookimpl
async def gateway_phone_number_assigned(gateway: Any, account: Any, number: str,
                                        user_id: int | None) -> None:
    row = await PhoneNumber.get(number=number)
    assert row.account_id == account.id and row.user_id == user_id  # seen in the transaction
    calls.append(("assigned", account.id, number, user_id))


@hookimpl
async def gateway_phone_number_released(gateway: Any, account: Any, number: str) -> None:
    assert (await PhoneNumber.get(number=number)).account_id is None
    calls.append(("released", account.id, number, None))
