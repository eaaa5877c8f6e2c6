"""The relay hands due outbox rows to the broker; several relays may run at once."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import dramatiq

from gateway.clock import utcnow
from gateway.jobs import outbox
from gateway.models import OutboxJob, OutboxStatus
from gateway.unavailable import is_unavailable

log = logging.getLogger("gateway.jobs.relay")

_wakers: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []


def wake_relay() -> None:
    """Ask running relays to look now (shortly, so the caller's transaction can commit)."""
    for loop, event in list(_wakers):
        if not loop.is_closed():
            loop.call_soon_threadsafe(loop.call_later, 0.05, event.set)


BATCH = 100  # rows per pass; a full pass is followed by another at once
# The broker down: the relay waits this long after its first refusal, twice as long after each
# next one, up to the cap, and new rows do not wake it meanwhile (they would be refused too).
BROKER_RETRY_CAP = 30.0


class BrokerRefused(Exception):  # noqa: N818 - a state of the broker, reported by the relay
    """The broker refused a row: the rest of the pass would be refused too. The row is
    pending again."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"broker refused job {job_id}")
        self.job_id = job_id


JUMP_SECONDS = 5.0  # the wall clock moving this much more than the monotonic one: a jump


class ClockWatch:
    """Forward jumps of the wall clock seen between two passes (an NTP step, a resumed virtual
    machine, an operator's correction). Leases are wall-clock instants in the outbox: after a
    jump of an hour, every job queued or running looks an hour old, and would be handed again
    and run a second time beside the first. For a lease's time after each jump, the relay's
    leases are that much longer."""

    def __init__(self) -> None:
        self._wall, self._mono = time.time(), time.monotonic()
        self._jumps: list[tuple[float, float]] = []  # (monotonic instant, seconds ahead)

    def allowance(self) -> float:
        """Seconds to add to the lease now (0 unless the clock jumped within a lease)."""
        wall, mono = time.time(), time.monotonic()
        jumped = (wall - self._wall) - (mono - self._mono)
        self._wall, self._mono = wall, mono
        if jumped > JUMP_SECONDS:
            log.warning("the wall clock jumped %.0f s ahead: jobs queued or running keep their "
                        "lease for %d s more", jumped, outbox.LEASE_SECONDS)
            self._jumps.append((mono, jumped))
        self._jumps = [(at, ahead) for at, ahead in self._jumps
                       if mono - at < outbox.LEASE_SECONDS]
        return sum(ahead for _, ahead in self._jumps)


def broker_retry_delay(refusals: int, interval: float) -> float:
    """How long the relay waits after ``refusals`` passes in a row the broker refused."""
    return min(BROKER_RETRY_CAP, max(interval, 0.5) * 2 ** (refusals - 1))


async def relay_once(actors: dict[str, dramatiq.Actor[Any, Any]],
                     clock: ClockWatch | None = None) -> int:
    """Send every due row once (up to ``BATCH``, marked queued in one statement); returns how
    many were looked at. Stops at the first row the broker refuses (``BrokerRefused``), that
    row and the rest of the pass pending again."""
    due = await outbox.due_jobs(BATCH, clock.allowance() if clock is not None else 0.0)
    queued = await outbox.mark_queued([job_id for job_id, _ in due])
    for index, (job_id, job) in enumerate(due):
        if job_id not in queued:
            continue  # another relay took it
        actor = actors.get(job)
        if actor is None:
            now = utcnow()
            await OutboxJob.filter(id=job_id).update(
                status=OutboxStatus.FAILED,
                last_error=f"no actor named {job!r} in this gateway (is its plugin enabled?)",
                finished_at=now,
                updated_at=now,
            )
            await outbox.announce(job_id)
            continue
        await outbox.announce(job_id)
        try:
            actor.send(job_id)
        except Exception as exc:
            # This row and the rest of the pass go back to pending (they were marked at once).
            unsent = [other for other, _ in due[index:] if other in queued]
            await OutboxJob.filter(id__in=unsent, status=OutboxStatus.QUEUED).update(
                status=OutboxStatus.PENDING
            )
            raise BrokerRefused(job_id) from exc
    return len(due)


async def run_relay(
    actors: dict[str, dramatiq.Actor[Any, Any]], interval: float, stop: asyncio.Event
) -> None:
    """Loop until ``stop``: relay due rows, then sleep ``interval`` or until woken."""
    event = asyncio.Event()
    entry = (asyncio.get_running_loop(), event)
    _wakers.append(entry)
    refusals = 0
    down_since = utcnow()
    clock = ClockWatch()
    try:
        while not stop.is_set():
            wait = interval
            try:
                looked_at = await relay_once(actors, clock)
                if looked_at:  # a pass with nothing due says nothing of the broker
                    if refusals:
                        # What the broker held when it went may be gone with it: the rows
                        # queued before are handed again now, not after their lease.
                        again = await outbox.hand_again(down_since)
                        log.warning("broker accepts jobs again after %d refused passes; %d "
                                    "rows queued before it went are handed again", refusals,
                                    again)
                        wake_relay()
                    refusals = 0
                if looked_at >= BATCH:
                    continue  # a backlog: the next batch now, not after the interval
            except BrokerRefused as exc:
                # Once with the reason, then a line per pass: not one per row and wake-up.
                refusals += 1
                wait = broker_retry_delay(refusals, interval)
                if refusals == 1:
                    down_since = utcnow()
                    log.error("%s; due rows stay pending, handed again in %.1f s", exc, wait,
                              exc_info=exc.__cause__)
                else:
                    log.warning("%s again (%d passes); next try in %.1f s", exc, refusals, wait)
            except Exception as exc:
                if is_unavailable(exc):  # the database down: said, not a bug's trace
                    log.warning("relay: the database is unavailable (%s); trying again", exc)
                else:
                    log.exception("relay pass failed; trying again")
            event.clear()
            stopper = asyncio.ensure_future(stop.wait())
            waiting = {stopper}
            if not refusals:  # new rows wake the relay, unless the broker is down
                waiting.add(asyncio.ensure_future(event.wait()))
            await asyncio.wait(waiting, timeout=wait, return_when="FIRST_COMPLETED")
            for task in waiting:
                task.cancel()
    finally:
        _wakers.remove(entry)
