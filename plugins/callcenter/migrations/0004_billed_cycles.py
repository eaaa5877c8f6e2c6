from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

# Issue 16: "Appels facturables" lists only calls already billed. The billing plugin's cycle
# close records, per account, the cycle whose calls are on a closed statement.


class Migration(migrations.Migration):
    dependencies = [('callcenter', '0003_ids_unique_per_reseller')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BilledCycle',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('first_day', fields.DateField()),
                ('last_day', fields.DateField()),
                ('billed_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'callcenter_billed_cycle', 'app': 'callcenter', 'unique_together': (('account_id', 'first_day'),), 'pk_attr': 'id', 'table_description': 'Billing cycles whose billable calls are on a closed statement'},
            bases=['Model'],
        ),
    ]
