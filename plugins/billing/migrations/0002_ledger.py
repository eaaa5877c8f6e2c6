from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from plugins.billing.ledger_models import (
    BilledParty,
    CycleRunStatus,
    EntryKind,
    LineKind,
    PaymentMethod,
)

# Issue 16, the cycle side: cycle-close runs, statements, their lines and the ledger.


def _choices(enum) -> str:
    return "\n".join(f"{member.name}: {member.value}" for member in enum)


class Migration(migrations.Migration):
    dependencies = [('billing', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CycleRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('starts_on', fields.DateField(unique=True)),
                ('ends_on', fields.DateField()),
                ('status', fields.CharEnumField(description=_choices(CycleRunStatus), enum_type=CycleRunStatus, default=CycleRunStatus.RUNNING, max_length=16)),
                ('accounts_total', fields.IntField(default=0)),
                ('accounts_done', fields.IntField(default=0)),
                ('attempts', fields.IntField(default=0)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'billing_cycle_run', 'app': 'billing', 'pk_attr': 'id', 'table_description': 'One close of a billing cycle'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Statement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('reseller_id', fields.IntField()),
                ('starts_on', fields.DateField()),
                ('ends_on', fields.DateField()),
                ('number', fields.CharField(unique=True, max_length=40)),
                ('currency', fields.CharField(max_length=3)),
                ('language', fields.CharField(max_length=2)),
                ('reseller_bills_clients', fields.BooleanField()),
                ('previous_balance', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('payments', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('charges', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('discounts', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('taxes', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('total', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('balance', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('wholesale', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('final', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'billing_statement', 'app': 'billing', 'unique_together': (('account_id', 'starts_on'),), 'indexes': [Index(fields=['reseller_id', 'starts_on'])], 'pk_attr': 'id', 'table_description': 'An account statement for one billing cycle'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatementLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('statement', fields.ForeignKeyField('billing.Statement', source_field='statement_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('kind', fields.CharEnumField(description=_choices(LineKind), enum_type=LineKind, max_length=16)),
                ('party', fields.CharEnumField(description=_choices(BilledParty), enum_type=BilledParty, default=BilledParty.CLIENT, max_length=16)),
                ('code', fields.CharField(default='', max_length=64)),
                ('description_fr', fields.CharField(max_length=300)),
                ('description_en', fields.CharField(max_length=300)),
                ('quantity', fields.DecimalField(max_digits=14, decimal_places=4)),
                ('unit_price', fields.DecimalField(max_digits=14, decimal_places=4)),
                ('days', fields.IntField(null=True)),
                ('amount', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('wholesale', fields.DecimalField(default=0, max_digits=14, decimal_places=2)),
            ],
            options={'table': 'billing_statement_line', 'app': 'billing', 'unique_together': (('statement_id', 'position'),), 'pk_attr': 'id', 'table_description': 'A line of a statement'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LedgerEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('reseller_id', fields.IntField()),
                ('kind', fields.CharEnumField(description=_choices(EntryKind), enum_type=EntryKind, max_length=16)),
                ('entry_date', fields.DateField()),
                ('description_fr', fields.CharField(max_length=300)),
                ('description_en', fields.CharField(max_length=300)),
                ('amount', fields.DecimalField(max_digits=14, decimal_places=2)),
                ('currency', fields.CharField(max_length=3)),
                ('statement', fields.ForeignKeyField('billing.Statement', source_field='statement_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('method', fields.CharEnumField(description=_choices(PaymentMethod), enum_type=PaymentMethod, null=True, max_length=16)),
                ('processor', fields.CharField(default='', max_length=64)),
                ('reference', fields.CharField(default='', max_length=200)),
                ('idempotency_key', fields.CharField(max_length=100)),
                ('created_by', fields.ForeignKeyField('core.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'billing_ledger_entry', 'app': 'billing', 'unique_together': (('account_id', 'idempotency_key'),), 'indexes': [Index(fields=['account_id', 'entry_date']), Index(fields=['statement_id'])], 'pk_attr': 'id', 'table_description': 'A dated charge payment or credit of an account'},
            bases=['Model'],
        ),
    ]
