"""``gateway jobs``: the outbox seen from a terminal; the jobs that need attention (failed,
retrying) first, and re-running them.

The same operations as the ``outboxJobs`` query and the ``rerunJob`` mutation, for an operator
on the machine (no session needed), through the same outbox functions.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from tortoise.exceptions import OperationalError
from tortoise.expressions import Q

from gateway import db
from gateway.console import gateway_command
from gateway.contributions import Command
from gateway.jobs import outbox
from gateway.models import OutboxJob, OutboxStatus

if TYPE_CHECKING:
    from gateway.plugins import PluginHost

_ERROR_WIDTH = 100


# What `gateway jobs` lists by default: the jobs that need someone's attention.
ATTENTION = "attention"
RETRYING = "retrying"
STATES = (ATTENTION, RETRYING, *(s.value for s in OutboxStatus))


def _configure(parser: argparse.ArgumentParser) -> None:
    from gateway.console import HelpFormatter

    parser.description = (
        "List background jobs (email, PDFs, providers), newest first: by default the ones "
        "that need attention, failed (attempts exhausted) and retrying (an attempt failed, "
        "another is due), each with its last error. `rerun ID` gives a failed job a fresh set "
        "of attempts."
    )
    parser.epilog = "\n".join([
        "states: attention (the default: failed and retrying), retrying (pending after a "
        "failed attempt), pending, queued, running, done, failed.",
        "",
        "examples:",
        f"  {gateway_command('jobs')}",
        f"  {gateway_command('jobs', '--status', 'done', '--job', 'email.send', '--limit', '10')}",
        f"  {gateway_command('jobs', 'rerun', '42')}",
    ])
    parser.add_argument(
        "--status", choices=STATES, default=ATTENTION, metavar="STATE",
        help="which jobs to list (default: attention, i.e. failed and retrying)",
    )
    parser.add_argument("--job", metavar="ACTOR", help="only this actor, e.g. email.send")
    parser.add_argument("--limit", type=int, default=50, metavar="N",
                        help="at most this many (default: 50)")
    parser.usage = "%(prog)s [-h] [--status STATE] [--job ACTOR] [--limit N] [rerun ID]"
    actions = parser.add_subparsers(dest="jobs_action", metavar="ACTION", prog=parser.prog,
                                    help="rerun ID: re-run a failed job (see `rerun --help`)")
    rerun = actions.add_parser(
        "rerun", help="give a failed job a fresh set of attempts",
        description="Give a failed job a fresh set of attempts; the running `gateway serve` "
        "(embedded broker) or `gateway worker` picks it up.",
        epilog=f"example:\n  {gateway_command('jobs', 'rerun', '42')}",
        formatter_class=HelpFormatter)
    rerun.add_argument("job_id", type=int, metavar="ID", help="the job's id, as listed")


def _state(row: dict[str, Any]) -> str:
    if row["status"] == OutboxStatus.PENDING and row["attempts"] and row["last_error"]:
        return RETRYING
    return str(row["status"])


def _when(row: dict[str, Any]) -> str:
    # A finished job is dated by its end; a waiting one (retrying too) by when it is due.
    moment: dt.datetime = row["finished_at"] or row["run_after"]
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _first_line(error: str | None) -> str:
    # run_job stores "Type: message"; a multi-line message is shortened to its first line.
    line = error.strip().splitlines()[0] if error and error.strip() else ""
    return line if len(line) <= _ERROR_WIDTH else line[: _ERROR_WIDTH - 1] + "…"


def _selected(status: str) -> Any:
    # A failed attempt, another due (a re-run job starts again at 0 attempts: pending).
    retrying = (Q(status=OutboxStatus.PENDING) & Q(attempts__gt=0)
                & Q(last_error__isnull=False))
    if status == ATTENTION:
        return OutboxJob.filter(Q(status=OutboxStatus.FAILED) | retrying)
    if status == RETRYING:
        return OutboxJob.filter(retrying)
    return OutboxJob.filter(status=status)


async def list_jobs(status: str = ATTENTION, job: str | None = None,
                    limit: int = 50) -> list[str]:
    """Lines describing the jobs in ``status`` (a state of :data:`STATES`), newest first, each
    with its state, attempts, when (finished, or next attempt) and last error; a sentence when
    there are none."""
    query = _selected(status)
    if job:
        query = query.filter(job=job)
    total = await query.count()
    rows = await query.order_by("-id").limit(limit).values(
        "id", "job", "status", "attempts", "max_attempts", "last_error", "run_after",
        "finished_at"
    )
    if not rows:
        return ["No failed or retrying jobs." if status == ATTENTION else f"No {status} jobs."]
    table = [("ID", "ACTOR", "STATE", "ATTEMPTS", "TIME (UTC)", "LAST ERROR")] + [
        (
            str(row["id"]),
            row["job"],
            _state(row),
            f"{row['attempts']}/{row['max_attempts']}",
            _when(row),
            _first_line(row["last_error"]),
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in table) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=False)).rstrip()
        + ("  " + cells[5] if cells[5] else "")
        for cells in table
    ]
    if any(_state(row) == RETRYING for row in rows):
        lines.append("(a retrying job's time is its next attempt; a failed job's, its end)")
    if total > len(rows):
        lines.append(f"… and {total - len(rows)} older {status} jobs (--limit to see more).")
    return lines


async def rerun_job(job_id: int) -> tuple[bool, str]:
    """Re-run a failed job; (False, why) when it does not exist or is not failed."""
    row = await outbox.rerun(job_id)
    if row is not None:
        return True, (
            f"Job {row.id} ({row.job}) is pending again; the running `gateway serve` "
            "(embedded broker) or `gateway worker` will run it."
        )
    status = await OutboxJob.filter(id=job_id).values_list("status", flat=True)
    if not status:
        return False, f"no job {job_id}."
    return False, f"job {job_id} is {status[0]}; only a failed job can be re-run."


def _with_database(gateway: PluginHost, work: Callable[[], Awaitable[int]]) -> int:
    async def main() -> int:
        await db.init_db(gateway)
        try:
            return await work()
        except OperationalError as exc:
            print(
                f"gateway jobs: the database is not ready ({exc}); run "
                f"`{gateway_command('migrate')}` first.",
                file=sys.stderr,
            )
            return 1
        finally:
            await db.close_db()

    return asyncio.run(main())


def _run(gateway: PluginHost, args: argparse.Namespace) -> int:
    if args.jobs_action == "rerun":

        async def rerun() -> int:
            ok, message = await rerun_job(args.job_id)
            if not ok:
                print(f"gateway jobs: {message}", file=sys.stderr)
                return 1
            print(message)
            return 0

        return _with_database(gateway, rerun)

    async def show() -> int:
        for line in await list_jobs(args.status, args.job, args.limit):
            print(line)
        return 0

    return _with_database(gateway, show)


jobs_command = Command(
    name="jobs",
    help="Background jobs needing attention (failed, retrying); `jobs rerun ID` re-runs one.",
    run=_run,
    configure=_configure,
)
