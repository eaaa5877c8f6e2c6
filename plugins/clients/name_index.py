"""The account names' substring index on PostgreSQL: a "name contains" keyword of the lists
answered from an index instead of reading every name of the reseller's tab.

pg_trgm's GIN index on ``LOWER(name)`` (``gin_trgm_ops``) serves the lists' condition as it is
written, ``LOWER(a.name) LIKE '%kw%' ESCAPE '\\'`` (keywords of 3 characters or more): the
planner takes it when the keyword is selective, for the rows and for the exact total. ``CREATE
EXTENSION pg_trgm`` needs the right to create a trusted extension (PostgreSQL 13+: the
database's owner, or a role with CREATE on it); an operator without it has a superuser run
``CREATE EXTENSION IF NOT EXISTS pg_trgm;`` in the gateway's database (from the
``postgresql-contrib`` files) before migrating.

SQLite keeps the plain LIKE. An FTS5 trigram table kept by triggers was tried (issue 22): a
keyword in 0.1% of 100,000 names went from 21 to 0.6 ms, but one in 12% of them (the bench's)
from 18 to 37 ms, since an exact total checks every candidate's row, and the list would need
to choose between the two per keyword.
"""

from __future__ import annotations

from typing import Any

POSTGRES_INDEX = "clients_account_name_trgm_idx"

_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
_POSTGRES = (f"CREATE INDEX IF NOT EXISTS {POSTGRES_INDEX} ON core_account "
             "USING gin ((LOWER(name)) gin_trgm_ops)")
_NO_EXTENSION = (
    "the clients plugin's name index needs PostgreSQL's pg_trgm extension, which this role may "
    "not create: have a superuser run `CREATE EXTENSION IF NOT EXISTS pg_trgm;` in this "
    "database (the postgresql-contrib files must be installed), then migrate again")


def _postgres(conn: Any) -> bool:
    return bool(conn.capabilities.dialect == "postgres")


async def migrate(apps: Any, schema_editor: Any) -> None:
    """The migration's step: the extension and the index (PostgreSQL; nothing on SQLite)."""
    conn = schema_editor.client
    if not _postgres(conn):
        return
    try:
        await conn.execute_script(_EXTENSION)
    except Exception as error:
        raise RuntimeError(_NO_EXTENSION) from error
    await conn.execute_script(_POSTGRES)


async def unmigrate(apps: Any, schema_editor: Any) -> None:
    conn = schema_editor.client
    if _postgres(conn):
        # The extension stays: other schemas may use it.
        await conn.execute_script(f"DROP INDEX IF EXISTS {POSTGRES_INDEX}")
