"""The outbox's status changes in as few statements as they need: a relay's pass marks all its
rows queued in one, a worker's claim changes its row and reads it back in one, "done" in one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.clock import utcnow
from gateway.jobs import outbox
from gateway.models import OutboxJob, OutboxStatus
from tests.conftest import Gateway, make_settings, start_gateway


@pytest.fixture
async def quiet(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """A gateway without its job runtime: nothing but this test touches the outbox."""
    async for running in start_gateway(make_settings(migrated, tmp_path), run_jobs=False):
        yield running


async def _rows(n: int) -> list[OutboxJob]:
    return [await OutboxJob.create(job="test.statements", payload={"n": n}, run_after=utcnow())
            for n in range(n)]


async def test_a_pass_marks_only_the_rows_no_other_relay_took(quiet: Gateway) -> None:
    rows = await _rows(3)
    ids = [row.id for row in rows]
    assert await outbox.mark_queued([ids[1]]) == {ids[1]}  # another relay, first
    assert await outbox.mark_queued(ids) == {ids[0], ids[2]}
    assert await outbox.mark_queued(ids) == set()
    statuses = await OutboxJob.filter(id__in=ids).values_list("status", flat=True)
    assert set(statuses) == {OutboxStatus.QUEUED}


async def test_a_claim_reads_its_row_back_and_a_second_delivery_gets_none(
        quiet: Gateway) -> None:
    rows = await _rows(2)
    await outbox.mark_queued([rows[0].id])
    claimed = await outbox.claim(rows[0].id)
    assert claimed is not None
    assert (claimed.id, claimed.status, claimed.attempts, claimed.payload) == (
        rows[0].id, OutboxStatus.RUNNING, 1, {"n": 0})
    assert claimed.created_at == rows[0].created_at
    assert await outbox.claim(rows[0].id) is None  # a duplicate delivery
    await outbox.finish(claimed)
    assert (await OutboxJob.get(id=rows[0].id)).status == OutboxStatus.DONE
    assert await outbox.claim(rows[0].id) is None


async def test_done_keeps_the_trimmed_payload_or_the_whole_one(quiet: Gateway) -> None:
    rows = await _rows(3)
    await outbox.mark_queued([row.id for row in rows])
    trimmed, whole, failed = [await outbox.claim(row.id) for row in rows]
    assert trimmed is not None and whole is not None and failed is not None
    await outbox.finish(trimmed, lambda payload: {"kept": payload["n"] + 10})
    await outbox.finish(whole)
    assert await outbox.fail(failed, "boom", 60.0) == OutboxStatus.PENDING
    await outbox.finish(failed)  # no longer running: left as it is
    done = {row.id: row for row in await OutboxJob.filter(id__in=[r.id for r in rows])}
    assert (done[rows[0].id].payload, done[rows[1].id].payload) == ({"kept": 10}, {"n": 1})
    assert all(done[row.id].finished_at is not None for row in rows[:2])
    assert (done[rows[2].id].status, done[rows[2].id].last_error) == (OutboxStatus.PENDING, "boom")
