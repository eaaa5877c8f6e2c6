"""Tortoise's SQLite client with rows made into dicts by position.

Tortoise reads SQLite rows as ``sqlite3.Row`` and makes each a dict with ``dict(row)``: every
column is looked up by name, and ``sqlite3.Row`` finds a name by comparing it with each column's
name in turn (ASCII letters without regard to case) — quadratic in the columns: a 50-row list
page of 20 columns spends ~100 µs there. Here the page's columns are matched once and each row
is read by position: the same dicts, the case of two columns whose names differ only by ASCII
case (or are equal: ``SELECT a.*, b.*``) included — both take the first one's value, as a
lookup by name does. ``gateway.db.tortoise_config`` names this module as SQLite's engine.
"""

from __future__ import annotations

import operator
from typing import Any

from tortoise.backends.sqlite.client import SqliteClient, translate_exceptions


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
    @translate_exceptions
    async def execute_query_dict(self, query: str, values: list | None = None) -> list[dict]:
        query = query.replace("\x00", "'||CHAR(0)||'")  # as Tortoise's own
        async with self.acquire_connection() as connection:
            self.log.debug("%s: %s", query, values)
            return row_dicts(await connection.execute_fetchall(query, values))


client_class = GatewaySqliteClient
