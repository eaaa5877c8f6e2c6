from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# The audit log is append-only (issue 3): the database refuses to change or remove an entry,
# whatever code runs. TRUNCATE (PostgreSQL) is left alone: tests empty the tables with it.
_SQLITE_GUARD = """
CREATE TRIGGER IF NOT EXISTS core_audit_entry_no_update BEFORE UPDATE ON core_audit_entry
BEGIN SELECT RAISE(ABORT, 'core_audit_entry is append-only'); END;
CREATE TRIGGER IF NOT EXISTS core_audit_entry_no_delete BEFORE DELETE ON core_audit_entry
BEGIN SELECT RAISE(ABORT, 'core_audit_entry is append-only'); END;
"""
_SQLITE_UNGUARD = """
DROP TRIGGER IF EXISTS core_audit_entry_no_update;
DROP TRIGGER IF EXISTS core_audit_entry_no_delete;
"""
_POSTGRES_GUARD = """
CREATE OR REPLACE FUNCTION core_audit_entry_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'core_audit_entry is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
DROP TRIGGER IF EXISTS core_audit_entry_append_only ON core_audit_entry;
CREATE TRIGGER core_audit_entry_append_only BEFORE UPDATE OR DELETE ON core_audit_entry
FOR EACH ROW EXECUTE FUNCTION core_audit_entry_append_only();
"""
_POSTGRES_UNGUARD = """
DROP TRIGGER IF EXISTS core_audit_entry_append_only ON core_audit_entry;
DROP FUNCTION IF EXISTS core_audit_entry_append_only();
"""


def _script(sqlite: str, postgres: str):
    async def run(apps, schema_editor) -> None:
        dialect = schema_editor.client.capabilities.dialect
        if dialect == "sqlite":
            await schema_editor.client.execute_script(sqlite)
        elif dialect == "postgres":
            await schema_editor.client.execute_script(postgres)
    return run


class Migration(migrations.Migration):
    dependencies = [('core', '0004_user_extension')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ResellerImage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('content_type', fields.CharField(max_length=64)),
                ('digest', fields.CharField(max_length=64)),
                ('data', fields.BinaryField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'core_reseller_image', 'app': 'core', 'unique_together': (('reseller', 'kind'),), 'pk_attr': 'id', 'table_description': 'A branding image (logo or favicon) uploaded by a reseller, served by the gateway.'},
            bases=['Model'],
        ),
        ops.RunPython(
            _script(_SQLITE_GUARD, _POSTGRES_GUARD),
            reverse_code=_script(_SQLITE_UNGUARD, _POSTGRES_UNGUARD),
        ),
    ]
