"""Migration 0003 (issue 15, item 5): call and message ids become unique per reseller on a
database that already holds rows, on SQLite and PostgreSQL: the rows stay, the report indexes
stay, another reseller may use the same id, the same reseller may not."""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate

from gateway.db import tortoise_config
from gateway.plugins import PluginHost
from tests.conftest import make_settings

CALL = ("INSERT INTO callcenter_call (call_id, reseller_id, account_id, billing_number, "
        "account_name, direction, started_at, duration, caller_id, caller_name, agent, station, "
        "holds, transfers, busy, local_date, local_week, local_minute, local_weekday, hold_max, "
        "hold_total, transfer_count, transfer_total, imported_at) VALUES ({marks})")
MESSAGE = ("INSERT INTO callcenter_taken_message (message_id, reseller_id, account_id, call_id, "
           "agent, taken_at, local_date, body, history, imported_at) VALUES ({marks})")


def _call_of(call_id: str, reseller_id: int, account_id: int = 1) -> tuple[Any, ...]:
    return (call_id, reseller_id, account_id, "", "", "inbound", "2026-11-23 12:00:00+00:00",
            10, "", "", "", "", "[]", "[]", False, "2026-11-23", "2026-11-23", 420, 0, 0, 0, 0, 0,
            "2026-11-23 12:00:00+00:00")


async def _migrate(url: str, tmp_path: Path, target: str | None = None) -> None:
    host = PluginHost(make_settings(url, tmp_path))
    with TortoiseContext() as ctx:
        try:
            await migrate(config=tortoise_config(host), target=target)
        finally:
            await ctx.close_connections()


# The core's newest migration: the tenant below is made with today's core models.
LATEST_CORE = "core." + max(p.stem for p in (
    Path(__file__).parents[3] / "gateway" / "migrations").glob("0*.py"))


async def _account(url: str, tmp_path: Path) -> int:
    """An account (the calls' foreign key holds on SQLite), made with the ORM once the core
    (not the call center) is migrated to today."""
    from tortoise import Tortoise

    from tests.support.identity_factory import make_tenant

    await _migrate(url, tmp_path, LATEST_CORE)
    host = PluginHost(make_settings(url, tmp_path))
    with TortoiseContext() as ctx:
        try:
            await Tortoise.init(config=tortoise_config(host))
            return (await make_tenant()).company.id
        finally:
            await ctx.close_connections()


async def test_sqlite_keeps_rows_and_indexes(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    await _migrate(f"sqlite://{path}", tmp_path, "callcenter.0002_localised_accounts_fewer_indexes")
    account = await _account(f"sqlite://{path}", tmp_path)

    def _call(call_id: str, reseller_id: int) -> tuple[Any, ...]:
        return _call_of(call_id, reseller_id, account)

    with sqlite3.connect(path) as conn:
        conn.execute(CALL.format(marks=", ".join("?" * 24)), _call("C1", 1))
        conn.execute(MESSAGE.format(marks=", ".join("?" * 10)),
                     ("M1", 1, account, "C1", "", "2026-11-23 12:00:00+00:00", "2026-11-23",
                      "", "[]", "2026-11-23 12:00:00+00:00"))
        indexes_before = {row[0] for row in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    await _migrate(f"sqlite://{path}", tmp_path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT call_id, reseller_id FROM callcenter_call").fetchall() == [
            ("C1", 1)]
        indexes_after = {row[0] for row in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
        assert indexes_before < indexes_after  # every index kept, the unique ones added
        conn.execute(CALL.format(marks=", ".join("?" * 24)), _call("C1", 2))  # another reseller
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(CALL.format(marks=", ".join("?" * 24)), _call("C1", 1))
        conn.execute(MESSAGE.format(marks=", ".join("?" * 10)),
                     ("M1", 2, account, "", "", "2026-11-23 12:00:00+00:00", "2026-11-23", "", "[]",
                      "2026-11-23 12:00:00+00:00"))
        assert conn.execute("PRAGMA foreign_key_list(callcenter_call)").fetchall()


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                    reason="PostgreSQL: set TEST_DATABASE_URL")
async def test_postgres_keeps_rows(tmp_path: Path) -> None:
    import asyncpg

    base = os.environ["TEST_DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    name = f"gw_mig_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(base)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + "/" + name
    try:
        await _migrate(url.replace("postgresql://", "postgres://", 1), tmp_path,
                       "callcenter.0002_localised_accounts_fewer_indexes")
        conn = await asyncpg.connect(url)
        insert = CALL.format(marks=", ".join(f"${i}" for i in range(1, 25)))

        def row(call_id: str, reseller_id: int) -> list[Any]:
            import datetime as dt
            values = list(_call_of(call_id, reseller_id))
            moment = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
            values[6] = values[23] = moment
            values[15] = values[16] = dt.date(2026, 11, 23)
            return values

        try:
            await conn.execute(insert, *row("C1", 1))
            await _migrate(url.replace("postgresql://", "postgres://", 1), tmp_path)
            assert await conn.fetchval("SELECT count(*) FROM callcenter_call") == 1
            await conn.execute(insert, *row("C1", 2))
            with pytest.raises(asyncpg.UniqueViolationError):
                await conn.execute(insert, *row("C1", 1))
            collation = await conn.fetchval(
                "SELECT collation_name FROM information_schema.columns WHERE "
                "table_name = 'callcenter_call' AND column_name = 'call_id'")
            assert collation == "C"
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
