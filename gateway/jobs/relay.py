"""The relay hands due outbox rows to the broker; several relays may run at once."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import dramatiq

from gateway.clock import utcnow
from gateway.jobs import outbox
from gateway.models import OutboxJob, OutboxStatus

log = logging.getLogger("gateway.jobs.relay")

_wakers: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []


def wake_relay() -> None:
    """Ask running relays to look now (shortly, so the caller's transaction can commit)."""
    for loop, event in list(_wakers):
        if not loop.is_closed():
            loop.call_soon_threadsafe(loop.call_later, 0.05, event.set)


BATCH = 100  # rows per pass; a full pass is followed by another at once


async def relay_once(actors: dict[str, dramatiq.Actor[Any, Any]]) -> int:
    """Send every due row once (up to ``BATCH``); returns how many were looked at."""
    due = await outbox.due_jobs(BATCH)
    for job_id, job in due:
        if not await outbox.mark_queued(job_id):
            continue
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
        try:
            actor.send(job_id)
        except Exception:
            log.exception("broker refused job %s; it stays pending", job_id)
            await OutboxJob.filter(id=job_id, status=OutboxStatus.QUEUED).update(
                status=OutboxStatus.PENDING
            )
    return len(due)


async def run_relay(
    actors: dict[str, dramatiq.Actor[Any, Any]], interval: float, stop: asyncio.Event
) -> None:
    """Loop until ``stop``: relay due rows, then sleep ``interval`` or until woken."""
    event = asyncio.Event()
    entry = (asyncio.get_running_loop(), event)
    _wakers.append(entry)
    try:
        while not stop.is_set():
            try:
                if await relay_once(actors) >= BATCH:
                    continue  # a backlog: the next batch now, not after the interval
            except Exception:
                log.exception("relay pass failed; trying again")
            event.clear()
            waiter = asyncio.ensure_future(event.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=interval, return_when="FIRST_COMPLETED")
            waiter.cancel()
            stopper.cancel()
    finally:
        _wakers.remove(entry)
