"""Throttling of sign-in attempts (and reset requests) per login and per client address.

Counters are ``LoginThrottle`` rows, so every gateway process shares them. An attempt is
counted *before* the password is checked: two processes racing on one login cannot both slip
past the limit, and a success then clears (login) or gives back (address) its count. A fixed
window: after ``limit`` counted attempts, the next ones are refused until the window ends.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from gateway.identity.models import LoginThrottle


@dataclass(frozen=True)
class Limit:
    """``limit`` attempts per ``window`` for keys ``<prefix>:<value>``."""

    prefix: str
    limit: int
    window: dt.timedelta

    def key(self, value: str) -> str:
        return f"{self.prefix}:{value}"[:300]


LOGIN = Limit("login", 5, dt.timedelta(minutes=15))
ADDRESS = Limit("addr", 20, dt.timedelta(minutes=15))
# "Oublié?" sends email: bounded so nobody can flood a person's mailbox or our SMTP relay.
RESET_LOGIN = Limit("reset", 3, dt.timedelta(hours=1))
RESET_ADDRESS = Limit("reset-addr", 20, dt.timedelta(hours=1))

# Rows whose window ended this long ago tell nothing any more.
_STALE_AFTER = dt.timedelta(days=1)
# Cleaning up now and then as attempts come in keeps the table small without a scheduled job.
_PURGE_CHANCE = 0.01


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def hit(limit: Limit, value: str) -> int | None:
    """Count one attempt for ``value``; the seconds to wait when it is over the limit, else None."""
    key = limit.key(value)
    now = utcnow()
    cutoff = now - limit.window
    for _ in range(3):
        # One atomic statement per case, so concurrent processes never lose a count.
        if await LoginThrottle.filter(key=key, window_started_at__gt=cutoff).update(
            failures=F("failures") + 1
        ):
            break
        if await LoginThrottle.filter(key=key, window_started_at__lte=cutoff).update(
            failures=1, window_started_at=now, locked_until=None
        ):
            break
        try:
            await LoginThrottle.create(key=key, failures=1, window_started_at=now)
            break
        except IntegrityError:  # another process created it first: count on its row
            continue
    if random.random() < _PURGE_CHANCE:
        await purge_stale()
    row = await LoginThrottle.get_or_none(key=key)
    if row is None or row.failures <= limit.limit:
        return None
    until = row.window_started_at + limit.window
    if row.locked_until != until:
        # Not needed for the decision: tells an operator looking at the table who is locked.
        await LoginThrottle.filter(id=row.id).update(locked_until=until)
    return max(1, math.ceil((until - now).total_seconds()))


async def retry_after(limit: Limit, value: str) -> int | None:
    """Seconds until ``value`` may try again, without counting an attempt; None when free."""
    row = await LoginThrottle.get_or_none(key=limit.key(value))
    if row is None or row.failures <= limit.limit:
        return None
    until = row.window_started_at + limit.window
    wait = math.ceil((until - utcnow()).total_seconds())
    return wait if wait > 0 else None


async def give_back(limit: Limit, value: str) -> None:
    """Undo one counted attempt that turned out not to be a failure (a success, a refusal)."""
    await LoginThrottle.filter(key=limit.key(value), failures__gt=0).update(
        failures=F("failures") - 1
    )


async def clear(limit: Limit, *values: str) -> None:
    """Forget the attempts of ``values`` (a successful sign-in, a password reset)."""
    keys = {limit.key(v) for v in values if v}
    if keys:
        await LoginThrottle.filter(key__in=keys).delete()


async def purge_stale() -> int:
    """Delete rows whose window ended long ago (logins sprayed by an attacker pile up)."""
    longest = max(limit.window for limit in (LOGIN, ADDRESS, RESET_LOGIN, RESET_ADDRESS))
    cutoff = utcnow() - longest - _STALE_AFTER
    return await LoginThrottle.filter(window_started_at__lt=cutoff).delete()

