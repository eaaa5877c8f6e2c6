"""Test harness: a real database (SQLite file, or a fresh PostgreSQL database when
TEST_DATABASE_URL / DATABASE_URL points at PostgreSQL), a real broker, the real app."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise import Tortoise, connections

import gateway.app as gateway_app
from gateway import db
from gateway.app import create_app
from gateway.plugins import PluginHost
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
# GATEWAY_LOAD_PLUGINS and GATEWAY_ARGON2_PROFILE: set in tests/__init__.py, before any import.


def _base_database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or "sqlite"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of this test session's own, dropped at the end."""
    base = _base_database_url()
    if not base.startswith(("postgres://", "postgresql://")):
        yield f"sqlite://{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    import asyncio

    import asyncpg

    name = f"gw_test_{uuid.uuid4().hex[:10]}"
    admin = base

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    yield base.rsplit("/", 1)[0] + "/" + name
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def make_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "database_url": database_url,
        "broker_url": os.environ.get("TEST_BROKER_URL", "memory://"),
        "email_url": f"file://{tmp_path / 'outbox'}",
        "secret_key": "test-secret-key-not-for-production",
        "public_url": "http://testserver",
        "var_dir": tmp_path,
        "plugins_file": ROOT / "plugins.toml",
        "load_plugins": (),
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture(scope="session")
async def migrated(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Every built-in plugin's migrations applied once per session."""
    host = PluginHost(make_settings(database_url, tmp_path_factory.mktemp("migrate")))
    await db.migrate(host)
    await db.close_db()
    return database_url


# TRUNCATE of every table costs about a second on PostgreSQL (new files for each one): only the
# tables a test filled are truncated, and the sequences it used are restarted, in one round trip.
_EMPTY_POSTGRES = """
DO $$
DECLARE
    name text;
    found boolean;
    filled text[] := '{}';
BEGIN
    -- As TRUNCATE would: wait for the writers still running (the app has started), and keep
    -- new ones out until the tables are empty and their sequences restarted.
    EXECUTE 'LOCK TABLE ' || (SELECT string_agg(format('%I', t), ', ') FROM unnest({tables}) t)
        || ' IN ACCESS EXCLUSIVE MODE';
    FOREACH name IN ARRAY {tables} LOOP
        EXECUTE format('SELECT EXISTS (SELECT FROM %I)', name) INTO found;
        IF found THEN filled := filled || name; END IF;
    END LOOP;
    IF cardinality(filled) > 0 THEN
        EXECUTE 'TRUNCATE ' || (SELECT string_agg(format('%I', t), ', ') FROM unnest(filled) t)
            || ' CASCADE';
    END IF;
    -- The sequences of these tables (serial or identity columns) that a test used.
    PERFORM setval(format('%I.%I', schemaname, sequencename), 1, false) FROM pg_sequences
        WHERE schemaname = current_schema() AND sequencename = ANY ({sequences})
          AND last_value IS NOT NULL;
END $$;
"""


# The sequences owned by the tables (serial or identity columns), looked up once per table set.
_OWNED_SEQUENCES: dict[str, str] = {}
_OWNED_SEQUENCES_SQL = """
SELECT c.relname AS name FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
WHERE d.classid = 'pg_class'::regclass AND c.relkind = 'S' AND d.deptype IN ('a', 'i')
  AND d.refobjid = ANY (SELECT format('%I', t)::regclass FROM unnest($1::text[]) t)
"""


async def truncate_all() -> None:
    """Empty every table of every app, so each test starts from nothing."""
    conn = connections.get("default")
    tables = [model._meta.db_table for app in Tortoise.apps.values() for model in app.values()]
    if conn.capabilities.dialect == "postgres":
        names = ", ".join(f"'{t}'" for t in tables)
        sequences = _OWNED_SEQUENCES.get(names)
        if sequences is None:
            rows = await conn.execute_query_dict(_OWNED_SEQUENCES_SQL, [tables])
            sequences = ", ".join(f"'{row['name']}'" for row in rows)
            _OWNED_SEQUENCES[names] = sequences
        await conn.execute_script(
            _EMPTY_POSTGRES.replace("{tables}", f"ARRAY[{names}]::text[]")
            .replace("{sequences}", f"ARRAY[{sequences}]::text[]")
        )
    else:
        # Only the tables a test filled: one query finds them.
        probe = " UNION ALL ".join(
            f"SELECT '{t}' AS name WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
        filled = [row["name"] for row in await conn.execute_query_dict(probe)]
        if not filled:
            return
        deletes = "".join(f'DELETE FROM "{t}";' for t in filled)
        # Append-only tables (the audit log) refuse DELETE with triggers: set those of the
        # filled tables aside while emptying, then put them back as they were.
        marks = ", ".join("?" for _ in filled)
        triggers = await conn.execute_query_dict(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})",
            filled,
        )
        drops = "".join(f'DROP TRIGGER "{t["name"]}";' for t in triggers)
        recreates = "".join(f"{t['sql']};" for t in triggers)
        await conn.execute_script(
            f"PRAGMA foreign_keys=OFF;{drops}{deletes}{recreates}PRAGMA foreign_keys=ON;"
        )


class Gateway:
    """A running app and an HTTP client to it, with GraphQL helpers."""

    def __init__(self, app: Any, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client
        self.headers: dict[str, str] = {}

    async def graphql(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={**self.headers, **headers},
        )
        assert response.status_code in (200, 400), response.text
        return response.json()


def _schema_once_per_plugin_set(build: Any) -> Any:
    """``build_schema``, remembered per set of loaded plugin objects and the settings it reads:
    composing the schema takes ~0.1 s and the suite starts an app for most tests. The key holds
    the plugin objects themselves, so a test's own plugin never shares another's schema."""
    built: dict[tuple[Any, ...], Any] = {}

    def cached(host: PluginHost) -> Any:
        s = host.settings
        key = (tuple(host.pm.list_name_plugin()), s.max_query_depth, s.max_aliases,
               s.max_tokens, s.document_cache_entries, s.document_cache_bytes, s.max_page_size,
               s.max_cost, s.graphql_ide)
        if key not in built:
            built[key] = build(host)
        return built[key]

    return cached


gateway_app.build_schema = _schema_once_per_plugin_set(gateway_app.build_schema)

# An idle job worker looks this often whether it must stop: stopping an app waits that long
# (production: 100 ms; hundreds of apps are started and stopped in a run).
WORKER_TIMEOUT_MS = 20


async def start_gateway(settings: Settings, **options: Any) -> AsyncIterator[Gateway]:
    options["job_options"] = {"worker_timeout_ms": WORKER_TIMEOUT_MS,
                              **(options.get("job_options") or {})}
    app = create_app(settings, migrate_on_start=False, **options)
    # Emptied before the job runtime starts too: its relay would otherwise hand on what the
    # previous test left pending (a welcome email, delivered to this test's SMTP server)
    # before the truncation below, which clears what the start-up wrote.
    await db.init_db(app.state.host)
    try:
        await truncate_all()
    finally:
        await db.close_db()
    async with app.router.lifespan_context(app):
        await truncate_all()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Gateway(app, client)


@pytest.fixture
async def gateway(migrated: str, settings: Settings) -> AsyncIterator[Gateway]:
    """The real app, its lifespan running (database, job runtime), with an HTTP client."""
    async for running in start_gateway(
        settings,
        job_options={"relay_interval": 0.05, "scheduler_tick": 0.2, "in_process_workers": True},
    ):
        yield running


# --- SQL statements counted ------------------------------------------------------------------


class QueryLog:
    """What the ``count_queries`` fixture gives: ``with count_queries() as statements:`` lists
    the SQL of every statement Tortoise sends (SQLite or PostgreSQL, in a transaction or not)
    from the code inside the block: the test's task and the tasks it starts, such as a request
    through ``Gateway.graphql`` and its DataLoaders; not the job runtime polling meanwhile in
    tasks of its own."""

    def __init__(self) -> None:
        import contextvars

        self._current: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
            "count_queries", default=None)
        self._tokens: list[contextvars.Token[list[str] | None]] = []

    def __call__(self) -> QueryLog:
        return self

    def __enter__(self) -> list[str]:
        statements: list[str] = []
        self._tokens.append(self._current.set(statements))
        return statements

    def __exit__(self, *exc_info: object) -> None:
        self._current.reset(self._tokens.pop())

    def record(self, record: Any) -> bool:
        """A filter of Tortoise's ``tortoise.db_client`` logger, which names each statement as
        it is sent: ``"%s: %s"`` (SQL, values), or the bare SQL of a script. Lets all through."""
        statements = self._current.get()
        if statements is not None:
            if record.args and record.msg == "%s: %s":
                statements.append(str(record.args[0]))
            elif not record.args:
                statements.append(str(record.msg))
        return True


@pytest.fixture
def count_queries() -> Iterator[QueryLog]:
    """``with count_queries() as statements: ...`` then ``len(statements)``: see QueryLog."""
    import logging

    log = QueryLog()
    logger = logging.getLogger("tortoise.db_client")
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addFilter(log.record)
    try:
        yield log
    finally:
        logger.removeFilter(log.record)
        logger.setLevel(level)
