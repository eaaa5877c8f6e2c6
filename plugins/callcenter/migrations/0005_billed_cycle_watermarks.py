from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# Issue 16: calls imported after their billing cycle was closed are billed by the next close (as
# late usage). A billed cycle records which calls it billed by call id: those of its days up to
# through_id, and the late ones of earlier days above the previous close's through_id.


class Migration(migrations.Migration):
    dependencies = [('callcenter', '0004_billed_cycles')]

    initial = False

    operations = [
        ops.AddField(model_name='BilledCycle', name='through_id',
                     field=fields.BigIntField(null=True)),
        ops.AddField(model_name='BilledCycle', name='after_id',
                     field=fields.BigIntField(null=True)),
        ops.AddField(model_name='BilledCycle', name='late_from',
                     field=fields.DateField(null=True)),
    ]
