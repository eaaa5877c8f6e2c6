"""When the calls last changed, per reseller: a counter bumped after each import (and by
retention, purges and time zone recomputations), so that statistics answers carry an ETag
that changes exactly when their data may have (live "today" buckets are refreshed by the
import landing, not by a timer). Reading it is one small statement: the 304 path."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gateway.api import short_read
from plugins.callcenter.statistics import Sql, connection

TABLE = "callcenter_calls_changed"


async def bump(reseller_ids: Iterable[int]) -> None:
    """Mark the calls of these resellers changed (one upsert). The importer bumps before it
    writes a batch (a database refusing writes refuses there, before any call is stored) and
    again after the rows are written: a reader then sees either the old stamp with the new rows
    (refetched once the stamp moves) or the new stamp with the new rows, never the new stamp
    with old rows."""
    ids = sorted({int(r) for r in reseller_ids if r is not None})
    if not ids:
        return
    conn = connection()
    sql = Sql(conn.capabilities.dialect)
    rows = ", ".join(f"({sql.p(r)}, 1)" for r in ids)
    await conn.execute_query(
        f"INSERT INTO {TABLE} (reseller_id, version) VALUES {rows} ON CONFLICT (reseller_id) "
        f"DO UPDATE SET version = {TABLE}.version + 1", sql.values)


async def stamp(context: Any) -> str:
    """The change stamp of the calls the caller may read: its reseller's counter, or the sum
    of every reseller's for a system admin (any bump changes it)."""
    principal = context.principal
    conn = connection()
    sql = Sql(conn.capabilities.dialect)
    reseller_id = getattr(principal, "reseller_id", None)
    where = "" if reseller_id is None else f" WHERE reseller_id = {sql.p(int(reseller_id))}"
    # One row per reseller, by its key: a short read (inline on SQLite).
    rows = await short_read(
        conn, f"SELECT COALESCE(SUM(version), 0) AS version FROM {TABLE}{where}", sql.values)
    return f"calls:{reseller_id}:{int(rows[0]['version']) if rows else 0}"
