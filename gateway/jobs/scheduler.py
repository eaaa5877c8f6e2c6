"""Periodic jobs: each interval slot is enqueued once, whichever process gets there first."""

from __future__ import annotations

import asyncio
import logging
import time

from gateway.contributions import PeriodicJob
from gateway.jobs.outbox import enqueue

log = logging.getLogger("gateway.jobs.scheduler")


async def schedule_due(periodic: list[PeriodicJob], now: float | None = None) -> int:
    """Enqueue the current slot of every periodic job; the dedupe key makes it once per slot."""
    now = time.time() if now is None else now
    created = 0
    for item in periodic:
        slot = int(now // item.every_seconds)
        row = await enqueue(
            item.job,
            {**item.payload, "slot": slot},
            dedupe_key=f"periodic:{item.name}:{slot}",
        )
        created += row is not None
    return created


async def run_scheduler(periodic: list[PeriodicJob], tick: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await schedule_due(periodic)
        except Exception:
            log.exception("scheduler pass failed; trying again")
        try:
            await asyncio.wait_for(stop.wait(), timeout=tick)
        except TimeoutError:
            pass
