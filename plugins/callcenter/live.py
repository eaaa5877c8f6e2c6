"""Imported calls, live: after an import has written its rows (and bumped the change stamp),
each reseller's channel hears which of its accounts got calls; the ``callsImported``
subscription (``live_schema``) relays that to the callers who may see those accounts, so a
dashboard refreshes when the data changes, not on a timer.

Channels: ``callcenter.calls.<reseller id>`` for a reseller's accounts, and
``callcenter.calls.all`` (every import) for system admins watching every reseller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, Iterable, Mapping
from dataclasses import dataclass

from gateway.api import PUBSUB_GAP, PubSub, publish_event
from plugins.callcenter.services import Scope

ALL = "callcenter.calls.all"
# At most this many account numbers in one event (a bulk import touches thousands): past it,
# ``more`` says some were left out and a dashboard simply refreshes.
MAX_EVENT_ACCOUNTS = 100


def channel(reseller_id: int | None) -> str:
    return ALL if reseller_id is None else f"callcenter.calls.{int(reseller_id)}"


async def announce(accounts_by_reseller: Mapping[int, Iterable[int]]) -> None:
    """Tell each reseller's channel (and the platform's) which accounts got calls; never
    raises (the import is done; a missed event only delays a refresh)."""
    everyone: list[int] = []
    for reseller_id, account_ids in sorted(accounts_by_reseller.items()):
        ids = sorted(set(account_ids))
        if not ids:
            continue
        everyone.extend(ids)
        await publish_event(channel(reseller_id), _message(ids))
    if everyone:
        await publish_event(ALL, _message(sorted(set(everyone))))


def _message(ids: list[int]) -> dict[str, object]:
    return {"account_ids": ids[:MAX_EVENT_ACCOUNTS + 1]}


@dataclass(frozen=True)
class Imported:
    """Calls of these accounts (those the subscriber sees) were imported just now."""

    account_numbers: list[int]
    more: bool
    at: dt.datetime


def _seen(scope: Scope, account_ids: list[int]) -> list[int]:
    if scope.account_ids is None:
        return account_ids  # the channel is the caller's reseller's (or every reseller's)
    wanted = set(scope.account_ids)
    return [a for a in account_ids if a in wanted]


async def imported(bus: PubSub, scope: Scope, reseller_id: int | None
                   ) -> AsyncGenerator[Imported, None]:
    """The imports of calls the caller of ``scope`` may see, as they land, heard on
    ``reseller_id``'s channel (None: every reseller's). Subscribes once iterated (a generator
    never started never runs its ``finally``)."""
    subscription = await bus.subscribe(channel(reseller_id))
    async with subscription:
        async for message in subscription:
            if message is PUBSUB_GAP:
                # Imports may have landed unheard (the pub/sub's connection was lost): no
                # account named, ``more``: refetch everything.
                yield Imported([], True, dt.datetime.now(dt.UTC))
                continue
            raw = message.get("account_ids")
            ids = [int(a) for a in raw if isinstance(a, int)] if isinstance(raw, list) else []
            seen = _seen(scope, ids)
            if seen:
                yield Imported(seen[:MAX_EVENT_ACCOUNTS], len(seen) > MAX_EVENT_ACCOUNTS,
                               dt.datetime.now(dt.UTC))
