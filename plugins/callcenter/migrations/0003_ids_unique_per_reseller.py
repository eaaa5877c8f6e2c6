from tortoise import fields, migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

# Call and message ids are unique per reseller, no longer on the whole platform (issue 15,
# item 5): one tenant could squat another's future ids and learn that an id exists. The
# importer upserts on (reseller_id, call_id) / (reseller_id, message_id).
#
# Done in SQL per database, like 0002: on PostgreSQL the column's unique constraint is dropped
# and a two-column one added (call_id keeps its "C" collation); SQLite cannot drop a column's
# UNIQUE, so the table is rebuilt from its own CREATE statement without it, rows copied, and
# its indexes created again (Tortoise's rebuild would lose them and the account constraint).
_TABLES = (("callcenter_call", "call_id"), ("callcenter_taken_message", "message_id"))


def _constraint(table: str, column: str) -> str:
    return f"{table}_reseller_{column}_uniq"


def _postgres_forward(table: str, column: str) -> str:
    return f"""
DO $$
DECLARE constraint_name text;
BEGIN
    FOR constraint_name IN SELECT conname FROM pg_constraint
            WHERE conrelid = '{table}'::regclass AND contype = 'u' LOOP
        EXECUTE format('ALTER TABLE {table} DROP CONSTRAINT %I', constraint_name);
    END LOOP;
END $$;
ALTER TABLE {table} ADD CONSTRAINT {_constraint(table, column)} UNIQUE (reseller_id, {column});
"""


def _postgres_backward(table: str, column: str) -> str:
    return f"""
ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {_constraint(table, column)};
ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_key UNIQUE ({column});
"""


async def _sqlite_rebuild(client, table: str, column: str) -> None:
    rows = await client.execute_query_dict(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL", [table])
    create = next(row["sql"] for row in rows if row["type"] == "table")
    indexes = [row["sql"] for row in rows if row["type"] == "index"]
    marker = f'"{column}" VARCHAR(64) NOT NULL UNIQUE'
    if marker not in create:  # already rebuilt
        return
    new = f"{table}__rebuilt"
    rebuilt = create.replace(marker, f'"{column}" VARCHAR(64) NOT NULL', 1).replace(
        f'"{table}"', f'"{new}"', 1)
    statements = [rebuilt, f'INSERT INTO "{new}" SELECT * FROM "{table}"', f'DROP TABLE "{table}"',
                  f'ALTER TABLE "{new}" RENAME TO "{table}"', *indexes,
                  f'CREATE UNIQUE INDEX "{_constraint(table, column)}" ON "{table}" '
                  f"(reseller_id, {column})"]
    for statement in statements:
        await client.execute_script(statement)


async def _forward(apps, schema_editor) -> None:
    client = schema_editor.client
    for table, column in _TABLES:
        if client.capabilities.dialect == "postgres":
            await client.execute_script(_postgres_forward(table, column))
        else:
            await _sqlite_rebuild(client, table, column)


async def _backward(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        for table, column in _TABLES:
            await client.execute_script(_postgres_backward(table, column))


class _AlterFieldState(ops.AlterField):
    """The model state only: the database side is ``_forward``."""

    async def database_forward(self, *args, **kwargs) -> None:
        return None

    async def database_backward(self, *args, **kwargs) -> None:
        return None


class _AddConstraintState(ops.AddConstraint):
    """The model state only: the database side is ``_forward``."""

    async def database_forward(self, *args, **kwargs) -> None:
        return None

    async def database_backward(self, *args, **kwargs) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('callcenter', '0002_localised_accounts_fewer_indexes')]

    initial = False

    operations = [
        _AlterFieldState(model_name='Call', name='call_id',
                         field=fields.CharField(max_length=64)),
        _AlterFieldState(model_name='TakenMessage', name='message_id',
                         field=fields.CharField(max_length=64)),
        _AddConstraintState(model_name='Call', constraint=UniqueConstraint(
            fields=('reseller_id', 'call_id'), name=None)),
        _AddConstraintState(model_name='TakenMessage', constraint=UniqueConstraint(
            fields=('reseller_id', 'message_id'), name=None)),
        ops.RunPython(_forward, reverse_code=_backward),
    ]
