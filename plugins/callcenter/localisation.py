"""Keeping the stored account-local columns right when an account's time zone changes.

Each call keeps its account-local date, minute, weekday and week (and each taken message its
local date), computed at import in the account's time zone, so every report filter is a column
comparison. ``callcenter_localised_account`` records the zone they were computed in; when the
account's zone differs, the ``callcenter.relocalise`` job recomputes them. It is queued:

- when an ``Account`` is saved with another time zone (a Tortoise ``post_save`` listener,
  registered at start-up, in the saving transaction: the job exists only if the change commits);
- by the periodic ``callcenter.relocalise_stale`` check, which catches every other way a zone
  can change (a queryset ``update()``, SQL, a restored backup);
- by :func:`time_zone_changed`, for code that changes a zone and wants it done now.

Ordering makes a concurrent import safe: the job records the new zone before recomputing; after
its last write the importer compares the zone it used with the account's zone then, and records
a mismatch (``record_import``), which the periodic check repairs.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import connections
from tortoise.signals import Signals

from gateway.api import Account, enqueue
from plugins.callcenter import freshness
from plugins.callcenter.models import Call, LocalisedAccount, TakenMessage
from plugins.callcenter.services import zone_of

log = logging.getLogger("gateway.callcenter")

RELOCALISE_JOB = "callcenter.relocalise"
RELOCALISE_STALE_JOB = "callcenter.relocalise_stale"
CHUNK = 5000


def local_columns(moment: dt.datetime, zone: ZoneInfo) -> tuple[dt.date, int, int]:
    """(local_date, local_minute, local_weekday) of ``moment`` in ``zone``: the account-local
    columns every report filters on (``local_week``, the Monday, is ``LOCAL_WEEK`` in SQL)."""
    local = moment.astimezone(zone)
    day = local.date()
    return day, local.hour * 60 + local.minute, day.weekday()


# The Monday of local_date's week, as each database computes it from the two columns.
LOCAL_WEEK = {"postgres": "local_date - local_weekday",
              "sqlite": "date(local_date, '-' || local_weekday || ' days')"}


def _marks(dialect: str, count: int) -> list[str]:
    return [f"${i}" for i in range(1, count + 1)] if dialect == "postgres" else ["?"] * count


async def record_zones(zones: dict[int, str]) -> None:
    """Remember the time zone (the account's ``time_zone`` text) each account's local columns
    were just computed in."""
    if not zones:
        return
    conn = connections.get("default")
    marks = _marks(conn.capabilities.dialect, 3)
    now = dt.datetime.now(dt.UTC)
    await conn.execute_many(
        f"INSERT INTO {LocalisedAccount._meta.db_table} (account_id, time_zone, updated_at) "
        f"VALUES ({', '.join(marks)}) ON CONFLICT (account_id) DO UPDATE SET "
        "time_zone = excluded.time_zone, updated_at = excluded.updated_at",
        [[account_id, zone, now] for account_id, zone in sorted(zones.items())])


async def record_import(used: dict[int, str]) -> None:
    """After an import: ``used`` is the zone each account's rows were computed in. Rows in the
    account's current zone only need a record when there is none yet (a differing record
    means older rows still wait for the job); rows in a zone that changed meanwhile make the
    record differ, so the periodic check recomputes them."""
    if not used:
        return
    current = dict(await Account.filter(id__in=sorted(used)).values_list("id", "time_zone"))
    await record_zones({a: z for a, z in used.items() if current.get(a, z) != z})
    fresh = {a: z for a, z in used.items() if current.get(a, z) == z}
    if fresh:
        conn = connections.get("default")
        marks = _marks(conn.capabilities.dialect, 3)
        now = dt.datetime.now(dt.UTC)
        await conn.execute_many(
            f"INSERT INTO {LocalisedAccount._meta.db_table} (account_id, time_zone, "
            f"updated_at) VALUES ({', '.join(marks)}) ON CONFLICT (account_id) DO NOTHING",
            [[account_id, zone, now] for account_id, zone in sorted(fresh.items())])


async def stale_accounts() -> list[int]:
    """Accounts whose stored local columns were computed in another zone than theirs now."""
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        f"SELECT z.account_id FROM {LocalisedAccount._meta.db_table} z "
        f"JOIN {Account._meta.db_table} a ON a.id = z.account_id "
        "WHERE a.time_zone <> z.time_zone ORDER BY z.account_id")
    return [row["account_id"] for row in rows]


async def relocalise(account_id: int) -> tuple[int, int]:
    """Recompute the local columns of the account's calls and taken messages in its current
    time zone; (calls, messages) updated. Idempotent: a second run rewrites the same values."""
    names: list[Any] = await Account.filter(id=account_id).values_list("time_zone", flat=True)
    if not names:
        return 0, 0
    await record_zones({account_id: names[0]})  # first: see the module's docstring
    zone = zone_of(names[0])
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    marks = _marks(dialect, 5)
    calls = messages = 0
    last = 0
    while rows := await Call.filter(account_id=account_id, id__gt=last).order_by("id").limit(
            CHUNK).values_list("id", "started_at"):
        values = []
        for pk, started in rows:
            day, minute, weekday = local_columns(started, zone)
            values.append([day, day - dt.timedelta(days=weekday), minute, weekday, pk])
        await conn.execute_many(
            f"UPDATE {Call._meta.db_table} SET local_date = {marks[0]}, local_week = "
            f"{marks[1]}, local_minute = {marks[2]}, local_weekday = {marks[3]} "
            f"WHERE id = {marks[4]}", values)
        calls += len(rows)
        last = rows[-1][0]
    if calls:
        resellers: list[Any] = await Account.filter(id=account_id).values_list("reseller_id",
                                                                              flat=True)
        await freshness.bump(resellers)
    last = 0
    marks = _marks(dialect, 2)
    while rows := await TakenMessage.filter(account_id=account_id, id__gt=last).order_by(
            "id").limit(CHUNK).values_list("id", "taken_at"):
        await conn.execute_many(
            f"UPDATE {TakenMessage._meta.db_table} SET local_date = {marks[0]} "
            f"WHERE id = {marks[1]}",
            [[local_columns(taken, zone)[0], pk] for pk, taken in rows])
        messages += len(rows)
        last = rows[-1][0]
    log.info("account %s: local columns of %s call(s) and %s message(s) recomputed in %s",
             account_id, calls, messages, names[0])
    return calls, messages


async def time_zone_changed(account_id: int) -> None:
    """Queue the recomputation for an account whose time zone just changed (call it in the
    changing transaction: the job then exists only if the change commits)."""
    await enqueue(RELOCALISE_JOB, {"account_id": account_id})


# ---- the Account listener ----------------------------------------------------------------------

_running = 0  # gateways of this process with the plugin started (tests start several)


async def _account_saved(sender: Any, instance: Account, created: bool, using_db: Any,
                         update_fields: Any) -> None:
    if not _running or created:
        return
    if update_fields is not None and "time_zone" not in update_fields:
        return
    recorded = await LocalisedAccount.filter(account_id=instance.id).values_list(
        "time_zone", flat=True)
    if recorded and recorded[0] != instance.time_zone:
        await time_zone_changed(instance.id)


def started() -> None:
    """The plugin started in this process: listen to account saves."""
    global _running
    Account.register_listener(Signals.post_save, _account_saved)  # once: it keeps no duplicate
    _running += 1


def stopped() -> None:
    global _running
    _running = max(0, _running - 1)
