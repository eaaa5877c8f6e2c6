from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# Issue 23: a per-reseller stamp of the calls' last change, read by the statistics' ETags.


class Migration(migrations.Migration):
    dependencies = [('callcenter', '0005_billed_cycle_watermarks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CallsChanged',
            fields=[
                ('reseller_id', fields.IntField(primary_key=True, generated=False)),
                ('version', fields.BigIntField(default=0)),
            ],
            options={'table': 'callcenter_calls_changed', 'app': 'callcenter', 'pk_attr': 'reseller_id', 'table_description': 'Per reseller, a counter bumped when its calls change'},
            bases=['Model'],
        ),
    ]
