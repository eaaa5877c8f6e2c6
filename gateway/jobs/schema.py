"""GraphQL for operators: the outbox's jobs (failed ones above all) and re-running them."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from gateway.i18n import Text
from gateway.jobs import outbox
from gateway.models import OutboxJob, OutboxStatus
from schema.errors import PayloadError, error_type
from schema.node import database_id
from schema.pagination import Connection, build_connection, page_window
from schema.permissions import Role, allow
from schema.scalars import DateTime

JobStatus = strawberry.enum(OutboxStatus, name="JobStatus")


class JobErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    NOT_FAILED = "NOT_FAILED"


JobError = error_type("Job", JobErrorCode)

_NOT_FOUND = Text(en="No such job.", fr="Cette tâche n'existe pas.")
_NOT_FAILED = Text(
    en="Only a failed job can be re-run.", fr="Seule une tâche en échec peut être relancée."
)


@strawberry.type(name="OutboxJob", description="A unit of background work and its outcome.")
class OutboxJobNode(relay.Node):
    id: relay.NodeID[int]
    job: str = strawberry.field(description="The actor that runs it.")
    status: JobStatus  # type: ignore[valid-type]
    attempts: int
    max_attempts: int
    last_error: str | None
    request_id: str | None
    created_at: DateTime  # type: ignore[valid-type]
    run_after: DateTime  # type: ignore[valid-type]
    finished_at: DateTime | None  # type: ignore[valid-type]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OutboxJobNode:
        return cls(**{name: row[name] for name in _COLUMNS})

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[OutboxJobNode | None]:
        principal = info.context.principal
        if principal is None or principal.role != Role.SYSTEM_ADMIN:
            return [None for _ in node_ids]
        ids = [int(i) for i in node_ids if str(i).isdigit()]
        rows = {r["id"]: r for r in await OutboxJob.filter(id__in=ids).values(*_COLUMNS)}
        return [
            cls.from_row(rows[int(i)]) if str(i).isdigit() and int(i) in rows else None
            for i in node_ids
        ]


_COLUMNS = ("id", "job", "status", "attempts", "max_attempts", "last_error", "request_id",
            "created_at", "run_after", "finished_at")


@strawberry.input
class OutboxJobFilter:
    status: JobStatus | None = None  # type: ignore[valid-type]
    job: str | None = None
    created_after: DateTime | None = None  # type: ignore[valid-type]


@strawberry.type
class JobsQuery:
    @strawberry.field(extensions=allow(Role.SYSTEM_ADMIN),
                      description="Background jobs, newest first (system admins).")
    async def outbox_jobs(
        self, info: strawberry.Info, filter: OutboxJobFilter | None = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[OutboxJobNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = OutboxJob.all()
        if filter is not None:
            if filter.status is not None:
                query = query.filter(status=filter.status)
            if filter.job:
                query = query.filter(job=filter.job)
            if filter.created_after is not None:
                query = query.filter(created_at__gte=filter.created_after)
        total = await query.count()
        rows = await query.order_by("-id").offset(offset).limit(limit + 1).values(*_COLUMNS)
        return build_connection(rows, offset, limit, total, OutboxJobNode.from_row)


@strawberry.input
class RerunJobInput:
    id: strawberry.ID


@strawberry.type
class RerunJobPayload:
    job: OutboxJobNode | None
    errors: list[JobError]  # type: ignore[valid-type]


@strawberry.type
class JobsMutation:
    @strawberry.mutation(extensions=allow(Role.SYSTEM_ADMIN),
                         description="Give a failed job a fresh set of attempts.")
    async def rerun_job(self, info: strawberry.Info, input: RerunJobInput) -> RerunJobPayload:
        language = info.context.language
        try:
            job_id = _job_id(input.id)
            row = await outbox.rerun(job_id)
            if row is None:
                exists = await OutboxJob.filter(id=job_id).exists()
                raise PayloadError(
                    JobErrorCode.NOT_FAILED if exists else JobErrorCode.NOT_FOUND,
                    _NOT_FAILED if exists else _NOT_FOUND,
                    ["input", "id"],
                )
        except PayloadError as error:
            return RerunJobPayload(job=None, errors=[error.to_graphql(JobError, language)])
        values = (await OutboxJob.filter(id=row.id).values(*_COLUMNS))[0]
        return RerunJobPayload(job=OutboxJobNode.from_row(values), errors=[])


def _job_id(raw: str) -> int:
    try:
        global_id = relay.GlobalID.from_id(raw)
        job_id = database_id(global_id.node_id)
        if global_id.type_name == "OutboxJob" and job_id is not None:
            return job_id
    except Exception:
        pass
    raise PayloadError(JobErrorCode.NOT_FOUND, _NOT_FOUND, ["input", "id"])


