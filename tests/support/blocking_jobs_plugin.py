"""A test plugin whose job blocks until a file says it may go on, and leaves its marks in
files, so a test in another process sees a job start, can kill its worker mid-job, and counts
the job's effects afterwards.

``test.blocking`` with ``{"dir": D}``: appends ``<outbox id> <pid>`` to ``D/started``, waits
for ``D/release`` to exist, then appends ``<outbox id> <pid>`` to ``D/effects``. It does not
check for an earlier effect itself, so a test counting effects sees every run that finished."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from gateway.contributions import Job
from gateway.hookimpl import hookimpl

WAIT_LIMIT = 120.0  # seconds; a job never released fails rather than hang a worker


def _append(path: Path, line: str) -> None:
    with path.open("a") as out:
        out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def blocking(payload: dict[str, Any]) -> None:
    folder = Path(payload["dir"])
    job = str(payload["outbox_id"])
    _append(folder / "started", f"{job} {os.getpid()}")
    waited = 0.0
    while not (folder / "release").exists():
        if waited > WAIT_LIMIT:
            raise TimeoutError(f"job {job} was never released")
        await asyncio.sleep(0.05)
        waited += 0.05
    _append(folder / "effects", f"{job} {os.getpid()}")


@hookimpl
def gateway_jobs(gateway: Any) -> Any:
    return [Job(name="test.blocking", handler=blocking, max_attempts=3, backoff_seconds=0.1)]
