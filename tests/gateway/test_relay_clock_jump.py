"""The wall clock jumping ahead (an NTP step; the fault matrix's clock-jump row found a job run
twice): a job queued or running when it jumped keeps its lease, instead of looking an hour old
and being handed again beside the run in progress. Its lease still ends, a lease after."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.clock import utcnow
from gateway.jobs import outbox, relay
from gateway.jobs.relay import ClockWatch
from gateway.models import OutboxJob, OutboxStatus
from tests.conftest import Gateway, make_settings, start_gateway

HOUR = 3600.0


@pytest.fixture
async def quiet_relay(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """A gateway without its job runtime: this test drives the lease check itself."""
    async for running in start_gateway(make_settings(migrated, tmp_path), run_jobs=False):
        yield running


class Clocks:
    """The wall clock (time.time and the outbox's utcnow) moved by the test; the monotonic
    clock moved with it unless it jumps."""

    def __init__(self, monkeypatch: Any) -> None:
        self.ahead = 0.0  # seconds the wall clock jumped
        self.elapsed = 0.0  # seconds really passed
        wall, mono = time.time(), time.monotonic()
        monkeypatch.setattr(relay.time, "time", lambda: wall + self.elapsed + self.ahead)
        monkeypatch.setattr(relay.time, "monotonic", lambda: mono + self.elapsed)
        start = utcnow()
        monkeypatch.setattr(outbox, "utcnow", lambda: start + dt.timedelta(
            seconds=self.elapsed + self.ahead))


async def _status(row: OutboxJob) -> str:
    return (await OutboxJob.get(id=row.id)).status


async def test_a_running_job_keeps_its_lease_when_the_clock_jumps(
        quiet_relay: Gateway, monkeypatch: Any) -> None:
    clocks = Clocks(monkeypatch)
    watch = ClockWatch()
    row = await OutboxJob.create(job="test.jump", payload={}, status=OutboxStatus.RUNNING,
                                 run_after=utcnow(), updated_at=outbox.utcnow())
    clocks.elapsed, clocks.ahead = 1.0, HOUR
    assert await outbox.due_jobs(100, watch.allowance()) == []
    assert await _status(row) == OutboxStatus.RUNNING
    clocks.elapsed = 60.0
    assert await outbox.due_jobs(100, watch.allowance()) == []
    assert await _status(row) == OutboxStatus.RUNNING
    # What the allowance prevents: without it, the job one minute into its run is taken for
    # abandoned and handed again.
    assert [job for job, _ in await outbox.due_jobs(100, 0.0)] == [row.id]
    assert await _status(row) == OutboxStatus.PENDING


async def test_without_a_jump_the_lease_is_as_it_was(quiet_relay: Gateway,
                                                     monkeypatch: Any) -> None:
    clocks = Clocks(monkeypatch)
    watch = ClockWatch()
    row = await OutboxJob.create(job="test.jump", payload={}, status=OutboxStatus.QUEUED,
                                 run_after=utcnow(), updated_at=outbox.utcnow())
    clocks.elapsed = outbox.LEASE_SECONDS - 5.0
    assert watch.allowance() == 0.0
    assert await outbox.due_jobs(100, 0.0) == [] and await _status(row) == OutboxStatus.QUEUED
    clocks.elapsed = outbox.LEASE_SECONDS + 5.0
    assert watch.allowance() == 0.0
    assert [job for job, _ in await outbox.due_jobs(100, 0.0)] == [row.id]


def test_an_hours_jump_is_allowed_for_one_lease(monkeypatch: Any) -> None:
    """An hour's jump is an allowance of an hour, for one lease of real time: then the jobs
    whose last change came before the jump are a lease old indeed."""
    clocks = Clocks(monkeypatch)
    watch = ClockWatch()
    clocks.elapsed, clocks.ahead = 1.0, HOUR
    assert watch.allowance() == pytest.approx(HOUR)
    clocks.elapsed = outbox.LEASE_SECONDS - 1.0
    assert watch.allowance() == pytest.approx(HOUR)
    clocks.elapsed = outbox.LEASE_SECONDS + 2.0
    assert watch.allowance() == 0.0
