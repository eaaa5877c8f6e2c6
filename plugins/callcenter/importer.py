"""Getting the answering platform's records in: JSON lines or CSV, one call (or taken message)
per line, from ``gateway callcenter import FILE`` or an authenticated HTTP upload.

Importing the same ``call_id`` (``message_id``) again updates the row, never duplicates it; a bad
line is reported with its line number and the others still load. Each batch is one upsert
statement (``INSERT ... ON CONFLICT DO UPDATE``), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise import connections

from gateway.contributions import Command
from gateway.i18n import Text
from gateway.identity.models import Account
from plugins.callcenter import errors as e
from plugins.callcenter.models import Call, TakenMessage

BATCH = 2000
NUMBERS = ("duration", "queued_at", "assigned_at", "answered_at", "agent_seconds",
           "wrap_seconds")
CALL_UPDATE_FIELDS = [
    "reseller_id", "account_id", "billing_number", "account_name", "account_group",
    "distribution_group", "direction", "started_at", "duration", "caller_id", "caller_name",
    "agent", "station", "queued_at", "assigned_at", "answered_at", "agent_seconds",
    "wrap_seconds", "holds", "transfers", "busy", "quality", "recording", "local_date",
    "local_week", "local_minute", "local_weekday", "hold_max", "hold_total", "transfer_count",
    "transfer_total", "imported_at",
]
MESSAGE_UPDATE_FIELDS = ["reseller_id", "account_id", "call_id", "agent", "taken_at",
                         "local_date", "body", "history", "imported_at"]


class BadLine(ValueError):
    def __init__(self, text: Text, **values: Any) -> None:
        super().__init__(text.en.format(**values))
        self.text = text
        self.values = values


@dataclass
class LineError:
    line: int
    message: str


@dataclass
class ImportReport:
    calls: int = 0
    messages: int = 0
    errors: list[LineError] = field(default_factory=list)

    @property
    def lines(self) -> int:
        return self.calls + self.messages + len(self.errors)


@dataclass(frozen=True)
class _AccountInfo:
    id: int
    reseller_id: int
    can: str
    name: str
    zone: ZoneInfo


# ---- reading -------------------------------------------------------------------------------

def _json_lines(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, BadLine(e.BAD_JSON, detail=exc.msg)
            continue
        if not isinstance(record, dict):
            yield number, BadLine(e.BAD_JSON, detail="not an object")
            continue
        yield number, record


def _csv_lines(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    reader = csv.DictReader(lines)
    for row in reader:
        # CSV has no null: an empty cell is one; lists are JSON ("[12, 30]") or "12;30".
        record: dict[str, Any] = {}
        for key, value in row.items():
            if key is None:
                continue
            value = (value or "").strip()
            if value == "":
                record[key] = None
            elif key in ("holds", "transfers", "history"):
                try:
                    record[key] = (json.loads(value) if value.startswith("[")
                                   else [float(v) for v in value.split(";") if v.strip()])
                except ValueError:
                    record[key] = value
            elif key == "busy":
                record[key] = value.lower() in ("1", "true", "yes", "oui", "y")
            else:
                record[key] = value
        yield reader.line_num, record


def read_records(lines: Iterable[str], fmt: str) -> Iterator[tuple[int, Any]]:
    """(line number, record dict or ``BadLine``) for each non-empty line."""
    return _csv_lines(lines) if fmt == "csv" else _json_lines(lines)


def guess_format(name: str, first_bytes: bytes = b"") -> str:
    if name.lower().endswith(".csv"):
        return "csv"
    if name.lower().endswith((".jsonl", ".json", ".ndjson")):
        return "jsonl"
    return "jsonl" if first_bytes.lstrip()[:1] == b"{" else "csv"


# ---- validating ----------------------------------------------------------------------------

def _required(record: dict[str, Any], name: str) -> Any:
    value = record.get(name)
    if value is None or value == "":
        raise BadLine(e.MISSING, name=name)
    return value


def _number(record: dict[str, Any], name: str, required: bool = False) -> float | None:
    value = record.get(name)
    if type(value) in (int, float) and value >= 0:  # the common case, without the checks
        return float(value)
    if required:
        value = _required(record, name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadLine(e.BAD_VALUE, name=name, detail=repr(value))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadLine(e.BAD_VALUE, name=name, detail=repr(value)) from None
    if number < 0 or number != number:
        raise BadLine(e.BAD_VALUE, name=name, detail=repr(value))
    return number


def _integer(record: dict[str, Any], name: str, required: bool = False) -> int | None:
    number = _number(record, name, required)
    if number is None:
        return None
    if number != int(number):
        raise BadLine(e.BAD_VALUE, name=name, detail=repr(record.get(name)))
    return int(number)


def _list_of_numbers(record: dict[str, Any], name: str) -> list[float]:
    value = record.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadLine(e.BAD_VALUE, name=name, detail="not a list")
    numbers = []
    for item in value:
        if type(item) not in (int, float) or not item >= 0:
            item = _number({name: item}, name, required=True)
        numbers.append(float(item))
    return numbers


def _moment(record: dict[str, Any], name: str) -> dt.datetime:
    value = _required(record, name)
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise BadLine(e.BAD_VALUE, name=name, detail=repr(value)) from None
    if moment.tzinfo is None:
        raise BadLine(e.BAD_VALUE, name=name, detail="no UTC offset")
    return moment.astimezone(dt.UTC)


def _text(record: dict[str, Any], name: str, limit: int) -> str:
    value = record.get(name)
    return "" if value is None else str(value)[:limit]


def _account_number(record: dict[str, Any]) -> int:
    number = _integer(record, "account_number", required=True)
    assert number is not None
    return number


def _local(moment: dt.datetime, zone: ZoneInfo) -> dict[str, Any]:
    local = moment.astimezone(zone)
    day = local.date()
    return {"local_date": day, "local_week": day - dt.timedelta(days=day.weekday()),
            "local_minute": local.hour * 60 + local.minute, "local_weekday": day.weekday()}


_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _json(value: Any) -> str:
    # As Tortoise's JSONField writes it; both SQLite and PostgreSQL (jsonb) take the text.
    return _ENCODE(value) if value else "[]"


def call_row(record: dict[str, Any], account: _AccountInfo, now: dt.datetime) -> dict[str, Any]:
    """The ``callcenter_call`` columns of one validated record of ``account``."""
    direction = str(_required(record, "direction")).lower()
    if direction not in ("inbound", "outbound"):
        raise BadLine(e.BAD_VALUE, name="direction", detail=repr(record.get("direction")))
    billing = _text(record, "billing_number", 20)
    if billing and billing != account.can:
        raise BadLine(e.BILLING_MISMATCH, value=billing)
    started = _moment(record, "started_at")
    numbers = {name: _number(record, name, required=name == "duration") for name in NUMBERS}
    holds = _list_of_numbers(record, "holds")
    transfers = _list_of_numbers(record, "transfers")
    quality = _integer(record, "quality")
    if quality is not None and quality > 100:
        raise BadLine(e.BAD_VALUE, name="quality", detail=repr(record.get("quality")))
    busy = record.get("busy")
    if busy is not None and not isinstance(busy, bool):
        raise BadLine(e.BAD_VALUE, name="busy", detail=repr(busy))
    return dict(
        call_id=str(_required(record, "call_id"))[:64], reseller_id=account.reseller_id,
        account_id=account.id, billing_number=billing or account.can,
        account_name=_text(record, "account_name", 200) or account.name,
        account_group=_integer(record, "account_group"),
        distribution_group=_integer(record, "distribution_group"),
        direction=direction, started_at=started, **numbers,
        caller_id=_text(record, "caller_id", 40), caller_name=_text(record, "caller_name", 200),
        agent=_text(record, "agent", 16).upper(), station=_text(record, "station", 16),
        holds=_json(holds), transfers=_json(transfers), busy=bool(busy), quality=quality,
        recording=_text(record, "recording", 500) or None,
        hold_max=max(holds, default=0.0), hold_total=sum(holds),
        transfer_count=len(transfers), transfer_total=sum(transfers),
        imported_at=now, **_local(started, account.zone),
    )


def message_row(record: dict[str, Any], account: _AccountInfo,
                now: dt.datetime) -> dict[str, Any]:
    taken = _moment(record, "taken_at")
    history = record.get("history") or []
    if not isinstance(history, list) or not all(
            isinstance(h, dict) and "event" in h for h in history):
        raise BadLine(e.BAD_VALUE, name="history", detail="a list of {at, event}")
    return dict(
        message_id=str(_required(record, "message_id"))[:64], reseller_id=account.reseller_id,
        account_id=account.id, call_id=_text(record, "call_id", 64),
        agent=_text(record, "agent", 16).upper(), taken_at=taken,
        local_date=taken.astimezone(account.zone).date(), body=_text(record, "body", 100_000),
        history=_json([{"at": str(h.get("at") or ""), "event": str(h["event"])}
                       for h in history]),
        imported_at=now,
    )


# ---- loading -------------------------------------------------------------------------------

class Importer:
    """Loads records batch by batch. ``reseller_id`` limits an upload to that reseller's
    accounts (and its own calls: another tenant's ``call_id`` is refused, not overwritten)."""

    def __init__(self, reseller_id: int | None = None, language: str = "en") -> None:
        self.reseller_id = reseller_id
        self.language = language
        self.report = ImportReport()
        self._accounts: dict[int, _AccountInfo | None] = {}

    def _error(self, line: int, exc: BadLine) -> None:
        self.report.errors.append(LineError(line, exc.text.render(self.language, **exc.values)))

    async def _load_accounts(self, numbers: set[int]) -> None:
        wanted = [n for n in numbers if n not in self._accounts]
        if not wanted:
            return
        query = Account.filter(id__in=wanted)
        if self.reseller_id is not None:
            query = query.filter(reseller_id=self.reseller_id)
        for n in wanted:
            self._accounts[n] = None
        for row in await query.values("id", "reseller_id", "can", "name", "time_zone"):
            try:
                zone = ZoneInfo(row["time_zone"] or "UTC")
            except (ZoneInfoNotFoundError, ValueError):
                zone = ZoneInfo("UTC")
            self._accounts[row["id"]] = _AccountInfo(row["id"], row["reseller_id"], row["can"],
                                                     row["name"], zone)

    async def feed(self, batch: list[tuple[int, Any]]) -> None:
        """Validate and upsert one batch of (line number, record)."""
        numbers: set[int] = set()
        for _, record in batch:
            if isinstance(record, dict):
                try:
                    numbers.add(_account_number(record))
                except BadLine:
                    pass
        await self._load_accounts(numbers)
        now = dt.datetime.now(dt.UTC)
        calls: dict[str, tuple[int, dict[str, Any]]] = {}
        messages: dict[str, tuple[int, dict[str, Any]]] = {}
        for line, record in batch:
            if isinstance(record, BadLine):
                self._error(line, record)
                continue
            try:
                number = _account_number(record)
                account = self._accounts.get(number)
                if account is None:
                    raise BadLine(e.NO_ACCOUNT, value=number)
                if record.get("message_id") is not None and record.get("started_at") is None:
                    message = message_row(record, account, now)
                    messages[message["message_id"]] = (line, message)
                else:
                    call = call_row(record, account, now)
                    calls[call["call_id"]] = (line, call)  # the file's last word wins
            except BadLine as exc:
                self._error(line, exc)
        if self.reseller_id is not None:
            await self._refuse_foreign(calls, Call, "call_id")
            await self._refuse_foreign(messages, TakenMessage, "message_id")
        if calls:
            await _upsert(Call, "call_id", CALL_UPDATE_FIELDS, [c for _, c in calls.values()])
        if messages:
            await _upsert(TakenMessage, "message_id", MESSAGE_UPDATE_FIELDS,
                          [m for _, m in messages.values()])
        self.report.calls += len(calls)
        self.report.messages += len(messages)

    async def _refuse_foreign(self, rows: dict[str, tuple[int, Any]], model: Any,
                              key: str) -> None:
        if not rows:
            return
        taken = await model.filter(**{f"{key}__in": list(rows)}).exclude(
            reseller_id=self.reseller_id).values_list(key, flat=True)
        for value in taken:
            line, _ = rows.pop(value)
            self._error(line, BadLine(e.BAD_VALUE, name=key, detail=repr(value)))

    async def run(self, records: Iterable[tuple[int, Any]],
                  progress: Callable[[int], Any] | None = None) -> ImportReport:
        batch: list[tuple[int, Any]] = []
        for item in records:
            batch.append(item)
            if len(batch) >= BATCH:
                await self.feed(batch)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            await self.feed(batch)
            if progress:
                progress(len(batch))
        self.report.errors.sort(key=lambda error: error.line)
        return self.report


async def _upsert(model: Any, key: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """One ``INSERT ... ON CONFLICT (key) DO UPDATE`` executed for every row. Plain values,
    no model objects: building Tortoise objects cost ten times the database's own work."""
    conn = connections.get("default")
    table = model._meta.db_table
    names = [key, *columns]
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns)
    conflict = f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    values = [[row[n] for n in names] for row in rows]
    if conn.capabilities.dialect == "postgres":
        await _copy_upsert(conn, table, names, conflict, values)
        return
    marks = ", ".join("?" for _ in names)
    await conn.execute_many(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks}) {conflict}", values)


async def _copy_upsert(conn: Any, table: str, names: list[str], conflict: str,
                       values: list[list[Any]]) -> None:
    """PostgreSQL: COPY the batch into a temporary table, then one INSERT ... SELECT ... ON
    CONFLICT (COPY is several times faster than row-by-row inserts)."""
    stage = f"_stage_{table}"
    columns = ", ".join(names)
    async with conn.acquire_connection() as raw, raw.transaction():
        await raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
                          f"SELECT {columns} FROM {table} WITH NO DATA")
        await raw.copy_records_to_table(stage, records=[tuple(v) for v in values],
                                        columns=names)
        await raw.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage} "
                          f"{conflict}")


async def import_text(text: str, fmt: str, *, reseller_id: int | None = None,
                      language: str = "en") -> ImportReport:
    """Import an uploaded document (JSON lines or CSV)."""
    return await Importer(reseller_id, language).run(
        read_records(io.StringIO(text.lstrip("\ufeff")), fmt))


# ---- the command ---------------------------------------------------------------------------

def _configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Call-center records. `import FILE` loads calls and taken messages "
                          "(JSON lines or CSV); the same call_id again updates the call.")
    actions = parser.add_subparsers(dest="callcenter_action", metavar="ACTION", required=True)
    load = actions.add_parser("import", help="Import calls / taken messages from a file.")
    load.add_argument("file", type=Path)
    load.add_argument("--format", choices=("jsonl", "csv"), default=None,
                      help="default: from the file name or its first character")


class _Progress:
    """Lines read from a text file, counted in bytes for tqdm."""

    def __init__(self, handle: Any, bar: Any) -> None:
        self.handle = handle
        self.bar = bar

    def __iter__(self) -> Iterator[str]:
        for line in self.handle:
            self.bar.update(len(line.encode("utf-8")))
            yield line


def _run(host: Any, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from gateway import db

    path: Path = args.file
    if not path.is_file():
        print(f"no such file: {path}", file=sys.stderr)
        return 2
    with path.open("rb") as raw:
        fmt = args.format or guess_format(path.name, raw.read(64))

    async def main() -> ImportReport:
        await db.init_db(host)
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle, tqdm(
                total=path.stat().st_size, unit="B", unit_scale=True, desc="importing",
                file=sys.stderr,
            ) as bar:
                return await Importer().run(read_records(_Progress(handle, bar), fmt))
        finally:
            await db.close_db()

    report = asyncio.run(main())
    for error in report.errors:
        print(f"line {error.line}: {error.message}", file=sys.stderr)
    print(f"{report.calls} call(s) and {report.messages} message(s) imported, "
          f"{len(report.errors)} line(s) rejected.")
    return 1 if report.errors else 0


import_command = Command(
    name="callcenter",
    help="Call-center records: `callcenter import FILE`.",
    run=_run,
    configure=_configure,
)
