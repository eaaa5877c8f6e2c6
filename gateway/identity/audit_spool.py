"""Audit entries the database refused for a moment, kept on disk until it takes them.

A mutation's entry is written after the mutation's own transaction. When the database goes
down between the two (restarted, its connections killed), the change is already committed:
rather than losing its entry (or telling the client the change failed when it did not), the
entry is appended to a spool file of this process under ``<GATEWAY_VAR_DIR>/audit-spool``
(one JSON line, flushed and fsynced before the answer leaves) with the moment it happened.
Every serving process drains the spool while it runs (``run_drainer``): it claims a file by
renaming it, appends its entries in one transaction with their original time, then deletes it.
An entry already in the log (the same request id, action, operation and moment: a drain cut
between its commit and the file's deletion) is not appended twice.

Only the database being unavailable spools (``gateway.unavailable``); any other failure is a
bug and is raised. If the spool cannot be written either (the disk full), the original error
is raised and the client is told the service is unavailable, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from gateway.identity.models import AuditEntry
from gateway.unavailable import is_unavailable

log = logging.getLogger("gateway.audit")

DRAIN_INTERVAL = 2.0  # seconds between two looks at the spool while something waits there
_SUFFIX = ".jsonl"
_FIELDS = ("action", "reseller_id", "account_id", "actor_id", "acting_as_id", "session_id",
           "api_token_id", "request_id", "operation", "detail")

_directory: Path | None = None
_file_name = f"{os.getpid()}-{uuid.uuid4().hex[:8]}{_SUFFIX}"


def configure(var_dir: Path | None) -> None:
    """Where this process spools (None: nowhere, the database's error is raised)."""
    global _directory
    _directory = None if var_dir is None else var_dir / "audit-spool"


def directory() -> Path | None:
    return _directory


async def append(values: dict[str, Any]) -> AuditEntry:
    """Append one entry to the log; if the database is unavailable, to the spool."""
    try:
        return await AuditEntry.create(**values)
    except Exception as exc:
        if _directory is None or not is_unavailable(exc):
            raise
        at = dt.datetime.now(dt.UTC)
        try:
            await asyncio.to_thread(_write, _directory, {**values, "created_at": at.isoformat()})
        except OSError:
            log.exception("audit: the database refused an entry and the spool could not keep "
                          "it")
            raise exc from None
        log.warning("audit: the database is unavailable; entry %s for %s kept in %s until it "
                    "is back", values.get("action"), values.get("operation") or "-", _directory)
        return AuditEntry(**values, created_at=at)


def _write(folder: Path, entry: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
    with open(folder / _file_name, "a", encoding="utf-8") as spool:
        spool.write(line)
        spool.flush()
        os.fsync(spool.fileno())


def waiting() -> int:
    """How many spool files wait to be drained (the operator's and the tests' view)."""
    if _directory is None or not _directory.is_dir():
        return 0
    return sum(1 for path in _directory.iterdir() if path.name.endswith(_SUFFIX))


async def drain() -> int:
    """Append every spooled entry to the log; returns how many were appended. A file whose
    entries the database still refuses is put back for the next pass."""
    folder = _directory
    if folder is None or not folder.is_dir():
        return 0
    appended = 0
    _reclaim(folder)
    for path in sorted(folder.iterdir()):
        if not path.name.endswith(_SUFFIX):
            continue
        claimed = path.with_name(f"{path.name}.{os.getpid()}.draining")
        try:
            path.rename(claimed)  # one process claims a file; the others skip it
        except FileNotFoundError:
            continue
        try:
            appended += await _append_file(claimed)
        except Exception as exc:
            claimed.rename(folder / f"{uuid.uuid4().hex[:8]}-{path.name}")
            if is_unavailable(exc):
                return appended  # still down: the next pass
            raise
        claimed.unlink()
    if appended:
        log.info("audit: %s spooled entries appended to the log", appended)
    return appended


def _reclaim(folder: Path) -> None:
    """Files a drainer claimed and never finished (its process died): spooled again."""
    for path in folder.glob(f"*{_SUFFIX}.*.draining"):
        try:
            pid = int(path.name.rsplit(".", 2)[-2])
        except ValueError:
            continue
        if pid == os.getpid() or _alive(pid):
            continue
        with contextlib.suppress(FileNotFoundError):
            path.rename(folder / f"{uuid.uuid4().hex[:8]}-{path.name.split(_SUFFIX)[0]}{_SUFFIX}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _append_file(path: Path) -> int:
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            raw = json.loads(line)
        except ValueError:
            log.error("audit: a spooled line is not JSON (a write cut short?): %r", line[:200])
            continue
        values = {name: raw.get(name) for name in _FIELDS}
        values["created_at"] = dt.datetime.fromisoformat(raw["created_at"])
        entries.append(values)
    if not entries:
        return 0
    async with in_transaction():
        there = {
            (row["request_id"], row["action"], row["operation"], row["created_at"])
            for row in await AuditEntry.filter(
                created_at__in=[e["created_at"] for e in entries]).values(
                "request_id", "action", "operation", "created_at")
        }
        fresh = [AuditEntry(**e) for e in entries
                 if (e["request_id"], e["action"], e["operation"], e["created_at"]) not in there]
        if fresh:
            await AuditEntry.bulk_create(fresh)
    return len(fresh)


async def run_drainer(interval: float = DRAIN_INTERVAL) -> None:
    """Drain the spool while the process runs (a task of the serving process)."""
    while True:
        try:
            if waiting():
                await drain()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("audit: draining the spool failed; trying again")
        await asyncio.sleep(interval)
