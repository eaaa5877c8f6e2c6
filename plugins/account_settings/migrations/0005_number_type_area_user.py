from tortoise import migrations
from tortoise.migrations import operations as ops
from plugins.account_settings.models import NumberType
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from plugins.account_settings.numbering import classify

# Issue 20: a pool number gets its type (local, toll-free, international from the reseller's
# country) and its area code, computed here for the numbers already in the pools, and the user
# of its account it rings. The accounts list shows the virtual receptionist's number: core's
# migration 0007 adds the column, filled here from the numbers already assigned.
_NUMBERS = """
SELECT n.id, n.number, r.country FROM account_settings_phone_number n
JOIN core_reseller r ON r.id = n.reseller_id
"""
_RECEPTIONIST = """
UPDATE core_account SET receptionist_number = (
    SELECT n.number FROM account_settings_phone_number n WHERE n.account_id = core_account.id
    ORDER BY n.assigned_at, n.id LIMIT 1)
WHERE id IN (SELECT account_id FROM account_settings_phone_number WHERE account_id IS NOT NULL)
"""


async def _classify_numbers(apps, schema_editor) -> None:
    client = schema_editor.client
    marks = ("?", "?", "?") if client.capabilities.dialect == "sqlite" else ("$1", "$2", "$3")
    update = (f"UPDATE account_settings_phone_number SET number_type = {marks[0]}, "
              f"area_code = {marks[1]} WHERE id = {marks[2]}")
    for row in await client.execute_query_dict(_NUMBERS):
        number_type, area_code = classify(str(row["number"]), str(row["country"] or ""))
        await client.execute_query(update, [number_type, area_code, row["id"]])
    await client.execute_script(_RECEPTIONIST)


class Migration(migrations.Migration):
    dependencies = [('account_settings', '0004_phone_number_one_pool'), ('core', '0007_receptionist_number')]

    initial = False

    operations = [
        ops.AddField(
            model_name='PhoneNumber',
            name='area_code',
            field=fields.CharField(default='', max_length=8),
        ),
        ops.AddField(
            model_name='PhoneNumber',
            name='number_type',
            field=fields.CharEnumField(default=NumberType.LOCAL, description='LOCAL: LOCAL\nTOLL_FREE: TOLL_FREE\nINTERNATIONAL: INTERNATIONAL', enum_type=NumberType, max_length=16),
        ),
        ops.AddField(
            model_name='PhoneNumber',
            name='user',
            field=fields.ForeignKeyField('core.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddIndex(
            model_name='PhoneNumber',
            index=Index(fields=['reseller_id', 'number_type', 'area_code', 'account_id']),
        ),
        ops.RunPython(_classify_numbers, reverse_code=ops.RunPython.noop),
    ]
