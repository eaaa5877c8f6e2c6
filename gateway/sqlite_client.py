"""Tortoise's SQLite client with rows made into dicts by position, and short reads run inline.

Tortoise reads SQLite rows as ``sqlite3.Row`` and makes each a dict with ``dict(row)``: every
column is looked up by name, and ``sqlite3.Row`` finds a name by comparing it with each column's
name in turn (ASCII letters without regard to case) — quadratic in the columns: a 50-row list
page of 20 columns spends ~100 µs there. Here the page's columns are matched once and each row
is read by position: the same dicts, the case of two columns whose names differ only by ASCII
case (or are equal: ``SELECT a.*, b.*``) included — both take the first one's value, as a
lookup by name does.

Every statement goes to the driver's thread and back (aiosqlite): ~0.1 ms, more under load,
while an indexed lookup of one row takes SQLite a few tens of µs.
:meth:`GatewaySqliteClient.execute_query_dict_inline` runs such a read on the caller's thread
instead, under the lock every statement of the connection takes (so nothing else uses the
connection meanwhile; the connection is opened without sqlite3's same-thread check for it).
It blocks the event loop while SQLite works: for short reads only (the session of every
signed-in request). ``gateway.db.tortoise_config`` names this module as SQLite's engine.
"""

from __future__ import annotations

import operator
import sqlite3
from typing import Any

import aiosqlite
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteClientWithRegexpSupport,
    install_regexp_functions_to_db,
    translate_exceptions,
)


def row_dicts(rows: list[Any]) -> list[dict[str, Any]]:
    """``[dict(row) for row in rows]`` for ``sqlite3.Row`` rows of one statement."""
    if not rows:
        return []
    names = rows[0].keys()
    first: dict[bytes, int] = {}
    positions = [first.setdefault(name.encode().lower(), index)
                 for index, name in enumerate(names)]
    if positions == list(range(len(names))):
        return [dict(zip(names, row, strict=True)) for row in rows]
    read = operator.itemgetter(*positions)
    return [dict(zip(names, read(row) if len(names) > 1 else (read(row),), strict=True))
            for row in rows]


class GatewaySqliteClient(SqliteClient):
    async def create_connection(self, with_db: bool) -> None:
        if not self._connection:
            # As Tortoise's, without the same-thread check (execute_query_dict_inline).
            self._connection = await aiosqlite.connect(self.filename, isolation_level=None,
                                                       check_same_thread=False)
            self._connection._conn.row_factory = sqlite3.Row
            for pragma, value in self.pragmas.items():
                cursor = await self._connection.execute(f"PRAGMA {pragma}={value}")
                await cursor.close()
            await self._post_connect()

    @translate_exceptions
    async def execute_query_dict(self, query: str, values: list | None = None) -> list[dict]:
        query = query.replace("\x00", "'||CHAR(0)||'")  # as Tortoise's own
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            return row_dicts(await connection.execute_fetchall(query, values))

    @translate_exceptions
    async def execute_query_dict_inline(self, query: str,
                                        values: list | None = None) -> list[dict]:
        """``execute_query_dict`` run on this thread (see the module): short reads only."""
        query = query.replace("\x00", "'||CHAR(0)||'")
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            return row_dicts(connection._conn.execute(query, values or ()).fetchall())


class GatewaySqliteClientWithRegexpSupport(GatewaySqliteClient, SqliteClientWithRegexpSupport):
    """With ``?install_regexp_functions=True`` in the URL, as Tortoise's engine offers."""

    async def create_connection(self, with_db: bool) -> None:
        await GatewaySqliteClient.create_connection(self, with_db)
        if self._connection:
            await install_regexp_functions_to_db(self._connection)


client_class = GatewaySqliteClient


def get_client_class(db_info: dict[str, Any]) -> type[SqliteClient]:
    """The client for a connection's config, as ``tortoise.backends.sqlite`` chooses."""
    if db_info.get("credentials", {}).get("install_regexp_functions"):
        return GatewaySqliteClientWithRegexpSupport
    return GatewaySqliteClient


async def short_read(conn: Any, query: str, values: list | None = None) -> list[dict]:
    """The rows of a short read (an indexed lookup of a few rows) as dicts: inline on
    SQLite's client (:meth:`GatewaySqliteClient.execute_query_dict_inline`), as any other
    statement elsewhere (PostgreSQL, a transaction's connection)."""
    inline = getattr(conn, "execute_query_dict_inline", None)
    if inline is not None:
        return await inline(query, values)
    return await conn.execute_query_dict(query, values)

