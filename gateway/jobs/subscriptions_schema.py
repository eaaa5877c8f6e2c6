"""Job status over WebSocket: the outbox announces each status change (``status``), a
subscription relays it.

This is how a client learns that its PDF export (or any job) is done without polling.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated, Any

import strawberry
from strawberry.exceptions import StrawberryGraphQLError

from gateway import pubsub
from gateway.jobs.errors import NOT_FOUND, UNAVAILABLE
from gateway.jobs.schema import OutboxJobNode, job_pk
from gateway.jobs.status import MESSAGE_COLUMNS, job_channel, row_from_message
from gateway.models import OutboxJob, OutboxStatus
from gateway.problems import Problem
from gateway.roles import Role
from schema.permissions import allow

log = logging.getLogger("gateway.jobs.subscriptions")


def _not_found(language: str) -> StrawberryGraphQLError:
    return StrawberryGraphQLError(NOT_FOUND.render(language), extensions={"code": "NOT_FOUND"})


def _newer(row: dict[str, Any], last: dict[str, Any]) -> bool:
    """Whether a message tells the client something new.

    A change made between subscribing and reading the row arrives again as a message, and two
    announcements can cross (a re-run and the relay picking the job up): the row's
    ``updated_at`` orders them. Consecutive changes made by different processes are far apart
    compared with the skew of synchronised clocks."""
    if row["updated_at"] < last["updated_at"]:
        return False
    return bool(row["updated_at"] > last["updated_at"] or row["status"] != last["status"])


async def _job_row(job_id: int) -> dict[str, Any] | None:
    rows = await OutboxJob.filter(id=job_id).values(*MESSAGE_COLUMNS)
    return rows[0] if rows else None


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
        last = await _job_row(job_id)
        if last is None:
            return
        yield OutboxJobNode.from_row(last)
        if last["status"] == OutboxStatus.DONE:
            return
        async for message in subscription:  # ends if the pub/sub closes (shutdown)
            # After a gap (changes may have been missed) the row says where the job is.
            row = await _job_row(job_id) if message is pubsub.GAP else row_from_message(message)
            if row is None:
                return
            if not _newer(row, last):
                continue
            last = row
            yield OutboxJobNode.from_row(row)
            if last["status"] == OutboxStatus.DONE:
                return


def _unavailable(language: str) -> StrawberryGraphQLError:
    return StrawberryGraphQLError(
        UNAVAILABLE.render(language), extensions={"code": "UNAVAILABLE"}
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
        self, info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(
            description="The OutboxJob's global ID (e.g. an export's job ID).")],
    ) -> AsyncIterator[OutboxJobNode | None]:
        language = info.context.language
        try:
            job_id = job_pk(id)
        except Problem:
            raise _not_found(language) from None
        if not await OutboxJob.filter(id=job_id).exists():
            raise _not_found(language)
        bus = pubsub.current()
        if bus is None:
            raise _unavailable(language)
        # Returned rather than yielded from here, so that a refusal above is the operation's
        # error message instead of a first "next" carrying errors.
        return _job_states(job_id, bus, language)
