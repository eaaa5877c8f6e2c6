"""Getting the answering platform's records in: JSON lines or CSV, one call (or taken message)
per line, from ``gateway callcenter import FILE`` or an authenticated HTTP upload.

Importing the same ``call_id`` (``message_id``) again updates the row, never duplicates it; a bad
line is reported with its line number and the others still load.

Fast by construction (the issue asks for 20,000 lines/s on PostgreSQL; the plugin's README has
the figures):
- records are checked with plain type tests (the usual well-formed value costs no conversion)
  and become tuples in column order, never model objects; the database computes local_week
  and imported_at itself;
- the cyclic garbage collector is paused for the import (it kept re-scanning every live
  record of the batch: a third of the parsing time; the records hold no cycles);
- batches of ``BATCH`` lines (``UPLOAD_BATCH`` for an HTTP upload, which runs in the server's
  event loop: parsing a batch holds it);
- PostgreSQL: ``COPY`` into a temporary staging table, then one ``INSERT ... SELECT ... ON
  CONFLICT (call_id) DO UPDATE``, which the server runs while the next batch is parsed;
  SQLite: one ``executemany`` of ``INSERT ... ON CONFLICT`` per batch in one transaction (the
  same overlap: the sqlite3 module releases the GIL while it writes), with a larger page cache.
- after the last write, the zone each account's rows were computed in is recorded
  (``localisation``), so a later change of the account's time zone recomputes them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import datetime as dt
import gc
import io
import json
import math
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import connections

from gateway.contributions import Command
from gateway.i18n import Text
from gateway.identity.models import Account
from plugins.callcenter import errors as e
from plugins.callcenter.models import Call, TakenMessage

BATCH = 20_000
UPLOAD_BATCH = 2_000  # about 40 ms of parsing between two turns of the server's event loop
# Bounds that keep a typo from reaching the database as an overflow (which would stop the
# whole import instead of rejecting one line).
MAX_SECONDS = 1e9  # about 31 years
# Times in seconds a record may leave out (null: it never happened), in unpacking order.
_OPTIONAL_SECONDS = ("queued_at", "assigned_at", "answered_at", "agent_seconds", "wrap_seconds")
MAX_INTEGER = 2**31 - 1  # an INTEGER column
MAX_LIST = 1000  # holds or transfers of one call
_REAL = (int, float)  # bool is neither: `type(True) is bool`

# The columns of the tuples built below, in order; the first is the conflict key. The
# database computes local_week and imported_at itself (encoding a date for COPY costs more
# than the database's arithmetic).
CALL_FIELDS = (
    "call_id", "reseller_id", "account_id", "billing_number", "account_name", "account_group",
    "distribution_group", "direction", "started_at", "duration", "queued_at", "assigned_at",
    "answered_at", "agent_seconds", "wrap_seconds", "caller_id", "caller_name", "agent",
    "station", "holds", "transfers", "busy", "quality", "recording", "local_date",
    "local_minute", "local_weekday", "hold_max", "hold_total", "transfer_count",
    "transfer_total",
)
MESSAGE_FIELDS = ("message_id", "reseller_id", "account_id", "call_id", "agent", "taken_at",
                  "local_date", "body", "history")


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
    zone_name: str  # the account's time_zone text, as localisation records it


_paused = 0  # imports running with the collector paused
_collector_was_enabled = False


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a whole import. Each batch allocates tens of
    thousands of dicts and tuples that live until the batch is written; the collector kept
    re-scanning them (a third of the parsing time). They hold no cycles: reference counting
    frees them. Concurrent imports share one pause; the last one to finish resumes."""
    global _paused, _collector_was_enabled
    if _paused == 0:
        _collector_was_enabled = gc.isenabled()
        gc.disable()
    _paused += 1
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0 and _collector_was_enabled:
            gc.enable()


# ---- reading -------------------------------------------------------------------------------

_scan = json.JSONDecoder().scan_once


def _json_lines(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(lines, start=1):
        # The C scanner straight on the line; anything unusual (blank, leading spaces, errors,
        # not an object) goes through json.loads for its exact message.
        try:
            record, end = _scan(line, 0)
        except (StopIteration, ValueError):
            record, end = None, -1
        if type(record) is not dict or (end != len(line) and not line[end:].isspace()):
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


# ---- validating: the common well-formed value is accepted by a type test alone ----------------

def _number(value: Any, name: str, required: bool = False) -> float | None:
    """A non-negative number of seconds (the slow path: text, null, out of range)."""
    if value is None or value == "":
        if required:
            raise BadLine(e.MISSING, name=name)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadLine(e.BAD_VALUE, name=name, detail=repr(value))
    try:
        number = float(value)
    except ValueError:
        raise BadLine(e.BAD_VALUE, name=name, detail=repr(value)) from None
    if not (math.isfinite(number) and 0 <= number <= MAX_SECONDS):
        raise BadLine(e.BAD_VALUE, name=name, detail=repr(value))
    return number


def _integer(value: Any, name: str, maximum: int = MAX_INTEGER) -> int | None:
    if type(value) is int and 0 <= value <= maximum:
        return value
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadLine(e.BAD_VALUE, name=name, detail=repr(value))
    try:
        number = float(value)
    except ValueError:
        raise BadLine(e.BAD_VALUE, name=name, detail=repr(value)) from None
    if not (math.isfinite(number) and number == int(number) and 0 <= number <= maximum):
        raise BadLine(e.BAD_VALUE, name=name, detail=repr(value))
    return int(number)


def _account_number(value: Any) -> int:
    """The account number of a record; one that cannot be an account's matches none."""
    if value is None or value == "":
        raise BadLine(e.MISSING, name="account_number")
    try:
        number = _integer(value, "account_number", maximum=sys.maxsize)
    except BadLine:
        raise BadLine(e.NO_ACCOUNT, value=value) from None
    assert number is not None
    return number


def _seconds_list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if type(value) is not list or len(value) > MAX_LIST:
        raise BadLine(e.BAD_VALUE, name=name, detail="not a list")
    for item in value:
        if not (type(item) in _REAL and 0 <= item <= MAX_SECONDS):
            return [_number(item, name, required=True) for item in value]
    return value


def _moment(value: Any, name: str) -> dt.datetime:
    if value is None or value == "":
        raise BadLine(e.MISSING, name=name)
    try:
        moment = dt.datetime.fromisoformat(value)  # 3.11: any ISO 8601, "Z" included
    except (TypeError, ValueError):
        raise BadLine(e.BAD_VALUE, name=name, detail=repr(value)) from None
    if moment.tzinfo is None:
        raise BadLine(e.BAD_VALUE, name=name, detail="no UTC offset")
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:
        raise BadLine(e.BAD_VALUE, name=name, detail=repr(value)) from None


def _text(value: Any, limit: int) -> str:
    """Text as both databases take it: no NUL (PostgreSQL refuses it), no lone surrogate (a
    JSON "\\ud800" would stop the UTF-8 encoder), at most ``limit`` characters."""
    if value is None:
        return ""
    if type(value) is not str:
        value = str(value)
    if len(value) > limit:
        value = value[:limit]
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def _key(value: Any, name: str) -> str:
    text = _text(value, 65)
    if not text:
        raise BadLine(e.MISSING, name=name)
    if len(text) > 64:
        raise BadLine(e.BAD_VALUE, name=name, detail="longer than 64 characters")
    return text


def local_columns(moment: dt.datetime, zone: ZoneInfo) -> tuple[dt.date, int, int]:
    """(local_date, local_minute, local_weekday) of ``moment`` in ``zone``: the account-local
    columns every report filters on (``local_week``, the Monday, is ``LOCAL_WEEK`` in SQL)."""
    local = moment.astimezone(zone)
    day = local.date()
    return day, local.hour * 60 + local.minute, day.weekday()


# The Monday of local_date's week, as each database computes it from the two columns.
LOCAL_WEEK = {"postgres": "local_date - local_weekday",
              "sqlite": "date(local_date, '-' || local_weekday || ' days')"}


_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def call_values(record: dict[str, Any], account: _AccountInfo) -> tuple[Any, ...]:
    """The ``CALL_FIELDS`` of one record of ``account``, or ``BadLine``."""
    get = record.get
    call_id = get("call_id")
    if not (type(call_id) is str and 0 < len(call_id) <= 64 and call_id.isascii()
            and "\x00" not in call_id):
        call_id = _key(call_id, "call_id")
    direction = get("direction")
    if direction != "inbound" and direction != "outbound":
        direction = str(direction).lower() if direction is not None else None
        if direction is None or direction == "":
            raise BadLine(e.MISSING, name="direction")
        if direction not in ("inbound", "outbound"):
            raise BadLine(e.BAD_VALUE, name="direction", detail=repr(get("direction")))
    billing = get("billing_number")
    if billing is None or billing == account.can or billing == "":
        billing = account.can
    else:
        billing = _text(billing, 20)
        if billing != account.can:
            raise BadLine(e.BILLING_MISMATCH, value=billing)
    started = _moment(get("started_at"), "started_at")
    duration = get("duration")
    if not (type(duration) in _REAL and 0 <= duration <= MAX_SECONDS):
        duration = _number(duration, "duration", required=True)
    times = []
    for name in _OPTIONAL_SECONDS:  # a plain number in range passes without a call
        value = get(name)
        if value is not None and not (type(value) in _REAL and 0 <= value <= MAX_SECONDS):
            value = _number(value, name)
        times.append(value)
    queued, assigned, answered, talk, wrap = times
    holds = get("holds")
    if holds:
        holds = _seconds_list(holds, "holds")
        hold_max, hold_total, holds_json = max(holds), sum(holds), _ENCODE(holds)
    elif holds is None or holds == []:
        hold_max, hold_total, holds_json = 0, 0, "[]"
    else:
        raise BadLine(e.BAD_VALUE, name="holds", detail="not a list")
    transfers = get("transfers")
    if transfers:
        transfers = _seconds_list(transfers, "transfers")
        transfer_count, transfer_total = len(transfers), sum(transfers)
        transfers_json = _ENCODE(transfers)
    elif transfers is None or transfers == []:
        transfer_count, transfer_total, transfers_json = 0, 0, "[]"
    else:
        raise BadLine(e.BAD_VALUE, name="transfers", detail="not a list")
    busy = get("busy")
    if busy is None:
        busy = False
    elif type(busy) is not bool:
        raise BadLine(e.BAD_VALUE, name="busy", detail=repr(busy))
    quality = get("quality")
    if quality is not None and not (type(quality) is int and 0 <= quality <= 100):
        quality = _integer(quality, "quality", maximum=100)
    group = get("account_group")
    if group is not None and not (type(group) is int and 0 <= group <= MAX_INTEGER):
        group = _integer(group, "account_group")
    distribution = get("distribution_group")
    if distribution is not None and not (
            type(distribution) is int and 0 <= distribution <= MAX_INTEGER):
        distribution = _integer(distribution, "distribution_group")
    try:
        day, minute, weekday = local_columns(started, account.zone)
    except OverflowError:
        raise BadLine(e.BAD_VALUE, name="started_at", detail=repr(get("started_at"))) from None
    return (
        call_id, account.reseller_id, account.id, billing,
        _text(get("account_name"), 200) or account.name, group, distribution, direction,
        started, duration, queued, assigned, answered, talk, wrap,
        _text(get("caller_id"), 40), _text(get("caller_name"), 200),
        _text(get("agent"), 16).upper(), _text(get("station"), 16), holds_json,
        transfers_json, busy, quality, _text(get("recording"), 500) or None, day, minute,
        weekday, hold_max, hold_total, transfer_count, transfer_total,
    )


def message_values(record: dict[str, Any], account: _AccountInfo) -> tuple[Any, ...]:
    """The ``MESSAGE_FIELDS`` of one taken message of ``account``, or ``BadLine``."""
    taken = _moment(record.get("taken_at"), "taken_at")
    history = record.get("history") or []
    if not isinstance(history, list) or not all(
            isinstance(h, dict) and "event" in h for h in history):
        raise BadLine(e.BAD_VALUE, name="history", detail="a list of {at, event}")
    try:
        day = local_columns(taken, account.zone)[0]
    except OverflowError:
        raise BadLine(e.BAD_VALUE, name="taken_at", detail=repr(record.get("taken_at"))) from None
    return (
        _key(record.get("message_id"), "message_id"), account.reseller_id, account.id,
        _text(record.get("call_id"), 64), _text(record.get("agent"), 16).upper(), taken, day,
        _text(record.get("body"), 100_000),
        _ENCODE([{"at": _text(h.get("at"), 64), "event": _text(h["event"], 500)}
                 for h in history]),
    )


# ---- writing -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Target:
    table: str
    columns: tuple[str, ...]  # the values of each row; the first is the conflict key
    computed: dict[str, dict[str, str]]  # column: {dialect: SQL over the other columns}

    def upsert(self, dialect: str, source: str) -> str:
        """``source`` gives ``columns``, then the computed ones, then imported_at."""
        extra = {name: sql[dialect] for name, sql in self.computed.items()}
        names = ", ".join([*self.columns, *extra, "imported_at"])
        updates = ", ".join(f"{c} = excluded.{c}"
                            for c in [*self.columns[1:], *extra, "imported_at"])
        return (f"INSERT INTO {self.table} ({names}) {source} "
                f"ON CONFLICT ({self.columns[0]}) DO UPDATE SET {updates}")


_CALLS = _Target(Call._meta.db_table, CALL_FIELDS, {"local_week": LOCAL_WEEK})
_MESSAGES = _Target(TakenMessage._meta.db_table, MESSAGE_FIELDS, {})


SQLITE_CACHE_KIB = 64 * 1024


class _Writer:
    """Upserts batches of rows. Each batch's statement is left running while the caller parses
    the next batch; the next write (or ``flush``) waits for it first.

    SQLite: the connection's page cache grows to ``SQLITE_CACHE_KIB`` for the import (the
    default 2 MB made every index insertion of a large table read its pages again: a third
    of the time), and is put back after."""

    def __init__(self) -> None:
        self._pending: asyncio.Future[Any] | None = None
        self._cache_grown = False
        self._cache_size: int | None = None  # SQLite's, to put back

    async def _grow_cache(self) -> None:
        conn = connections.get("default")
        rows = await conn.execute_query_dict("PRAGMA cache_size")
        size = int(next(iter(rows[0].values()))) if rows else 0
        if (-size if size < 0 else size * 4) < SQLITE_CACHE_KIB:  # pages of 4 KiB or more
            self._cache_size = size
            await conn.execute_query(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")

    async def write(self, target: _Target, rows: list[tuple[Any, ...]]) -> None:
        await self.flush()
        if not self._cache_grown:
            self._cache_grown = True
            await self._grow_cache()
        # SQLite: numbered parameters, so the computed columns can reuse the row's values.
        number = {name: i for i, name in enumerate(target.columns, start=1)}
        marks = [f"?{i}" for i in number.values()]
        for name in target.computed:
            marks.append(target.computed[name]["sqlite"].replace(
                "local_date", f"?{number['local_date']}").replace(
                "local_weekday", f"?{number['local_weekday']}"))
        now = dt.datetime.now(dt.UTC).isoformat(" ")  # as Tortoise writes a datetime
        statement = target.upsert("sqlite", f"VALUES ({', '.join(marks)}, '{now}')")
        # Tortoise's SQLite execute_many: one transaction, one executemany.
        self._pending = asyncio.ensure_future(
            connections.get("default").execute_many(statement, rows))
        await asyncio.sleep(0)  # start it

    async def flush(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            await pending

    async def close(self) -> None:
        """Wait for the statement in flight (never cancel it half-way through a
        transaction); its error, if any, was already raised or is beside the point."""
        with contextlib.suppress(Exception):
            await self.flush()
        if self._cache_size is not None:
            size, self._cache_size = self._cache_size, None
            await connections.get("default").execute_query(f"PRAGMA cache_size = {size}")


class _PostgresWriter(_Writer):
    """COPY into a temporary staging table of the connection, then one INSERT ... SELECT ... ON
    CONFLICT, left running while the next batch is parsed (the connection goes back to the
    pool when it is done). Inside the caller's transaction, the same statements run one after
    the other on its connection."""

    def __init__(self, client: Any) -> None:
        from tortoise.backends.base.client import TransactionalDBClient

        super().__init__()
        self._client = client
        self._in_transaction = isinstance(client, TransactionalDBClient)

    async def write(self, target: _Target, rows: list[tuple[Any, ...]]) -> None:
        await self.flush()
        names = ", ".join(target.columns)
        # Named after its columns: a pooled connection may keep an older one.
        stage = f"_stage_{target.table}_{zlib.crc32(names.encode()):08x}"
        computed = "".join(f", {sql['postgres']}" for sql in target.computed.values())
        upsert = (f"{target.upsert('postgres', f'SELECT {names}{computed}, now() FROM {stage}')}"
                  f"; TRUNCATE {stage}")
        context = self._client.acquire_connection()
        raw = await context.__aenter__()
        try:
            await raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT {names} "
                              f"FROM {target.table} WITH NO DATA; TRUNCATE {stage}")
            await raw.copy_records_to_table(stage, records=rows, columns=target.columns)
            if self._in_transaction:
                await raw.execute(upsert)
        except BaseException:
            await context.__aexit__(None, None, None)
            raise
        if self._in_transaction:
            await context.__aexit__(None, None, None)
            return

        async def insert() -> None:
            try:
                await raw.execute(upsert)
            finally:
                await context.__aexit__(None, None, None)

        self._pending = asyncio.ensure_future(insert())
        await asyncio.sleep(0)  # send it: the server inserts while the next batch is parsed


def _writer() -> _Writer:
    client = connections.get("default")
    if client.capabilities.dialect == "postgres":
        return _PostgresWriter(client)
    return _Writer()


# ---- loading -------------------------------------------------------------------------------

class Importer:
    """Loads records batch by batch. ``reseller_id`` limits an upload to that reseller's
    accounts (and its own calls: another tenant's ``call_id`` is refused, not overwritten)."""

    def __init__(self, reseller_id: int | None = None, language: str = "en",
                 batch: int | None = None) -> None:
        self.reseller_id = reseller_id
        self.language = language
        self.batch = batch
        self.report = ImportReport()
        self._accounts: dict[int, _AccountInfo | None] = {}
        self._written: set[int] = set()  # accounts with a row written

    def _error(self, line: int, exc: BadLine) -> None:
        self.report.errors.append(LineError(line, exc.text.render(self.language, **exc.values)))

    async def _load_accounts(self, batch: list[tuple[int, Any]]) -> None:
        from plugins.callcenter.services import zone_of

        wanted: set[int] = set()
        for _, record in batch:
            if type(record) is dict:
                number = record.get("account_number")
                if type(number) is not int:
                    try:
                        number = _account_number(number)
                    except BadLine:
                        continue
                if number not in self._accounts:
                    wanted.add(number)
        if not wanted:
            return
        for number in wanted:
            self._accounts[number] = None
        query = Account.filter(id__in=[n for n in wanted if 0 < n <= MAX_INTEGER])
        if self.reseller_id is not None:
            query = query.filter(reseller_id=self.reseller_id)
        for row in await query.values("id", "reseller_id", "can", "name", "time_zone"):
            self._accounts[row["id"]] = _AccountInfo(row["id"], row["reseller_id"], row["can"],
                                                     row["name"], zone_of(row["time_zone"]),
                                                     row["time_zone"])

    def _rows(self, batch: list[tuple[int, Any]]) -> tuple[dict[str, tuple[int, tuple[Any, ...]]],
                         dict[str, tuple[int, tuple[Any, ...]]]]:
        accounts = self._accounts
        calls: dict[str, tuple[int, tuple[Any, ...]]] = {}
        messages: dict[str, tuple[int, tuple[Any, ...]]] = {}
        for line, record in batch:
            if type(record) is not dict:
                self._error(line, record)
                continue
            try:
                number = record.get("account_number")
                if type(number) is not int:
                    number = _account_number(number)
                account = accounts.get(number)
                if account is None:
                    raise BadLine(e.NO_ACCOUNT, value=number)
                if record.get("message_id") is not None and record.get("started_at") is None:
                    row = message_values(record, account)
                    messages[row[0]] = (line, row)
                else:
                    row = call_values(record, account)
                    calls[row[0]] = (line, row)  # the file's last word wins
            except BadLine as exc:
                self._error(line, exc)
        return calls, messages

    async def _feed(self, batch: list[tuple[int, Any]], writer: _Writer) -> None:
        await self._load_accounts(batch)
        calls, messages = self._rows(batch)
        if self.reseller_id is not None:
            await self._refuse_foreign(calls, Call, "call_id")
            await self._refuse_foreign(messages, TakenMessage, "message_id")
        if calls:
            await writer.write(_CALLS, [row for _, row in calls.values()])
        if messages:
            await writer.write(_MESSAGES, [row for _, row in messages.values()])
        self._written.update(row[2] for _, row in calls.values())  # account_id
        self._written.update(row[2] for _, row in messages.values())
        self.report.calls += len(calls)
        self.report.messages += len(messages)

    async def _record_zones(self) -> None:
        from plugins.callcenter.localisation import record_import

        used = {}
        for account_id in self._written:
            account = self._accounts.get(account_id)
            if account is not None:
                used[account_id] = account.zone_name
        await record_import(used)
        self._written.clear()

    async def feed(self, batch: list[tuple[int, Any]]) -> None:
        """Validate and upsert one batch of (line number, record), all written on return."""
        writer = _writer()
        try:
            with _collector_paused():
                await self._feed(batch, writer)
                await writer.flush()
        finally:
            await writer.close()
        await self._record_zones()

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
        items = iter(records)
        writer = _writer()
        try:
            with _collector_paused():
                while batch := list(islice(items, self.batch or BATCH)):
                    await self._feed(batch, writer)
                    if progress:
                        progress(len(batch))
                await writer.flush()
        finally:
            await writer.close()
        await self._record_zones()
        self.report.errors.sort(key=lambda error: error.line)
        return self.report


async def import_text(text: str, fmt: str, *, reseller_id: int | None = None,
                      language: str = "en") -> ImportReport:
    """Import an uploaded document (JSON lines or CSV)."""
    return await Importer(reseller_id, language, UPLOAD_BATCH).run(
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
    """Lines read from a text file; tqdm counts bytes (characters, close enough), updated every
    few thousand lines (a per-line update costs as much as parsing the line)."""

    EVERY = 4096

    def __init__(self, handle: Any, bar: Any) -> None:
        self.handle = handle
        self.bar = bar

    def __iter__(self) -> Iterator[str]:
        size = count = 0
        for line in self.handle:
            size += len(line)
            count += 1
            if count == self.EVERY:
                self.bar.update(size)
                size = count = 0
            yield line
        self.bar.update(max(0, self.bar.total - self.bar.n))  # the end of the file: 100%


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
