"""The lists' totals without counting: accounts per reseller, kind and billing status.

``clients_account_count`` holds one row per (reseller, kind, billing status) with how many
accounts have them. Database triggers on ``core_account`` keep it exact in the same
transaction as every insert, delete and change of reseller, kind or billing status, whatever
writes them (the ORM, raw SQL, imports, migrations, the purge), on SQLite and PostgreSQL.
A list's totalCount then reads a few rows instead of counting 100,000 accounts on every page.

SQLite drops a table's triggers when a migration rebuilds the table (Tortoise does to alter a
column): :func:`ensure` (run at start-up) puts them back and recounts when any is missing.
"""

from __future__ import annotations

from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

TABLE = "clients_account_count"
TRIGGERS = ("clients_account_count_insert", "clients_account_count_delete",
            "clients_account_count_update")

_PLUS = (f"INSERT INTO {TABLE} (reseller_id, kind, billing_status, n) "
         "VALUES (NEW.reseller_id, NEW.kind, NEW.billing_status, 1) "
         f"ON CONFLICT (reseller_id, kind, billing_status) DO UPDATE SET n = {TABLE}.n + 1;")
_MINUS = (f"UPDATE {TABLE} SET n = n - 1 WHERE reseller_id = OLD.reseller_id "
          "AND kind = OLD.kind AND billing_status = OLD.billing_status;")
_CHANGED = ("OLD.reseller_id IS NOT NEW.reseller_id OR OLD.kind IS NOT NEW.kind "
            "OR OLD.billing_status IS NOT NEW.billing_status")

_SQLITE = [
    f"CREATE TRIGGER IF NOT EXISTS clients_account_count_insert AFTER INSERT ON core_account "
    f"BEGIN {_PLUS} END",
    f"CREATE TRIGGER IF NOT EXISTS clients_account_count_delete AFTER DELETE ON core_account "
    f"BEGIN {_MINUS} END",
    "CREATE TRIGGER IF NOT EXISTS clients_account_count_update AFTER UPDATE OF reseller_id, "
    f"kind, billing_status ON core_account WHEN {_CHANGED} BEGIN {_MINUS} {_PLUS} END",
]

_POSTGRES = [
    "CREATE OR REPLACE FUNCTION clients_account_count_change() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP IN ('DELETE', 'UPDATE') THEN {_MINUS} END IF; "
    f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {_PLUS} END IF; "
    "RETURN NULL; END $$",
    # TRUNCATE fires no row trigger: the counts go with the rows.
    "CREATE OR REPLACE FUNCTION clients_account_count_truncate() RETURNS trigger "
    f"LANGUAGE plpgsql AS $$ BEGIN DELETE FROM {TABLE}; RETURN NULL; END $$",
    "CREATE OR REPLACE TRIGGER clients_account_count_insert AFTER INSERT ON core_account "
    "FOR EACH ROW EXECUTE FUNCTION clients_account_count_change()",
    "CREATE OR REPLACE TRIGGER clients_account_count_delete AFTER DELETE ON core_account "
    "FOR EACH ROW EXECUTE FUNCTION clients_account_count_change()",
    "CREATE OR REPLACE TRIGGER clients_account_count_update AFTER UPDATE OF reseller_id, kind, "
    "billing_status ON core_account FOR EACH ROW "
    f"WHEN ({_CHANGED.replace('IS NOT', 'IS DISTINCT FROM')}) "
    "EXECUTE FUNCTION clients_account_count_change()",
    "CREATE OR REPLACE TRIGGER clients_account_count_truncate AFTER TRUNCATE ON core_account "
    "FOR EACH STATEMENT EXECUTE FUNCTION clients_account_count_truncate()",
]

_RECOUNT = (
    f"INSERT INTO {TABLE} (reseller_id, kind, billing_status, n) "
    "SELECT reseller_id, kind, billing_status, COUNT(*) FROM core_account "
    "GROUP BY reseller_id, kind, billing_status"
)


def _postgres(conn: Any) -> bool:
    return bool(conn.capabilities.dialect == "postgres")


async def install(conn: Any) -> None:
    """Create the triggers (again) and recount every row, in the caller's transaction."""
    if _postgres(conn):
        # No account is written between the recount and the triggers' first firing.
        await conn.execute_script("LOCK TABLE core_account IN SHARE ROW EXCLUSIVE MODE")
    for statement in _POSTGRES if _postgres(conn) else _SQLITE:
        await conn.execute_script(statement)
    await conn.execute_script(f"DELETE FROM {TABLE}")
    await conn.execute_script(_RECOUNT)


async def installed(conn: Any) -> bool:
    """Whether every trigger is in place."""
    if _postgres(conn):
        sql = ("SELECT tgname AS name FROM pg_trigger "
               "WHERE tgrelid = 'core_account'::regclass AND NOT tgisinternal")
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'core_account'"
    names = {row["name"] for row in await conn.execute_query_dict(sql)}
    return set(TRIGGERS) <= names


async def ensure() -> bool:
    """Put the triggers back and recount when one is missing; True when it had to."""
    if await installed(connections.get("default")):
        return False
    async with in_transaction() as conn:
        await install(conn)
    return True


async def migrate(apps: Any, schema_editor: Any) -> None:
    """The migration's step: triggers, and the counts of the accounts already there."""
    await install(schema_editor.client)
