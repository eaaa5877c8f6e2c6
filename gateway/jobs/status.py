"""A job's status as subscribers see it: the outbox announces each change, this publishes it
on the pub/sub (every process it reaches), and ``subscriptions_schema`` relays it to clients.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient

from gateway import pubsub
from gateway.models import OutboxJob, OutboxStatus

log = logging.getLogger("gateway.jobs.subscriptions")

# What a job is to a client (the OutboxJob node), and what a message carries besides.
JOB_COLUMNS = ("id", "job", "status", "attempts", "max_attempts", "last_error", "request_id",
               "created_at", "run_after", "finished_at")
MESSAGE_COLUMNS = (*JOB_COLUMNS, "updated_at")
_DATETIMES = ("created_at", "run_after", "finished_at", "updated_at")


def job_channel(job_id: int) -> str:
    return f"outbox-job:{job_id}"


def job_message(row: dict[str, Any]) -> dict[str, Any]:
    """A job row as JSON: what subscribers in any process rebuild the job from."""
    return {
        name: (row[name].isoformat() if isinstance(row[name], dt.datetime) else row[name])
        for name in MESSAGE_COLUMNS
    } | {"status": str(OutboxStatus(row["status"]).value)}


def row_from_message(message: dict[str, Any]) -> dict[str, Any]:
    """The job row a message was made from (see :func:`job_message`)."""
    row = dict(message)
    for name in _DATETIMES:
        if row.get(name) is not None:
            row[name] = dt.datetime.fromisoformat(row[name])
    row["status"] = OutboxStatus(row["status"])
    return row


async def publish_job_status(job_id: int) -> None:
    """Tell subscribers (in every process the pub/sub reaches) the job's committed state.

    Called by the outbox after each status change, outside any transaction; never raises, as
    the job's own work is already done."""
    bus = pubsub.current()
    if bus is None:
        return
    try:
        if isinstance(connections.get("default"), TransactionalDBClient):
            # Inside a caller's transaction the change may still roll back: announcing it now
            # could tell a client about a state that never was.
            log.debug("job %s status not announced: inside a transaction", job_id)
            return
        # Most jobs have no watcher: then neither the row is read nor a message sent (a
        # subscriber arriving later reads the row once subscribed).
        if not await asyncio.wait_for(bus.listened(job_channel(job_id)),
                                      pubsub.PUBLISH_TIMEOUT):
            return
        rows = await OutboxJob.filter(id=job_id).values(*MESSAGE_COLUMNS)
    except Exception:
        log.warning("job %s: could not announce its status", job_id, exc_info=True)
        return
    if rows:
        await pubsub.publish(job_channel(job_id), job_message(rows[0]))
