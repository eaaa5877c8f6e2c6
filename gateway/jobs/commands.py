"""``gateway jobs``: the outbox seen from a terminal; failed jobs first, and re-running them.

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

from gateway import db
from gateway.contributions import Command
from gateway.jobs import outbox
from gateway.models import OutboxJob, OutboxStatus

if TYPE_CHECKING:
    from gateway.plugins import PluginHost

_ERROR_WIDTH = 100


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "List background jobs (failed ones unless --status says otherwise), newest first, "
        "or re-run a failed job."
    )
    parser.usage = "%(prog)s [--status STATUS] [--job ACTOR] [--limit N]\n       %(prog)s rerun ID"
    parser.add_argument(
        "--status",
        choices=[s.value for s in OutboxStatus],
        default=OutboxStatus.FAILED.value,
        help="which jobs to list (default: failed)",
    )
    parser.add_argument("--job", help="only this actor, e.g. email.send")
    parser.add_argument("--limit", type=int, default=50, help="at most this many (default: 50)")
    actions = parser.add_subparsers(dest="jobs_action", metavar="ACTION")
    rerun = actions.add_parser("rerun", help="Give a failed job a fresh set of attempts.")
    rerun.add_argument("job_id", type=int, metavar="ID")


def _when(row: dict[str, Any]) -> str:
    # A finished job is dated by its end; a waiting one by when it is due.
    moment: dt.datetime = row["finished_at"] or row["run_after"]
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _first_line(error: str | None) -> str:
    # run_job stores "Type: message"; a multi-line message is shortened to its first line.
    line = error.strip().splitlines()[0] if error and error.strip() else ""
    return line if len(line) <= _ERROR_WIDTH else line[: _ERROR_WIDTH - 1] + "…"


async def list_jobs(status: str, job: str | None = None, limit: int = 50) -> list[str]:
    """Lines describing the jobs in ``status``, newest first; a sentence when there are none."""
    query = OutboxJob.filter(status=status)
    if job:
        query = query.filter(job=job)
    total = await query.count()
    rows = await query.order_by("-id").limit(limit).values(
        "id", "job", "attempts", "max_attempts", "last_error", "run_after", "finished_at"
    )
    if not rows:
        return [f"No {status} jobs."]
    table = [("ID", "ACTOR", "ATTEMPTS", "TIME (UTC)", "LAST ERROR")] + [
        (
            str(row["id"]),
            row["job"],
            f"{row['attempts']}/{row['max_attempts']}",
            _when(row),
            _first_line(row["last_error"]),
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in table) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=False)).rstrip()
        + ("  " + cells[4] if cells[4] else "")
        for cells in table
    ]
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
                f"gateway jobs: the database is not ready ({exc}); run `gateway migrate` first.",
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
    help="List failed (or --status) background jobs; `jobs rerun ID` re-runs a failed one.",
    run=_run,
    configure=_configure,
)
