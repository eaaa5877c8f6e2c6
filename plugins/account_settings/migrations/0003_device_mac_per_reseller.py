from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

# A device's MAC address is unique within its reseller, no longer on the whole platform
# (issue 15, item 5): another reseller's account could squat a MAC address before its owner
# registered it, and learn that one exists. The reseller (its account's) is kept on the row so
# that the database holds the uniqueness. The column is added empty, filled from the account,
# then made required; on SQLite Tortoise 1.1.9 rebuilds the table to alter a column and the
# rebuilt table has no index: the account's index is put back at the end.
_FILL_RESELLER = """
UPDATE account_settings_device SET reseller_id = (
    SELECT a.reseller_id FROM core_account a WHERE a.id = account_settings_device.account_id)
"""


async def _fill_reseller(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(_FILL_RESELLER)


async def _sqlite_account_index(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect != "sqlite":
        return
    model = apps.get_model("account_settings.Device")
    await schema_editor.add_index(model, Index(fields=["account_id"]))


class Migration(migrations.Migration):
    dependencies = [('account_settings', '0002_mailbox'), ('core', '0001_initial'), ('core', '0002_identity'), ('core', '0003_identity_indexes'), ('core', '0004_user_extension'), ('core', '0005_branding_images_audit_guard')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='Device',
            options={'table': 'account_settings_device', 'app': 'account_settings', 'unique_together': (('reseller', 'mac_address'),), 'indexes': [Index(fields=['account_id'])], 'pk_attr': 'id', 'table_description': 'An IP phone of an account, known by its MAC address, unique within the reseller.'},
        ),
        ops.AddField(
            model_name='Device',
            name='reseller',
            field=fields.ForeignKeyField('core.Reseller', source_field='reseller_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE),
        ),
        ops.RunPython(_fill_reseller, reverse_code=ops.RunPython.noop),
        ops.AlterField(
            model_name='Device',
            name='reseller',
            field=fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE),
        ),
        ops.AlterField(
            model_name='Device',
            name='mac_address',
            field=fields.CharField(max_length=12),
        ),
        ops.AddConstraint(
            model_name='Device',
            constraint=UniqueConstraint(fields=('reseller', 'mac_address'), name=None),
        ),
        ops.RunPython(_sqlite_account_index, reverse_code=ops.RunPython.noop),
    ]
