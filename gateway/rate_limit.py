"""Rate limits of costly actions (emails to typed addresses, file downloads), shared by every
gateway process: a fixed window of ``limit`` units per ``window`` for each key, counted in the
database (rows of ``core_login_throttle`` under the ``rate:`` prefix, so no new table).

``spend(rate, key, cost)`` counts ``cost`` units and says how long to wait when that would go
over the limit (and then counts nothing: a refused request does not use up the window).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from gateway.identity.models import LoginThrottle


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` units per ``window`` for each key of ``name``."""

    name: str
    limit: int
    window: dt.timedelta

    def key(self, value: Any) -> str:
        text = str(value)
        if len(text) > 200:  # a token: its digest
            text = hashlib.sha256(text.encode()).hexdigest()
        return f"rate:{self.name}:{text}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _count(key: str, cost: int, now: dt.datetime, cutoff: dt.datetime) -> LoginThrottle:
    for _ in range(3):
        # One atomic statement per case, so concurrent processes never lose a count.
        if await LoginThrottle.filter(key=key, window_started_at__gt=cutoff).update(
                failures=F("failures") + cost):
            break
        if await LoginThrottle.filter(key=key, window_started_at__lte=cutoff).update(
                failures=cost, window_started_at=now, locked_until=None):
            break
        try:
            await LoginThrottle.create(key=key, failures=cost, window_started_at=now)
            break
        except IntegrityError:  # another process created it first: count on its row
            continue
    return await LoginThrottle.get(key=key)


async def spend(rate: RateLimit, value: Any, cost: int = 1) -> int | None:
    """Count ``cost`` units for ``value``; the seconds to wait when over ``rate`` (nothing is
    counted then), else None."""
    if rate.limit <= 0:
        return None
    key = rate.key(value)
    now = _now()
    row = await _count(key, max(cost, 0), now, now - rate.window)
    if row.failures <= rate.limit:
        return None
    await LoginThrottle.filter(key=key, failures__gte=cost).update(
        failures=F("failures") - cost)
    until = row.window_started_at + rate.window
    return max(1, math.ceil((until - now).total_seconds()))


async def give_back(rate: RateLimit, value: Any, cost: int = 1) -> None:
    """Undo ``cost`` units counted for ``value`` (the action did not happen after all)."""
    await LoginThrottle.filter(key=rate.key(value), failures__gte=cost).update(
        failures=F("failures") - cost)
