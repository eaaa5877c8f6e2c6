"""The call-center side of billing (issue 16): billable call minutes as usage for the billing
plugin's cycle (``gateway_billable_usage``), and the cycles it closed recorded, so that
"Appels facturables" lists only calls already billed (``gateway_billable_usage_billed``)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tortoise.functions import Count, Sum

from gateway.api import Text
from plugins.callcenter.models import BilledCycle
from plugins.callcenter.services import worked_calls

# The usage key (a plan's ``usage_key`` in the billing catalogue) of billable call minutes.
MINUTE = "CALL_MINUTES"
CENT = Decimal("0.01")


def minutes(seconds: float) -> Decimal:
    """The seed's "Statistic" total (talk plus wrap-up time) in minutes, to the hundredth."""
    return (Decimal(str(round(seconds, 6))) / 60).quantize(CENT, rounding=ROUND_HALF_UP)


async def billable_usage(account_ids: list[int], start: dt.date,
                         end: dt.date) -> list[dict[str, Any]]:
    """Per account: the minutes of its billable calls from ``start`` to ``end`` (local days,
    both included), one aggregate query for the whole batch."""
    if not account_ids:
        return []
    rows = await worked_calls(start, end).filter(account_id__in=account_ids).annotate(
        n=Count("id"), talk=Sum("agent_seconds"), wrap=Sum("wrap_seconds")).group_by(
        "account_id").values("account_id", "n", "talk", "wrap")
    usage = []
    for row in rows:
        total = minutes(float(row["talk"] or 0) + float(row["wrap"] or 0))
        calls = int(row["n"])
        usage.append({
            "account_id": row["account_id"], "unit": MINUTE, "quantity": total,
            "description": Text(
                en=f"{total} minutes of {calls} billable calls from {start} to {end}",
                fr=f"{total} minutes de {calls} appels facturables du {start} au {end}"),
        })
    return usage


async def record_billed(account_ids: list[int], start: dt.date, end: dt.date) -> None:
    """Record the cycle as billed for these accounts; again for the same cycle, nothing."""
    if not account_ids:
        return
    done = set(await BilledCycle.filter(account_id__in=account_ids,
                                        first_day=start).values_list("account_id", flat=True))
    await BilledCycle.bulk_create(
        [BilledCycle(account_id=account_id, first_day=start, last_day=end)
         for account_id in sorted(set(account_ids) - done)],
        ignore_conflicts=True)
