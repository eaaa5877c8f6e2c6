"""GraphQL for operators: the outbox's jobs (failed ones above all) and re-running them."""

from __future__ import annotations

from typing import Annotated, Any

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
from schema.descriptions import describe_enum_values
from schema.errors import Error, error_type
from schema.mutations import as_data, field, mutation
from schema.node import RowNode
from schema.pagination import Connection, build_connection, page_window
from schema.scalars import DateTime

strawberry.enum(OutboxStatus, name="JobStatus", description="Where a background job stands.")
describe_enum_values(OutboxStatus, {
    "PENDING": "Written with the change that asked for it, waiting to be handed to a worker.",
    "QUEUED": "Handed to the message broker, waiting for a worker.",
    "RUNNING": "A worker is running it.",
    "DONE": "Finished successfully.",
    "FAILED": "Every attempt failed; a system admin may re-run it (rerunJob).",
})

@error_type("Job", JobErrorCode)
class JobError(Error):
    """A refusal of the Job area: what was wrong, where, and why."""


describe_enum_values(JobErrorCode, {
    "NOT_FAILED": "Only a failed job can be re-run; this one is pending, running or done.",
})


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
    status: OutboxStatus = strawberry.field(description="Where the job stands now.")
    attempts: int = strawberry.field(description="How many times a worker has tried it so far.")
    max_attempts: int = strawberry.field(
        description="How many attempts it gets before it is marked FAILED.")
    last_error: str | None = strawberry.field(
        description="The error of the last failed attempt (for operators); null when none "
        "failed.")
    request_id: str | None = strawberry.field(
        description="The id of the request that enqueued it, to match it with that request's "
        "logs; null for a scheduled job.")
    created_at: DateTime = strawberry.field(description="When it was enqueued.")
    run_after: DateTime = strawberry.field(
        description="Not run before this instant (a retry waits with a growing delay).")
    finished_at: DateTime | None = strawberry.field(
        description="When it finished (done or finally failed); null while unfinished.")

    @classmethod
    def visible(cls, principal: Principal | None) -> QuerySet[Any]:
        """Every job, for a system admin; none for anyone else."""
        if principal is not None and principal.role == Role.SYSTEM_ADMIN:
            return OutboxJob.all()
        return OutboxJob.filter(id__in=[])


@strawberry.input(description="Which background jobs to list; every given criterion must "
                  "match.")
class OutboxJobFilter:
    status: OutboxStatus | None = strawberry.field(
        default=None, description="Only jobs in this status.")
    job: str | None = strawberry.field(
        default=None, description="Only jobs of this actor (its exact name, e.g. email.send).")
    created_after: DateTime | None = strawberry.field(
        default=None, description="Only jobs enqueued after this instant.")


@strawberry.type
class JobsQuery:
    @field(Role.SYSTEM_ADMIN, description="Background jobs, newest first (system admins).")
    async def outbox_jobs(
        self, info: strawberry.Info,
        filter: Annotated[OutboxJobFilter | None, strawberry.argument(
            description="Which jobs to list; all of them when left out.")] = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[OutboxJobNode]:
        offset, limit = page_window(first, after, info.context.settings.max_page_size)
        query = outbox.jobs(**as_data(filter)) if filter is not None else outbox.jobs()
        total = await query.count()
        rows = await query.order_by("-id").offset(offset).limit(limit + 1).values(*JOB_COLUMNS)
        return build_connection(rows, offset, limit, total, OutboxJobNode.from_row)


@strawberry.input(description="Which failed job to run again.")
class RerunJobInput:
    id: strawberry.ID = strawberry.field(description="The failed OutboxJob's global ID.")


@strawberry.type(description="The result of rerunJob.")
class RerunJobPayload:
    job: OutboxJobNode | None = strawberry.field(
        description="The job, pending again with a fresh set of attempts; null on errors.")
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
