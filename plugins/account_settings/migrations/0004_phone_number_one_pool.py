from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

# A phone number belongs to one pool on the whole platform (issue 15, item 6): the same
# number could sit in two resellers' pools, be assigned to an account of each, and serve as
# caller ID to both. Before the number becomes unique, a number found in several pools keeps
# one row: the one assigned to an account, else the oldest; the other (free) rows go. A
# number assigned in two pools cannot be decided here: the migration stops and names it, to be
# released from one of them first. On SQLite Tortoise 1.1.9 rebuilds the table to make the
# column unique and the rebuilt table has no index: the account's index is put back.
_DUPLICATES = """
SELECT number, COUNT(*) AS copies, SUM(CASE WHEN account_id IS NULL THEN 0 ELSE 1 END) AS assigned
FROM account_settings_phone_number GROUP BY number HAVING COUNT(*) > 1
"""
_KEEP_ONE = """
DELETE FROM account_settings_phone_number
WHERE account_id IS NULL AND EXISTS (
    SELECT 1 FROM account_settings_phone_number other
    WHERE other.number = account_settings_phone_number.number
      AND other.id <> account_settings_phone_number.id
      AND (other.account_id IS NOT NULL OR other.id < account_settings_phone_number.id))
"""


async def _one_row_per_number(apps, schema_editor) -> None:
    client = schema_editor.client
    rows = await client.execute_query_dict(_DUPLICATES)
    twice = sorted(str(row["number"]) for row in rows if int(row["assigned"] or 0) > 1)
    if twice:
        raise RuntimeError(
            "these phone numbers are assigned to accounts in more than one reseller's pool; "
            "release each from all pools but one, then migrate again: " + ", ".join(twice))
    if rows:
        await client.execute_script(_KEEP_ONE)


class _RemoveConstraintNotOnSqlite(ops.RemoveConstraint):
    """On SQLite the pair's uniqueness is a clause of the table (not an index one can drop):
    the table's rebuild below leaves it out."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor and state_editor.client.capabilities.dialect == "sqlite":
            return None
        return await super().database_forward(app_label, old_state, new_state, state_editor)


async def _sqlite_account_index(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect != "sqlite":
        return
    model = apps.get_model("account_settings.PhoneNumber")
    await schema_editor.add_index(model, Index(fields=["account_id"]))


class Migration(migrations.Migration):
    dependencies = [('account_settings', '0003_device_mac_per_reseller'), ('core', '0001_initial'), ('core', '0002_identity'), ('core', '0003_identity_indexes'), ('core', '0004_user_extension'), ('core', '0005_branding_images_audit_guard')]

    initial = False

    operations = [
        ops.RunPython(_one_row_per_number, reverse_code=ops.RunPython.noop),
        _RemoveConstraintNotOnSqlite(
            model_name='PhoneNumber',
            name=None,
            fields=['reseller', 'number'],
        ),
        ops.AlterField(
            model_name='PhoneNumber',
            name='number',
            field=fields.CharField(unique=True, max_length=20),
        ),
        ops.AddIndex(
            model_name='PhoneNumber',
            index=Index(fields=['reseller_id', 'number']),
        ),
        ops.RunPython(_sqlite_account_index, reverse_code=ops.RunPython.noop),
    ]
