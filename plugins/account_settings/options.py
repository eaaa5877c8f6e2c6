"""An account's settings row (the Options page), created with the seed's defaults on first
use, and locked while a rule counts against it."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from plugins.account_settings.models import AccountOptions


async def get_options(account_id: int) -> AccountOptions:
    """The account's settings row, created with the seed's defaults on first use."""
    options = await AccountOptions.filter(account_id=account_id).first()
    if options is not None:
        return options
    try:
        async with in_transaction():
            return await AccountOptions.create(account_id=account_id)
    except IntegrityError:  # created meanwhile by a concurrent request
        return await AccountOptions.get(account_id=account_id)


async def locked_options(account_id: int) -> AccountOptions:
    """The row, locked until the caller's transaction ends (serialises per-account checks:
    extension allocations, contact limits, mailbox trimming, affiliations)."""
    await get_options(account_id)
    return await AccountOptions.filter(account_id=account_id).select_for_update().get()
