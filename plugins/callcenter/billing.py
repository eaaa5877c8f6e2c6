"""The call-center side of billing (issue 16): billable call minutes as usage for the billing
plugin's cycle (``gateway_billable_usage``), and the cycles it closed recorded, so that
"Appels facturables" lists only calls already billed (``gateway_billable_usage_billed``).

A closed cycle records the calls it billed by call id (``BilledCycle.through_id``, the highest
id when it closed): a call imported later for a day of that cycle is not on its statement, and
the account's next close bills it as late usage (``after_id``: the previous close's highest id),
then "Appels facturables" lists it under the cycle that billed it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tortoise.functions import Count, Max, Min, Sum

from gateway.api import Text
from plugins.callcenter.models import BilledCycle, Call
from plugins.callcenter.services import worked_calls

# The usage key (a plan's ``usage_key`` in the billing catalogue) of billable call minutes.
MINUTE = "CALL_MINUTES"
CENT = Decimal("0.01")


def minutes(seconds: float) -> Decimal:
    """The seed's "Statistic" total (talk plus wrap-up time) in minutes, to the hundredth."""
    return (Decimal(str(round(seconds, 6))) / 60).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class _Window:
    """Which calls of an account a close bills (a ``BilledCycle`` row, or what it would be)."""

    through_id: int | None  # calls up to this id; None: every call (a preview)
    after_id: int | None  # late calls above this id; None: no late call
    late_from: dt.date | None  # late calls from this day (the account's first billed cycle)
    late_to: dt.date | None  # to this day (the last day of the previous closed cycle)


async def _previous(account_ids: list[int], before: dt.date,
                    ) -> dict[int, tuple[int | None, dt.date, dt.date]]:
    """Per account billed before the day ``before``: its last close's ``through_id`` and last
    day, and the first day of its first billed cycle."""
    out: dict[int, tuple[int | None, dt.date, dt.date]] = {}
    for row in await BilledCycle.filter(account_id__in=account_ids,
                                        first_day__lt=before).order_by(
            "account_id", "first_day").values("account_id", "first_day", "last_day",
                                              "through_id"):
        earliest = out[row["account_id"]][2] if row["account_id"] in out else row["first_day"]
        out[row["account_id"]] = (row["through_id"], row["last_day"], earliest)
    return out


async def _windows(account_ids: list[int], start: dt.date) -> dict[int, _Window]:
    """The recorded window of the cycle holding ``start`` (a close records it before reading
    the usage), else the one closing it now would record, with no upper bound (a preview)."""
    recorded: dict[int, _Window] = {}
    for row in await BilledCycle.filter(account_id__in=account_ids, first_day__lte=start,
                                        last_day__gte=start).values(
            "account_id", "first_day", "through_id", "after_id", "late_from"):
        recorded[row["account_id"]] = _Window(
            row["through_id"], row["after_id"], row["late_from"],
            row["first_day"] - dt.timedelta(days=1))
    missing = [account_id for account_id in account_ids if account_id not in recorded]
    previous = await _previous(missing, start) if missing else {}
    for account_id in missing:
        if account_id in previous:
            after, last, earliest = previous[account_id]
            recorded[account_id] = _Window(None, after, earliest, last)
        else:
            recorded[account_id] = _Window(None, None, None, None)
    return recorded


def _sums(query: Any) -> Any:
    return query.annotate(n=Count("id"), talk=Sum("agent_seconds"), wrap=Sum("wrap_seconds"),
                          first=Min("local_date"), last=Max("local_date")).group_by(
        "account_id").values("account_id", "n", "talk", "wrap", "first", "last")


async def billable_usage(account_ids: list[int], start: dt.date,
                         end: dt.date) -> list[dict[str, Any]]:
    """Per account: the minutes of its billable calls from ``start`` to ``end`` (local days,
    both included), and its late calls (``"late": True``): calls of earlier days imported after
    the close of their cycle, which this close bills. A few aggregate queries per batch (one
    per distinct window, nearly always one of each)."""
    if not account_ids:
        return []
    windows = await _windows(account_ids, start)
    usage = []
    on_time: dict[int | None, list[int]] = {}
    late: dict[tuple[int, dt.date, dt.date, int | None], list[int]] = {}
    for account_id, window in windows.items():
        on_time.setdefault(window.through_id, []).append(account_id)
        if window.after_id is not None and window.late_from is not None \
                and window.late_to is not None and window.late_from <= window.late_to:
            late.setdefault((window.after_id, window.late_from, window.late_to,
                             window.through_id), []).append(account_id)
    for through, ids in on_time.items():
        query = worked_calls(start, end).filter(account_id__in=ids)
        # Nearly always no call came after the close recorded its highest id: then the bound,
        # which could steer the planner from the account index to an id range, is left out.
        if through is not None and await Call.filter(id__gt=through).exists():
            query = query.filter(id__lte=through)
        for row in await _sums(query):
            total, calls = _total(row), int(row["n"])
            usage.append({
                "account_id": row["account_id"], "unit": MINUTE, "quantity": total,
                "description": Text(
                    en=f"{total} minutes of {calls} billable calls from {start} to {end}",
                    fr=f"{total} minutes de {calls} appels facturables du {start} au {end}"),
            })
    for (after, late_from, late_to, through), ids in late.items():
        query = worked_calls(late_from, late_to).filter(
            account_id__in=ids, id__gt=after)
        if through is not None:
            query = query.filter(id__lte=through)
        for row in await _sums(query):
            total, calls = _total(row), int(row["n"])
            first, last = row["first"], row["last"]
            usage.append({
                "account_id": row["account_id"], "unit": MINUTE, "quantity": total,
                "late": True,
                "description": Text(
                    en=f"{total} minutes of {calls} late billable calls from {first} to "
                       f"{last} (received after their cycle was closed)",
                    fr=f"{total} minutes de {calls} appels facturables en retard du {first} "
                       f"au {last} (reçus après la fermeture de leur cycle)"),
            })
    return usage


def _total(row: dict[str, Any]) -> Decimal:
    return minutes(float(row["talk"] or 0) + float(row["wrap"] or 0))


async def record_billed(account_ids: list[int], start: dt.date, end: dt.date) -> None:
    """Record the cycle as billed for these accounts, with the calls it bills (by id: up to the
    highest id now, and the late ones above the previous close's); again for the same cycle,
    nothing. The billing plugin calls it before it reads the usage, in the same transaction."""
    if not account_ids:
        return
    done = set(await BilledCycle.filter(account_id__in=account_ids,
                                        first_day=start).values_list("account_id", flat=True))
    todo = sorted(set(account_ids) - done)
    if not todo:
        return
    db = Call._meta.db
    if db.capabilities.dialect == "postgres":
        # An import still running could commit calls of lower ids after the highest is read,
        # and they would count as billed without being billed: wait for the imports under way
        # (SHARE conflicts with their inserts) and hold new ones until this close commits.
        # (SQLite runs one writer at a time.)
        await db.execute_script('LOCK TABLE "callcenter_call" IN SHARE MODE')
    highest = await Call.all().annotate(top=Max("id")).values("top")
    through = int(highest[0]["top"] or 0) if highest else 0
    previous = await _previous(todo, start)
    rows = []
    for account_id in todo:
        after, _, earliest = previous.get(account_id, (None, None, None))
        rows.append(BilledCycle(account_id=account_id, first_day=start, last_day=end,
                                through_id=through, after_id=after,
                                late_from=earliest if after is not None else None))
    await BilledCycle.bulk_create(rows, ignore_conflicts=True)
