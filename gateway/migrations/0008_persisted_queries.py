from tortoise import migrations
from tortoise.migrations import operations as ops

# Issue 23: persisted queries (Apollo's automatic persisted queries, and the allowlist of
# registered documents), shared by every process serving the same database. A plain table
# read and written with SQL by gateway.persisted_queries (no ORM model: rows never change).
_CREATE = {
    "sqlite": """
CREATE TABLE IF NOT EXISTS core_persisted_query (
    sha256 VARCHAR(64) NOT NULL PRIMARY KEY,
    document TEXT NOT NULL,
    allowlisted INT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_core_persisted_query_created
    ON core_persisted_query (allowlisted, created_at);
""",
    "postgres": """
CREATE TABLE IF NOT EXISTS core_persisted_query (
    sha256 VARCHAR(64) NOT NULL PRIMARY KEY,
    document TEXT NOT NULL,
    allowlisted BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_core_persisted_query_created
    ON core_persisted_query (allowlisted, created_at);
""",
}


async def _create(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(_CREATE[schema_editor.client.capabilities.dialect])


async def _drop(apps, schema_editor) -> None:
    await schema_editor.client.execute_script("DROP TABLE IF EXISTS core_persisted_query;")


class Migration(migrations.Migration):
    dependencies = [('core', '0007_receptionist_number')]

    initial = False

    operations = [ops.RunPython(_create, reverse_code=_drop)]
