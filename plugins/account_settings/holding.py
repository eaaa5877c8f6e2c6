"""What follows every change of who holds a pool number, in the changing transaction: the
provisioning hooks (``gateway_phone_number_assigned`` / ``gateway_phone_number_released``)
and the account's virtual receptionist number (the accounts list's "Numéro de téléphone":
its earliest number from the pool still held)."""

from __future__ import annotations

from gateway.api import Account, PluginHost
from plugins.account_settings.models import PhoneNumber


async def refresh_receptionist(account_id: int) -> str | None:
    """Store the account's receptionist number: the number of its earliest assignment still
    held (ties: the lowest row id), or null when it holds none."""
    first = await PhoneNumber.filter(account_id=account_id).order_by(
        "assigned_at", "id").first().values_list("number", flat=True)
    number = str(first) if first is not None else None
    await Account.filter(id=account_id).update(receptionist_number=number)
    return number


async def assigned(host: PluginHost, account: Account, row: PhoneNumber) -> None:
    """``row`` now rings ``account`` (its user ``row.user_id``, or the account as a whole)."""
    await host.call_async("gateway_phone_number_assigned", account=account, number=row.number,
                          user_id=row.user_id)


async def released(host: PluginHost, account: Account, numbers: list[str]) -> None:
    """``numbers`` went back from ``account`` to the reseller's pool."""
    for number in numbers:
        await host.call_async("gateway_phone_number_released", account=account, number=number)
