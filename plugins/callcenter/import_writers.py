"""Writing the importer's rows: the columns of the tuples ``importer`` builds, and the
upserts that write them a batch at a time (SQLite: one ``executemany``; PostgreSQL: ``COPY``
into a staging table, then one ``INSERT ... SELECT ... ON CONFLICT``), each batch's statement
left running while the next batch is parsed (the plugin's README has the figures)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient

from plugins.callcenter.localisation import LOCAL_WEEK
from plugins.callcenter.models import Call, TakenMessage

# The columns of the tuples the importer builds, in order; the first two (the platform's id,
# then the reseller) are the conflict key: ids are unique per reseller (issue 15). The
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


@dataclass(frozen=True)
class Target:
    table: str
    columns: tuple[str, ...]  # the values of each row; the first two are the conflict key
    computed: dict[str, dict[str, str]]  # column: {dialect: SQL over the other columns}

    def upsert(self, dialect: str, source: str) -> str:
        """``source`` gives ``columns``, then the computed ones, then imported_at."""
        extra = {name: sql[dialect] for name, sql in self.computed.items()}
        names = ", ".join([*self.columns, *extra, "imported_at"])
        updates = ", ".join(f"{c} = excluded.{c}"
                            for c in [*self.columns[2:], *extra, "imported_at"])
        return (f"INSERT INTO {self.table} ({names}) {source} "
                f"ON CONFLICT ({self.columns[1]}, {self.columns[0]}) DO UPDATE SET {updates}")


CALLS = Target(Call._meta.db_table, CALL_FIELDS, {"local_week": LOCAL_WEEK})
MESSAGES = Target(TakenMessage._meta.db_table, MESSAGE_FIELDS, {})


SQLITE_CACHE_KIB = 64 * 1024


class Writer:
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

    async def write(self, target: Target, rows: list[tuple[Any, ...]]) -> None:
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


class PostgresWriter(Writer):
    """COPY into a temporary staging table of the connection, then one INSERT ... SELECT ... ON
    CONFLICT, left running while the next batch is parsed (the connection goes back to the
    pool when it is done). Inside the caller's transaction, the same statements run one after
    the other on its connection."""

    def __init__(self, client: BaseDBAsyncClient) -> None:
        super().__init__()
        self._client = client
        self._in_transaction = isinstance(client, TransactionalDBClient)

    async def write(self, target: Target, rows: list[tuple[Any, ...]]) -> None:
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


def open_writer() -> Writer:
    """The writer for the default connection's database."""
    client = connections.get("default")
    if client.capabilities.dialect == "postgres":
        return PostgresWriter(client)
    return Writer()
