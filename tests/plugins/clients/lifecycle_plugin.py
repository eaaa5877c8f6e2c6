"""A test plugin recording the account lifecycle hooks, and whether each ran inside the
caller's transaction (it writes through the same connection the caller's transaction holds).
``fail_on`` makes a hook raise, to show the caller's transaction rolls back with it."""

from __future__ import annotations

from typing import Any

from gateway.hookimpl import hookimpl
from gateway.identity.models import Account

calls: list[tuple[str, int, bool]] = []
fail_on: set[str] = set()


def reset() -> None:
    calls.clear()
    fail_on.clear()


async def _record(hook: str, account_id: int) -> None:
    # The account row is visible here only inside the transaction that created it (for the
    # created hook) or changed it: the hook runs before the commit.
    visible = await Account.filter(id=account_id).exists()
    calls.append((hook, account_id, visible))
    if hook in fail_on:
        raise RuntimeError(f"{hook} refused by the test plugin")


@hookimpl
def gateway_account_created(gateway: Any, account: Any) -> Any:
    return _record("created", account.id)


@hookimpl
def gateway_account_unsubscribed(gateway: Any, account: Any) -> Any:
    return _record("unsubscribed", account.id)


@hookimpl
def gateway_account_reactivated(gateway: Any, account: Any) -> Any:
    return _record("reactivated", account.id)


@hookimpl
def gateway_account_purged(gateway: Any, account_id: int) -> Any:
    return _record("purged", account_id)
