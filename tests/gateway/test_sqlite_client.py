"""gateway.sqlite_client: SQLite rows made into dicts by position give what ``dict(row)`` of
Tortoise's own client gives, and the gateway's SQLite connection uses it."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tortoise import connections

from gateway.sqlite_client import GatewaySqliteClient, row_dicts
from tests.conftest import Gateway, make_settings, start_gateway

STATEMENTS = [
    "SELECT * FROM a",
    "SELECT a.*, b.* FROM a, b",  # "id" twice: the first one's value, as a lookup by name
    "SELECT a.id, b.id AS ID FROM a, b",  # names equal but for ASCII case
    'SELECT a.name AS "É", b.nom AS "é" FROM a, b',  # non-ASCII: told apart, as sqlite3 does
    "SELECT b.nom, a.Nom FROM a, b",
    "SELECT 1",
    "SELECT * FROM a WHERE 0",
    "SELECT id, name, NULL AS missing, x'00ff' AS raw, 1.5 AS ratio FROM a",
]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_rows_as_dicts_are_what_dict_of_a_row_gives(statement: str) -> None:
    db = sqlite3.connect(":memory:")
    db.row_factory = sqlite3.Row
    db.executescript("""CREATE TABLE a (id, name, Nom); CREATE TABLE b (id, ID2, nom);
        INSERT INTO a VALUES (1, 'un', 'UN'), (2, 'deux', 'DEUX'); INSERT INTO b VALUES
        (10, 'dix', 'DIX')""")
    rows = db.execute(statement).fetchall()
    expected = [dict(row) for row in rows]
    assert row_dicts(rows) == expected
    assert [list(d.items()) for d in row_dicts(rows)] == [list(d.items()) for d in expected]


@pytest.fixture
async def gateway(migrated: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    async for running in start_gateway(make_settings(migrated, tmp_path), run_jobs=False):
        yield running


async def test_the_gateway_reads_sqlite_through_it(gateway: Gateway) -> None:
    conn = connections.get("default")
    if conn.capabilities.dialect != "sqlite":
        assert not isinstance(conn, GatewaySqliteClient)
        return
    assert isinstance(conn, GatewaySqliteClient)
    rows = await conn.execute_query_dict(
        "SELECT 1 AS id, 'x' AS name UNION ALL SELECT 2, 'y' ORDER BY id")
    assert rows == [{"id": 1, "name": "x"}, {"id": 2, "name": "y"}]
    assert await conn.execute_query_dict("SELECT 1 AS n WHERE 0") == []


async def test_an_inline_read_is_the_same_read_and_waits_for_the_connection(
        gateway: Gateway) -> None:
    """Run on the event loop's thread, a read gives what the driver's thread gives, and waits
    while a transaction holds the connection (it then sees the committed rows)."""
    import asyncio

    from tortoise.transactions import in_transaction

    from gateway.sqlite_client import get_client_class

    conn = connections.get("default")
    if not isinstance(conn, GatewaySqliteClient):
        assert not hasattr(conn, "execute_query_dict_inline")
        return
    statement = "SELECT id, name, can FROM core_reseller ORDER BY id"
    from tests.support.identity_factory import make_reseller

    await make_reseller("Inline")
    assert await conn.execute_query_dict_inline(statement) == \
        await conn.execute_query_dict(statement)
    order: list[str] = []

    async def writer() -> None:
        async with in_transaction() as tx:
            await tx.execute_query("UPDATE core_reseller SET name = 'Renamed'")
            order.append("written")
            await asyncio.sleep(0.05)  # the reader waits for the connection meanwhile
        order.append("committed")

    async def reader() -> list[dict[str, Any]]:
        await asyncio.sleep(0.01)
        rows = await conn.execute_query_dict_inline(statement)
        order.append("read")
        return rows

    _, rows = await asyncio.gather(writer(), reader())
    assert order == ["written", "committed", "read"]
    assert [row["name"] for row in rows] == ["Renamed"] * len(rows)
    with pytest.raises(Exception, match="no such table"):
        await conn.execute_query_dict_inline("SELECT * FROM no_such_table")
    regexp = get_client_class({"credentials": {"install_regexp_functions": True}})
    assert issubclass(regexp, GatewaySqliteClient)
    assert regexp.capabilities.support_for_posix_regex_queries
