"""The outbox: a job row written in the caller's transaction, claimed at most once at a time."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from gateway.clock import utcnow
from gateway.jobs.errors import NOT_FAILED, NOT_FOUND, JobErrorCode
from gateway.jobs.registry import job_definition
from gateway.models import OutboxJob, OutboxStatus
from gateway.observability import current_request_id
from gateway.problems import Field, Problem

# A queued row the broker never delivered, or a running row whose worker died, is retried
# after this long.
LEASE_SECONDS = 300

# What else happens when the outbox changes, registered by the job runtime (the outbox knows
# neither the relay nor the subscribers): a row is due (wake the relay), a row's status
# changed (publish it).
_on_enqueue: list[Callable[[], None]] = []
_on_status_change: list[Callable[[int], Awaitable[None]]] = []


def on_enqueue(callback: Callable[[], None]) -> None:
    """Call ``callback()`` whenever a row is written or made due again (once per callback)."""
    if callback not in _on_enqueue:
        _on_enqueue.append(callback)


def on_status_change(callback: Callable[[int], Awaitable[None]]) -> None:
    """Await ``callback(job_id)`` after each committed status change (once per callback)."""
    if callback not in _on_status_change:
        _on_status_change.append(callback)


def _enqueued() -> None:
    for callback in list(_on_enqueue):
        callback()


async def enqueue(
    job: str,
    payload: dict[str, Any] | None = None,
    *,
    dedupe_key: str | None = None,
    max_attempts: int | None = None,
    run_after: dt.datetime | None = None,
) -> OutboxJob | None:
    """Write a job row; inside ``in_transaction()`` it commits or rolls back with the caller.

    With ``dedupe_key``, a second row for the same key is not written (returns None).
    """
    definition = job_definition(job)
    fields: dict[str, Any] = {
        "job": job,
        "payload": payload or {},
        "max_attempts": max_attempts or (definition.max_attempts if definition else 5),
        "run_after": run_after or utcnow(),
        "dedupe_key": dedupe_key,
        "request_id": current_request_id(),
    }
    if dedupe_key is None:
        row = await OutboxJob.create(**fields)
    else:
        if await OutboxJob.filter(dedupe_key=dedupe_key).exists():
            return None
        try:
            row = await OutboxJob.create(**fields)
        except IntegrityError:
            return None
    _enqueued()
    return row


async def due_jobs(limit: int = 100, lease_allowance: float = 0.0) -> list[tuple[int, str]]:
    """Ids and actors of rows to hand to the broker now, including ones whose lease ran out;
    ``lease_allowance`` seconds longer when the wall clock just jumped ahead (``ClockWatch``)."""
    now = utcnow()
    stale = now - dt.timedelta(seconds=LEASE_SECONDS + lease_allowance)
    await OutboxJob.filter(
        status__in=[OutboxStatus.QUEUED, OutboxStatus.RUNNING], updated_at__lt=stale
    ).update(status=OutboxStatus.PENDING, run_after=now)
    return await OutboxJob.filter(status=OutboxStatus.PENDING, run_after__lte=now).order_by(
        "run_after", "id"
    ).limit(limit).values_list("id", "job")


async def hand_again(queued_before: dt.datetime) -> int:
    """Rows still queued from before the broker went away, whose messages it may have lost with
    it (Redis restarted empty): due again now, instead of after their lease. A message that did
    survive (RabbitMQ's durable queues) becomes a duplicate delivery, which ``claim`` turns
    away. Returns how many."""
    now = utcnow()
    count = await OutboxJob.filter(status=OutboxStatus.QUEUED,
                                   updated_at__lt=queued_before).update(
        status=OutboxStatus.PENDING, run_after=now, updated_at=now)
    return int(count)


async def mark_queued(job_ids: Sequence[int]) -> set[int]:
    """Claim pending rows for the broker, all in one statement (one commit for a relay's pass):
    the ids this relay got, without those another relay took first."""
    if not job_ids:
        return set()
    statement, values = _statement(
        _MARK_QUEUED.replace("{ids}", ", ".join(["{}"] * len(job_ids))),
        [OutboxStatus.QUEUED.value, utcnow(), OutboxStatus.PENDING.value, *job_ids])
    rows = await OutboxJob._meta.db.execute_query_dict(statement, values)
    return {int(row["id"]) for row in rows}


async def claim(job_id: int) -> OutboxJob | None:
    """Move a queued row to running for this worker; None for a duplicate delivery. One
    statement changes the row and reads it back."""
    statement, values = _statement(_CLAIM, [
        OutboxStatus.RUNNING.value, utcnow(), job_id, OutboxStatus.QUEUED.value,
        OutboxStatus.PENDING.value])
    rows = await OutboxJob._meta.db.execute_query_dict(statement, values)
    if not rows:
        return None
    await announce(job_id)
    # As the ORM makes a row it selected (SQLite hands back text for times and JSON).
    return OutboxJob._init_from_db(**rows[0])


# Statements the ORM does not write (UPDATE … RETURNING: the change and what it changed in one
# round trip); {} are the dialect's placeholders.
_MARK_QUEUED = ("UPDATE core_outbox_job SET status = {}, updated_at = {} "
                "WHERE status = {} AND id IN ({ids}) RETURNING id")
_CLAIM = ("UPDATE core_outbox_job SET status = {}, attempts = attempts + 1, updated_at = {} "
          "WHERE id = {} AND status IN ({}, {}) RETURNING *")
_FINISH = ("UPDATE core_outbox_job SET status = {}, finished_at = {}, updated_at = {}, "
           "last_error = NULL, payload = COALESCE({}, payload) WHERE id = {} AND status = {} "
           "RETURNING id")
_PAYLOAD = OutboxJob._meta.fields_map["payload"]


def _statement(template: str, values: list[Any]) -> tuple[str, list[Any]]:
    postgres = OutboxJob._meta.db.capabilities.dialect == "postgres"
    marks = [f"${n}" if postgres else "?" for n in range(1, len(values) + 1)]
    return template.format(*marks), values


async def finish(
    job: OutboxJob, done_payload: Callable[[dict[str, Any]], dict[str, Any]] | None = None
) -> None:
    """Mark the row done; ``done_payload`` trims what the row keeps of its payload."""
    now = utcnow()
    kept = None if done_payload is None else _PAYLOAD.to_db_value(done_payload(job.payload),
                                                                   OutboxJob)
    statement, values = _statement(_FINISH, [
        OutboxStatus.DONE.value, now, now, kept, job.id, OutboxStatus.RUNNING.value])
    rows = await OutboxJob._meta.db.execute_query_dict(statement, values)
    if rows:
        await announce(job.id)


def backoff_delay(base_seconds: float, attempts: int) -> float:
    """Exponential backoff with jitter: base, 2×base, 4×base… (±25 %)."""
    delay = base_seconds * (2 ** max(attempts - 1, 0))
    return delay * random.uniform(0.75, 1.25)


async def fail(job: OutboxJob, error: str, backoff_seconds: float) -> OutboxStatus:
    """Record a failed attempt: retry later with backoff, or end as failed."""
    now = utcnow()
    if job.attempts >= job.max_attempts:
        status = OutboxStatus.FAILED
        await OutboxJob.filter(id=job.id).update(
            status=status, last_error=error, finished_at=now, updated_at=now
        )
    else:
        status = OutboxStatus.PENDING
        delay = dt.timedelta(seconds=backoff_delay(backoff_seconds, job.attempts))
        await OutboxJob.filter(id=job.id).update(
            status=status, last_error=error, run_after=now + delay, updated_at=now
        )
    await announce(job.id)
    return status


async def rerun(job_id: int) -> OutboxJob | None:
    """Give a failed job a fresh set of attempts; None when it is not failed."""
    now = utcnow()
    updated = await OutboxJob.filter(id=job_id, status=OutboxStatus.FAILED).update(
        status=OutboxStatus.PENDING, attempts=0, run_after=now, finished_at=None, updated_at=now
    )
    if updated != 1:
        return None
    row = await OutboxJob.get(id=job_id)
    await announce(job_id)
    _enqueued()
    return row


def jobs(
    status: OutboxStatus | str | None = None,
    job: str | None = None,
    created_after: dt.datetime | None = None,
) -> QuerySet[OutboxJob]:
    """The outbox's rows, narrowed by whichever of status, actor and creation time are given."""
    query = OutboxJob.all()
    if status is not None:
        query = query.filter(status=status)
    if job:
        query = query.filter(job=job)
    if created_after is not None:
        query = query.filter(created_at__gte=created_after)
    return query


async def rerun_failed(job_id: int, field: Field | None = None) -> OutboxJob:
    """Re-run a failed job, or refuse: ``NOT_FOUND`` (no such job), ``NOT_FAILED``."""
    row = await rerun(job_id)
    if row is not None:
        return row
    if await OutboxJob.filter(id=job_id).exists():
        raise Problem(JobErrorCode.NOT_FAILED, NOT_FAILED, field)
    raise Problem(JobErrorCode.NOT_FOUND, NOT_FOUND, field)


async def announce(job_id: int) -> None:
    """Tell whoever registered (the subscribers' publisher) of a committed status change."""
    for callback in list(_on_status_change):
        await callback(job_id)
