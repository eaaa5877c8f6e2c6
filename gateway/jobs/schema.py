"""GraphQL for operators: the outbox's jobs (failed ones above all) and re-running them."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from tortoise.queryset import QuerySet

from gateway.contributions import Principal
from gateway.jobs import outbox
from gateway.jobs.errors import NOT_FOUND, JobErrorCode
from gateway.jobs.status import JOB_COLUMNS
from gateway.models import OutboxJob, OutboxStatus
from gateway.problems import Field, Problem
from gateway.roles import Role
from gateway.validation import database_id
from schema.errors import Error, error_type
from schema.mutations import as_data, field, mutation
from schema.node import RowNode
from schema.pagination import Connection, build_connection, page_window
from schema.scalars import DateTime

strawberry.enum(OutboxStatus, name="JobStatus")

@error_type("Job", JobErrorCode)
class JobError(Error):
    """A refusal of the Job area: what was wrong, where, and why."""


def job_pk(raw: str, field: Field | None = None) -> int:
    """The row id behind a job's global id (a plain number is not one); anything else is the
    ``NOT_FOUND`` problem at ``field``."""
    try:
        global_id = relay.GlobalID.from_id(raw)
    except Exception:
        global_id = None
    pk = database_id(global_id.node_id) if global_id is not None else None
    if global_id is None or global_id.type_name != "OutboxJob" or pk is None:
        raise Problem(JobErrorCode.NOT_FOUND, NOT_FOUND, field)
    return pk


@strawberry.type(name="OutboxJob", description="A unit of background work and its outcome.")
class OutboxJobNode(RowNode):
    COLUMNS = JOB_COLUMNS

    id: relay.NodeID[int]
    job: str = strawberry.field(description="The actor that runs it.")
    status: OutboxStatus
    attempts: int
    max_attempts: int
    last_error: str | None
    request_id: str | None
    created_at: DateTime
    run_after: DateTime
    finished_at: DateTime | None

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        """Every job, for a system admin; none for anyone else."""
        if principal is not None and principal.role == Role.SYSTEM_ADMIN:
            return OutboxJob.all()
        return OutboxJob.filter(id__in=[])


@strawberry.input
class OutboxJobFilter:
    status: OutboxStatus | None = None
    job: str | None = None
    created_after: DateTime | None = None


@strawberry.type
class JobsQuery:
    @field(Role.SYSTEM_ADMIN, description="Background jobs, newest first (system admins).")
    async def outbox_jobs(
        self, info: strawberry.Info, filter: OutboxJobFilter | None = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[OutboxJobNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = outbox.jobs(**as_data(filter)) if filter is not None else outbox.jobs()
        total = await query.count()
        rows = await query.order_by("-id").offset(offset).limit(limit + 1).values(*JOB_COLUMNS)
        return build_connection(rows, offset, limit, total, OutboxJobNode.from_row)


@strawberry.input
class RerunJobInput:
    id: strawberry.ID


@strawberry.type
class RerunJobPayload:
    job: OutboxJobNode | None
    errors: list[JobError] = strawberry.field(
        default_factory=list
    )


@strawberry.type
class JobsMutation:
    @mutation(Role.SYSTEM_ADMIN, errors=JobError,
              description="Give a failed job a fresh set of attempts.")
    async def rerun_job(self, info: strawberry.Info, input: RerunJobInput) -> RerunJobPayload:
        row = await outbox.rerun_failed(job_pk(input.id, ["input", "id"]), ["input", "id"])
        (job,) = await OutboxJobNode.load(info.context.principal, [row.id])
        return RerunJobPayload(job=job)
