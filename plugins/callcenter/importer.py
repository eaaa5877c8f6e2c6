"""Getting the answering platform's records in: JSON lines or CSV, one call (or taken message)
per line, from ``gateway callcenter import FILE`` or an authenticated HTTP upload.

Importing the same ``call_id`` (``message_id``) again for the same reseller updates the row, never
duplicates it; ids are unique per reseller, so another tenant's ids are neither blocked nor
revealed. A bad line is reported with its line number and the others still load.

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
  CONFLICT (reseller_id, call_id) DO UPDATE``, which the server runs while the next batch is parsed;
  SQLite: one ``executemany`` of ``INSERT ... ON CONFLICT`` per batch in one transaction (the
  same overlap: the sqlite3 module releases the GIL while it writes), with a larger page cache.
- after the last write, the zone each account's rows were computed in is recorded
  (``localisation``), so a later change of the account's time zone recomputes them.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import io
import json
import logging
import math
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from gateway.api import Account, Text
from plugins.callcenter import errors as e
from plugins.callcenter import freshness, live
from plugins.callcenter.import_writers import CALLS, MESSAGES, Writer, open_writer
from plugins.callcenter.localisation import local_columns, record_import
from plugins.callcenter.services import zone_of

log = logging.getLogger("plugins.callcenter.importer")

BATCH = 20_000
UPLOAD_BATCH = 2_000  # about 40 ms of parsing between two turns of the server's event loop
# Bounds that keep a typo from reaching the database as an overflow (which would stop the
# whole import instead of rejecting one line).
MAX_SECONDS = 1e9  # about 31 years
# Times in seconds a record may leave out (null: it never happened), in unpacking order.
_OPTIONAL_SECONDS = ("queued_at", "assigned_at", "answered_at", "agent_seconds", "wrap_seconds")
MAX_INTEGER = 2**31 - 1  # an INTEGER column
# Whole numbers a record may leave out, with their largest value, in unpacking order.
_OPTIONAL_INTEGERS = (("quality", 100), ("account_group", MAX_INTEGER),
                      ("distribution_group", MAX_INTEGER))
MAX_LIST = 1000  # holds or transfers of one call
TOO_DEEP = "nested too deeply"
_REAL = (int, float)  # bool is neither: `type(True) is bool`


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

# The decoder's C scanner, set by JSONDecoder.__init__ (typeshed does not declare it).
_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _json_lines(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(lines, start=1):
        # The C scanner straight on the line; anything unusual (blank, leading spaces, errors,
        # not an object) goes through json.loads for its exact message.
        try:
            record, end = _scan(line, 0)
        except (StopIteration, ValueError, RecursionError):
            record, end = None, -1
        if type(record) is not dict or (end != len(line) and not line[end:].isspace()):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, BadLine(e.BAD_JSON, detail=exc.msg)
                continue
            except RecursionError:  # [[[[... thousands deep
                yield number, BadLine(e.BAD_JSON, detail=TOO_DEEP)
                continue
            if not isinstance(record, dict):
                yield number, BadLine(e.BAD_JSON, detail="not an object")
                continue
        yield number, record


def _csv_rows(reader: csv.DictReader[str]) -> Iterator[tuple[int, Any]]:
    """The reader's rows; a line the csv module refuses (a field over its size limit, a
    broken quote) is a ``BadLine`` of that line, and reading goes on after it."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # raised before the line is counted
            yield reader.line_num + 1, BadLine(e.BAD_CSV, detail=str(exc))
            if reader.fieldnames is None:
                return
            continue
        yield reader.line_num, row


def _csv_lines(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    reader = csv.DictReader(lines)
    try:
        reader.fieldnames  # noqa: B018 (reads the header line)
    except csv.Error as exc:
        yield reader.line_num + 1, BadLine(e.BAD_CSV, detail=str(exc))
        return
    for line_num, row in _csv_rows(reader):
        if isinstance(row, BadLine):
            yield line_num, row
            continue
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
                except (ValueError, RecursionError):
                    record[key] = value
            elif key == "busy":
                record[key] = value.lower() in ("1", "true", "yes", "oui", "y")
            else:
                record[key] = value
        yield line_num, record


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


_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _direction(value: Any) -> str:
    """The slow path of a call's direction: any case, or missing."""
    direction = str(value).lower() if value is not None else ""
    if direction == "":
        raise BadLine(e.MISSING, name="direction")
    if direction not in ("inbound", "outbound"):
        raise BadLine(e.BAD_VALUE, name="direction", detail=repr(value))
    return direction


def _check_billing(value: Any, can: str) -> None:
    """A billing number other than the account's own CAN (as given) refuses the line."""
    billing = _text(value, 20)
    if billing != can:
        raise BadLine(e.BILLING_MISMATCH, value=billing)


def call_values(record: dict[str, Any], account: _AccountInfo) -> tuple[Any, ...]:
    """The ``import_writers.CALL_FIELDS`` of one record of ``account``, or ``BadLine``.

    Each check is a plain type test first: a well-formed value costs no function call."""
    get = record.get
    call_id = get("call_id")
    if not (type(call_id) is str and 0 < len(call_id) <= 64 and call_id.isascii()
            and "\x00" not in call_id):
        call_id = _key(call_id, "call_id")
    direction = get("direction")
    if direction != "inbound" and direction != "outbound":
        direction = _direction(direction)
    billing = get("billing_number")
    if billing is not None and billing != account.can and billing != "":
        _check_billing(billing, account.can)
    started = _moment(get("started_at"), "started_at")
    duration = get("duration")
    if duration is None or not (type(duration) in _REAL and 0 <= duration <= MAX_SECONDS):
        duration = _number(duration, "duration", required=True)
    times = []
    for name in _OPTIONAL_SECONDS:
        value = get(name)
        times.append(value if value is None or (type(value) in _REAL and 0 <= value <= MAX_SECONDS)
                     else _number(value, name))
    queued, assigned, answered, talk, wrap = times
    holds = get("holds")
    if holds is None or holds == []:
        hold_max, hold_total, holds_json = 0, 0, "[]"
    else:
        holds = _seconds_list(holds, "holds")
        hold_max, hold_total, holds_json = max(holds), sum(holds), _ENCODE(holds)
    transfers = get("transfers")
    if transfers is None or transfers == []:
        transfer_count, transfer_total, transfers_json = 0, 0, "[]"
    else:
        transfers = _seconds_list(transfers, "transfers")
        transfer_count, transfer_total = len(transfers), sum(transfers)
        transfers_json = _ENCODE(transfers)
    busy = get("busy")
    if busy is None:
        busy = False
    elif type(busy) is not bool:
        raise BadLine(e.BAD_VALUE, name="busy", detail=repr(busy))
    numbers = []
    for name, maximum in _OPTIONAL_INTEGERS:
        value = get(name)
        numbers.append(value if value is None or (type(value) is int and 0 <= value <= maximum)
                       else _integer(value, name, maximum))
    quality, group, distribution = numbers
    try:
        day, minute, weekday = local_columns(started, account.zone)
    except OverflowError:
        raise BadLine(e.BAD_VALUE, name="started_at", detail=repr(get("started_at"))) from None
    return (
        call_id, account.reseller_id, account.id, account.can,
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


# ---- loading -------------------------------------------------------------------------------

class Importer:
    """Loads records batch by batch. ``reseller_id`` limits an upload to that reseller's
    accounts; a ``call_id`` is its reseller's (another tenant's same id is another row)."""

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

    def _rows(self, batch: list[tuple[int, Any]]) -> tuple[dict[Any, tuple[int, tuple[Any, ...]]],
                         dict[Any, tuple[int, tuple[Any, ...]]]]:
        """Rows by (platform id, reseller): the upsert's conflict key."""
        accounts = self._accounts
        calls: dict[Any, tuple[int, tuple[Any, ...]]] = {}
        messages: dict[Any, tuple[int, tuple[Any, ...]]] = {}
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
                    messages[row[0], row[1]] = (line, row)
                else:
                    row = call_values(record, account)
                    calls[row[0], row[1]] = (line, row)  # the file's last word wins
            except BadLine as exc:
                self._error(line, exc)
            except RecursionError:  # a value nested too deeply to print or store
                self._error(line, BadLine(e.BAD_JSON, detail=TOO_DEEP))
        return calls, messages

    async def _feed(self, batch: list[tuple[int, Any]], writer: Writer) -> None:
        await self._load_accounts(batch)
        calls, messages = self._rows(batch)
        if calls:
            await writer.write(CALLS, [row for _, row in calls.values()])
        if messages:
            await writer.write(MESSAGES, [row for _, row in messages.values()])
        self._written.update(row[2] for _, row in calls.values())  # account_id
        self._written.update(row[2] for _, row in messages.values())
        self.report.calls += len(calls)
        self.report.messages += len(messages)

    async def _record_zones(self) -> None:
        # The rows are written (flushed): their resellers' statistics ETags change now.
        by_reseller: dict[int, list[int]] = {}
        for account_id in self._written:
            if (account := self._accounts.get(account_id)) is not None:
                by_reseller.setdefault(account.reseller_id, []).append(account_id)
        used = {}
        for account_id in self._written:
            account = self._accounts.get(account_id)
            if account is not None:
                used[account_id] = account.zone_name
        self._written.clear()
        try:
            await freshness.bump(by_reseller)
            await record_import(used)
        except Exception:
            # The calls are stored: the caller must hear so (a refusal would have it send them
            # again). The bump before the writes already moved the stamps; the time zones used
            # are recorded again by the next import of these accounts.
            log.warning("call-center import: the calls are stored but the bookkeeping after "
                        "them failed", exc_info=True)
        await live.announce(by_reseller)  # dashboards refresh (callsImported)

    async def _bump_before(self, batch: list[tuple[int, Any]]) -> None:
        """Move the stamps of the batch's resellers before writing: a database that refuses
        writes refuses here, before any call is stored (and a cached answer cannot outlive
        the rows if the bump after them fails)."""
        await self._load_accounts(batch)
        await freshness.bump({a.reseller_id for a in self._accounts.values() if a is not None})

    async def feed(self, batch: list[tuple[int, Any]]) -> None:
        """Validate and upsert one batch of (line number, record), all written on return."""
        await self._bump_before(batch)
        writer = open_writer()
        try:
            with _collector_paused():
                await self._feed(batch, writer)
                await writer.flush()
        finally:
            await writer.close()
        await self._record_zones()

    async def run(self, records: Iterable[tuple[int, Any]],
                  progress: Callable[[int], Any] | None = None) -> ImportReport:
        items = iter(records)
        first = list(islice(items, self.batch or BATCH))
        await self._bump_before(first)
        writer = open_writer()
        try:
            with _collector_paused():
                while batch := first or list(islice(items, self.batch or BATCH)):
                    first = []
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
