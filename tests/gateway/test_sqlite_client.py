"""gateway.sqlite_client: SQLite rows made into dicts by position give what ``dict(row)`` of
Tortoise's own client gives, and the gateway's SQLite connection uses it."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

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
