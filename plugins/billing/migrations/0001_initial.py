from tortoise import migrations
from tortoise.migrations import operations as ops
from plugins.billing.models import ItemKind, PromotionKind, Recurrence, ResellerPromotionStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0006_api_token_scopes_audit_token')]

    initial = True

    operations = [
        ops.CreateModel(
            name='BillingSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.OneToOneField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('reseller_bills_clients', fields.BooleanField(default=True)),
                ('currency', fields.CharField(default='CAD', max_length=3)),
                ('self_service', fields.BooleanField(default=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'billing_settings', 'app': 'billing', 'pk_attr': 'id', 'table_description': 'A reseller billing settings'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CatalogueItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=40)),
                ('kind', fields.CharEnumField(description='PLAN: PLAN\nOPTION: OPTION\nDEVICE: DEVICE\nSERVICE_FEE: SERVICE_FEE', enum_type=ItemKind, max_length=16)),
                ('recurrence', fields.CharEnumField(description='MONTHLY: MONTHLY\nONE_TIME: ONE_TIME\nPER_UNIT: PER_UNIT', enum_type=Recurrence, max_length=16)),
                ('name_fr', fields.CharField(max_length=200)),
                ('name_en', fields.CharField(max_length=200)),
                ('usage_key', fields.CharField(default='', max_length=64)),
                ('currency', fields.CharField(default='CAD', max_length=3)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'billing_catalogue_item', 'app': 'billing', 'pk_attr': 'id', 'table_description': 'A plan, option, device or service fee of the platform catalogue'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CataloguePrice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.ForeignKeyField('billing.CatalogueItem', source_field='item_id', db_constraint=True, to_field='id', related_name='prices', on_delete=OnDelete.CASCADE)),
                ('effective_from', fields.DateField()),
                ('list_price', fields.DecimalField(max_digits=14, decimal_places=4)),
                ('included_units', fields.IntField(default=0)),
                ('overage_rate', fields.DecimalField(default=0, max_digits=14, decimal_places=4)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'billing_catalogue_price', 'app': 'billing', 'unique_together': (('item_id', 'effective_from'),), 'pk_attr': 'id', 'table_description': 'A version of a catalogue item price in force from a date'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OfferItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('item', fields.ForeignKeyField('billing.CatalogueItem', source_field='item_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('available', fields.BooleanField(default=True)),
                ('selling', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'billing_offer_item', 'app': 'billing', 'unique_together': (('reseller_id', 'item_id'),), 'pk_attr': 'id', 'table_description': 'A catalogue item made available to a reseller'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OfferPrice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('offer_item', fields.ForeignKeyField('billing.OfferItem', source_field='offer_item_id', db_constraint=True, to_field='id', related_name='prices', on_delete=OnDelete.CASCADE)),
                ('effective_from', fields.DateField()),
                ('wholesale_price', fields.DecimalField(max_digits=14, decimal_places=4)),
                ('retail_price', fields.DecimalField(null=True, max_digits=14, decimal_places=4)),
                ('retail_overage_rate', fields.DecimalField(null=True, max_digits=14, decimal_places=4)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'billing_offer_price', 'app': 'billing', 'unique_together': (('offer_item_id', 'effective_from'),), 'pk_attr': 'id', 'table_description': 'A version of a reseller offer prices in force from a date'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Promotion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=40)),
                ('name_fr', fields.CharField(max_length=200)),
                ('name_en', fields.CharField(max_length=200)),
                ('kind', fields.CharEnumField(description='FREE_MONTHS: FREE_MONTHS\nPERCENT_OFF: PERCENT_OFF\nAMOUNT_OFF: AMOUNT_OFF', enum_type=PromotionKind, max_length=16)),
                ('months', fields.IntField(default=1)),
                ('percent', fields.DecimalField(null=True, max_digits=7, decimal_places=4)),
                ('amount', fields.DecimalField(null=True, max_digits=14, decimal_places=4)),
                ('currency', fields.CharField(null=True, max_length=3)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'billing_promotion', 'app': 'billing', 'pk_attr': 'id', 'table_description': 'A promotion defined by the system admin'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AccountPromotion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('promotion', fields.ForeignKeyField('billing.Promotion', source_field='promotion_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('starts_on', fields.DateField()),
                ('ends_on', fields.DateField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'billing_account_promotion', 'app': 'billing', 'unique_together': (('account_id', 'promotion_id'),), 'pk_attr': 'id', 'table_description': 'A promotion applied to an account'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ResellerPromotion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('promotion', fields.ForeignKeyField('billing.Promotion', source_field='promotion_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=ResellerPromotionStatus.AVAILABLE, description='AVAILABLE: AVAILABLE\nREQUESTED: REQUESTED\nACTIVE: ACTIVE\nENDED: ENDED', enum_type=ResellerPromotionStatus, max_length=16)),
                ('requested_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('activated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'billing_reseller_promotion', 'app': 'billing', 'unique_together': (('reseller_id', 'promotion_id'),), 'pk_attr': 'id', 'table_description': 'A promotion at one reseller'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Subscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('offer_item', fields.ForeignKeyField('billing.OfferItem', source_field='offer_item_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('quantity', fields.IntField(default=1)),
                ('starts_on', fields.DateField()),
                ('ends_on', fields.DateField(null=True)),
                ('created_by', fields.ForeignKeyField('core.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'billing_subscription', 'app': 'billing', 'indexes': [Index(fields=['account_id', 'starts_on'])], 'pk_attr': 'id', 'table_description': 'An offer item an account subscribes to'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TaxRate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('rate', fields.DecimalField(max_digits=7, decimal_places=4)),
                ('registration_number', fields.CharField(default='', max_length=50)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'billing_tax_rate', 'app': 'billing', 'indexes': [Index(fields=['reseller_id', 'position'])], 'pk_attr': 'id', 'table_description': 'A tax a reseller applies on its statements'},
            bases=['Model'],
        ),
    ]

