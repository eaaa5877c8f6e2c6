"""Job status over WebSocket: the outbox announces each status change, a subscription relays it.

This is how a client learns that its PDF export (or any job) is done without polling.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import strawberry
from strawberry import relay
from strawberry.exceptions import StrawberryGraphQLError
from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient

from gateway import pubsub
from gateway.i18n import Text
from gateway.jobs.schema import _COLUMNS, OutboxJobNode
from gateway.models import OutboxJob, OutboxStatus
from schema.node import database_id
from schema.permissions import Role, allow

log = logging.getLogger("gateway.jobs.subscriptions")

_NOT_FOUND = Text(en="No such job.", fr="Cette tâche n'existe pas.")
_UNAVAILABLE = Text(
    en="Live updates are unavailable right now; try again shortly.",
    fr="Les mises à jour en direct sont indisponibles pour le moment ; réessayez sous peu.",
)
_DATETIMES = ("created_at", "run_after", "finished_at", "updated_at")
_MESSAGE_COLUMNS = (*_COLUMNS, "updated_at")


def job_channel(job_id: int) -> str:
    return f"outbox-job:{job_id}"


def job_message(row: dict[str, Any]) -> dict[str, Any]:
    """A job row as JSON: what subscribers in any process rebuild the job from."""
    return {
        name: (row[name].isoformat() if isinstance(row[name], dt.datetime) else row[name])
        for name in _MESSAGE_COLUMNS
    } | {"status": str(OutboxStatus(row["status"]).value)}


def _row_from_message(message: dict[str, Any]) -> dict[str, Any]:
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
    if isinstance(bus, pubsub.InProcessPubSub) and not bus.subscriber_count(job_channel(job_id)):
        return  # nobody in this process (the only one it reaches) listens to this job
    try:
        if isinstance(connections.get("default"), TransactionalDBClient):
            # Inside a caller's transaction the change may still roll back: announcing it now
            # could tell a client about a state that never was.
            log.debug("job %s status not announced: inside a transaction", job_id)
            return
        rows = await OutboxJob.filter(id=job_id).values(*_MESSAGE_COLUMNS)
    except Exception:
        log.warning("job %s: could not read its status to announce it", job_id, exc_info=True)
        return
    if rows:
        await pubsub.publish(job_channel(job_id), job_message(rows[0]))


def _job_id(raw: str) -> int | None:
    try:
        global_id = relay.GlobalID.from_id(raw)
    except Exception:
        return None
    if global_id.type_name != "OutboxJob":
        return None
    return database_id(global_id.node_id)


def _not_found(language: str) -> StrawberryGraphQLError:
    return StrawberryGraphQLError(_NOT_FOUND.render(language), extensions={"code": "NOT_FOUND"})


def _newer(row: dict[str, Any], last: dict[str, Any]) -> bool:
    """Whether a message tells the client something new.

    A change made between subscribing and reading the row arrives again as a message, and two
    announcements can cross (a re-run and the relay picking the job up): the row's
    ``updated_at`` orders them. Consecutive changes made by different processes are far apart
    compared with the skew of synchronised clocks."""
    if row["updated_at"] < last["updated_at"]:
        return False
    return bool(row["updated_at"] > last["updated_at"] or row["status"] != last["status"])


async def _job_states(
    job_id: int, bus: pubsub.PubSub, language: str
) -> AsyncGenerator[OutboxJobNode, None]:
    """The current state, then each later one; ends when the job is done.

    Subscribes once iterated, not before: a generator that is never started never runs its
    ``finally``, and would leave its subscription behind."""
    # Subscribe before reading the row, so no change falls between the two.
    try:
        subscription = await bus.subscribe(job_channel(job_id))
    except pubsub.PubSubError:
        log.warning("job %s: cannot subscribe to its status", job_id, exc_info=True)
        raise _unavailable(language) from None
    async with subscription:
        rows = await OutboxJob.filter(id=job_id).values(*_MESSAGE_COLUMNS)
        if not rows:
            return
        last = rows[0]
        yield OutboxJobNode.from_row(last)
        if last["status"] == OutboxStatus.DONE:
            return
        async for message in subscription:  # ends if the pub/sub closes (shutdown)
            row = _row_from_message(message)
            if not _newer(row, last):
                continue
            last = row
            yield OutboxJobNode.from_row(row)
            if last["status"] == OutboxStatus.DONE:
                return


def _unavailable(language: str) -> StrawberryGraphQLError:
    return StrawberryGraphQLError(
        _UNAVAILABLE.render(language), extensions={"code": "UNAVAILABLE"}
    )


@strawberry.type
class JobsSubscription:
    @strawberry.subscription(
        extensions=allow(Role.SYSTEM_ADMIN),
        description=(
            "A job's state now, then again each time its status changes; ends once the job is "
            "done (a failed job may still be re-run). System admins."
        ),
    )
    async def job_status_changed(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> AsyncIterator[OutboxJobNode | None]:
        language = info.context.language
        job_id = _job_id(id)
        if job_id is None or not await OutboxJob.filter(id=job_id).exists():
            raise _not_found(language)
        bus = pubsub.current()
        if bus is None:
            raise _unavailable(language)
        # Returned rather than yielded from here, so that a refusal above is the operation's
        # error message instead of a first "next" carrying errors.
        return _job_states(job_id, bus, language)
