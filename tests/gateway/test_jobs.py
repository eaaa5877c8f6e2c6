"""The outbox: transactional, idempotent, retried with backoff, visible when failed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tortoise.transactions import in_transaction

from gateway.jobs import enqueue, outbox
from gateway.jobs.runtime import run_job
from gateway.jobs.scheduler import schedule_due
from gateway.models import OutboxJob, OutboxStatus
from gateway.plugins import PluginHost, PluginSpec
from tests.conftest import Gateway, make_settings, start_gateway
from tests.support import jobs_plugin


def _specs() -> list[PluginSpec]:
    return [PluginSpec(name="testjobs", module="tests.support.jobs_plugin", source="built in")]


@pytest.fixture
async def jobs_gateway(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    jobs_plugin.effects.clear()
    jobs_plugin.failures_left.clear()
    settings = make_settings(migrated, tmp_path)
    host = PluginHost(settings, specs=_specs())
    async for running in start_gateway(
        settings,
        host=host,
        job_options={"relay_interval": 0.05, "scheduler_tick": 0.1, "in_process_workers": True},
    ):
        yield running


async def wait_for(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if await predicate():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def _status(job_id: int) -> OutboxStatus:
    return (await OutboxJob.get(id=job_id)).status


async def test_committed_job_runs_through_dramatiq(jobs_gateway: Gateway) -> None:
    async with in_transaction():
        row = await enqueue("test.record", {"n": 1})
    assert row is not None

    async def done() -> bool:
        return await _status(row.id) == OutboxStatus.DONE

    await wait_for(done)
    assert [e["n"] for e in jobs_plugin.effects if "n" in e] == [1]


async def test_rolled_back_transaction_leaves_no_job(jobs_gateway: Gateway) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with in_transaction():
            await enqueue("test.record", {"n": 2})
            raise Boom
    assert await OutboxJob.filter(job="test.record", dedupe_key__isnull=True).count() == 0
    await asyncio.sleep(0.2)
    assert all(e.get("n") != 2 for e in jobs_plugin.effects)


async def test_job_delivered_twice_has_effect_once(jobs_gateway: Gateway) -> None:
    runtime = jobs_gateway.app.state.jobs
    row = await enqueue("test.record", {"n": 3})
    assert row is not None
    definition = runtime.definitions["test.record"]
    # Two deliveries of the same message at once, then a late third one.
    results = await asyncio.gather(run_job(definition, row.id), run_job(definition, row.id))
    late = await run_job(definition, row.id)
    assert sorted(results + [late]).count("done") == 1
    await asyncio.sleep(0.3)  # the relay's own delivery, if any, must not add an effect
    assert [e["n"] for e in jobs_plugin.effects if "n" in e] == [3]


async def test_failing_job_retries_with_backoff_then_succeeds(jobs_gateway: Gateway) -> None:
    jobs_plugin.failures_left["a"] = 2
    row = await enqueue("test.flaky", {"key": "a"})
    assert row is not None

    async def done() -> bool:
        return await _status(row.id) == OutboxStatus.DONE

    await wait_for(done)
    final = await OutboxJob.get(id=row.id)
    assert final.attempts == 3
    assert [e["key"] for e in jobs_plugin.effects if "key" in e] == ["a"]


async def test_exhausted_job_is_failed_visible_and_rerunnable(jobs_gateway: Gateway) -> None:
    jobs_plugin.failures_left["b"] = 10
    row = await enqueue("test.flaky", {"key": "b"})
    assert row is not None

    async def failed() -> bool:
        return await _status(row.id) == OutboxStatus.FAILED

    await wait_for(failed)
    final = await OutboxJob.get(id=row.id)
    assert final.attempts == 3 and "flaky failure for b" in (final.last_error or "")
    assert jobs_plugin.effects == [] or all(e.get("key") != "b" for e in jobs_plugin.effects)

    jobs_plugin.failures_left["b"] = 0
    assert await outbox.rerun(row.id) is not None

    async def done() -> bool:
        return await _status(row.id) == OutboxStatus.DONE

    await wait_for(done)
    assert [e["key"] for e in jobs_plugin.effects if "key" in e] == ["b"]


async def test_backoff_grows_exponentially() -> None:
    delays = [outbox.backoff_delay(10, attempt) for attempt in (1, 2, 3, 4)]
    for attempt, delay in enumerate(delays, start=1):
        expected = 10 * 2 ** (attempt - 1)
        assert expected * 0.75 <= delay <= expected * 1.25


async def test_unsent_rows_are_sent_after_a_restart(
    migrated: str, tmp_path: Path
) -> None:
    jobs_plugin.effects.clear()
    settings = make_settings(migrated, tmp_path)
    host = PluginHost(settings, specs=_specs())
    # First process: writes jobs but its relay never runs (it "crashes" before sending).
    async for running in start_gateway(settings, host=host, run_jobs=False):
        rows = [await enqueue("test.record", {"n": n}) for n in (10, 11)]
        ids = [row.id for row in rows if row is not None]
        assert {await _status(i) for i in ids} == {OutboxStatus.PENDING}
        # A row handed to a broker that lost it, long ago, is also picked up again.
        await OutboxJob.filter(id=ids[1]).update(status=OutboxStatus.QUEUED)
        await OutboxJob.filter(id=ids[1]).update(
            updated_at=outbox.utcnow() - __import__("datetime").timedelta(hours=1)
        )
    # Second process: same database, nothing truncated.
    from gateway.app import create_app

    app = create_app(settings, host=PluginHost(settings, specs=_specs()), migrate_on_start=False,
                     job_options={"relay_interval": 0.05, "in_process_workers": True})
    async with app.router.lifespan_context(app):
        async def all_done() -> bool:
            return {await _status(i) for i in ids} == {OutboxStatus.DONE}

        await wait_for(all_done)
    assert sorted(e["n"] for e in jobs_plugin.effects if "n" in e) == [10, 11]


async def test_periodic_job_is_enqueued_once_per_slot(jobs_gateway: Gateway) -> None:
    periodic = jobs_gateway.app.state.jobs.periodic
    # Two schedulers (two processes) passing in the same slot create one job.
    first = await schedule_due(periodic, now=7200.0 * 1000)
    second = await schedule_due(periodic, now=7200.0 * 1000 + 5)
    assert (first, second) == (1, 0)
    assert await OutboxJob.filter(dedupe_key="periodic:test.tick:2000").count() == 1


async def test_a_job_without_an_actor_ends_failed_with_the_reason(jobs_gateway: Gateway) -> None:
    row = await enqueue("nobody.handles_this", {"n": 1})
    assert row is not None

    async def failed() -> bool:
        return await _status(row.id) == OutboxStatus.FAILED

    await wait_for(failed)
    final = await OutboxJob.get(id=row.id)
    assert "no actor named 'nobody.handles_this'" in (final.last_error or "")
    assert final.finished_at is not None and final.updated_at >= final.created_at
