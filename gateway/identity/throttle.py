"""Throttling of sign-in attempts (and reset requests) per login and per client address.

Counters are ``LoginThrottle`` rows, so every gateway process shares them. An attempt is
counted *before* the password is checked: two processes racing on one login cannot both slip
past the limit, and a success then clears (login) or gives back (address) its count.

Sign-in limits are a *progressive delay*, never a long lock: after ``limit`` attempts in the
window, each further attempt must wait ``1 s, 2 s, 4 s…`` (at most ``max_delay``) after the
previous one; an attempt refused meanwhile is not counted. Six anonymous requests hold a login
back for two seconds, not fifteen minutes, and a person can still get in between an
attacker's attempts. Reset requests (which send email) keep a fixed window: after ``limit``,
none until the window ends.
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
    """``limit`` attempts per ``window`` for keys ``<prefix>:<value>``; beyond, a delay
    doubling up to ``max_delay`` (progressive), or nothing until the window ends (None)."""

    prefix: str
    limit: int
    window: dt.timedelta
    max_delay: dt.timedelta | None = None

    def key(self, value: str) -> str:
        return f"{self.prefix}:{value}"[:300]


LOGIN = Limit("login", 5, dt.timedelta(minutes=15), max_delay=dt.timedelta(seconds=60))
ADDRESS = Limit("addr", 20, dt.timedelta(minutes=15), max_delay=dt.timedelta(seconds=60))
# "Oublié?" sends email: bounded so nobody can flood a person's mailbox or our SMTP relay.
RESET_LOGIN = Limit("reset", 3, dt.timedelta(hours=1))
RESET_ADDRESS = Limit("reset-addr", 20, dt.timedelta(hours=1))

# Rows whose window ended this long ago tell nothing any more.
_STALE_AFTER = dt.timedelta(days=1)
# Cleaning up now and then as attempts come in keeps the table small without a scheduled job.
_PURGE_CHANCE = 0.01


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def delay(limit: Limit, attempts: int) -> dt.timedelta | None:
    """How long after its ``attempts``-th attempt in the window a key must wait (progressive
    limits): none before ``limit``, then 1 s, 2 s, 4 s… up to ``max_delay``."""
    if limit.max_delay is None or attempts < limit.limit:
        return None
    seconds = 2 ** min(attempts - limit.limit, 30)
    return min(dt.timedelta(seconds=seconds), limit.max_delay)


def _wait(until: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


async def _hit_progressive(limit: Limit, key: str, now: dt.datetime) -> int | None:
    """Count one attempt unless the key must still wait (then the seconds, not counted). A
    compare-and-set on the count: racing processes cannot both pass on one count."""
    for _ in range(6):
        row = await LoginThrottle.get_or_none(key=key)
        if row is None:
            try:
                await LoginThrottle.create(key=key, failures=1, window_started_at=now,
                                           locked_until=_until(limit, 1, now))
                return None
            except IntegrityError:  # another process created it first: count on its row
                continue
        fresh = row.window_started_at <= now - limit.window
        if not fresh and row.locked_until is not None and row.locked_until > now:
            return _wait(row.locked_until, now)
        attempts = 1 if fresh else row.failures + 1
        if await LoginThrottle.filter(id=row.id, failures=row.failures).update(
            failures=attempts, window_started_at=now if fresh else row.window_started_at,
            locked_until=_until(limit, attempts, now),
        ):
            return None
    return 1  # too many at once on this key: the caller tries again in a second


def _until(limit: Limit, attempts: int, now: dt.datetime) -> dt.datetime | None:
    wait = delay(limit, attempts)
    return now + wait if wait is not None else None


async def hit(limit: Limit, value: str) -> int | None:
    """Count one attempt for ``value``; the seconds to wait when it is over the limit, else None."""
    key = limit.key(value)
    now = utcnow()
    if limit.max_delay is not None:
        wait = await _hit_progressive(limit, key, now)
        if random.random() < _PURGE_CHANCE:
            await purge_stale()
        return wait
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
    now = utcnow()
    if row is None:
        return None
    if limit.max_delay is not None:
        live = row.window_started_at > now - limit.window
        return (_wait(row.locked_until, now) if live and row.locked_until is not None
                and row.locked_until > now else None)
    if row.failures <= limit.limit:
        return None
    until = row.window_started_at + limit.window
    wait = math.ceil((until - now).total_seconds())
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

