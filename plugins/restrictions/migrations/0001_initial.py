from tortoise import migrations
from tortoise.migrations import operations as ops
from plugins.restrictions.models import RestrictionAction, RestrictionScope, RestrictionTarget
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0005_branding_images_audit_guard')]

    initial = True

    operations = [
        ops.CreateModel(
            name='CallRestriction',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('scope', fields.CharEnumField(description='SYSTEM: SYSTEM\nRESELLER: RESELLER\nACCOUNT: ACCOUNT', enum_type=RestrictionScope, max_length=10)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('action', fields.CharEnumField(description='ALLOW: ALLOW\nDENY: DENY', enum_type=RestrictionAction, max_length=5)),
                ('target', fields.CharEnumField(description='COUNTRY: COUNTRY\nAREA_CODE: AREA_CODE\nPREFIX: PREFIX', enum_type=RestrictionTarget, max_length=10)),
                ('country', fields.CharField(null=True, max_length=2)),
                ('area_code', fields.CharField(null=True, max_length=8)),
                ('prefix', fields.CharField(null=True, max_length=15)),
                ('created_by', fields.ForeignKeyField('core.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'restrictions_rule', 'app': 'restrictions', 'indexes': [Index(fields=['scope', 'reseller_id', 'id']), Index(fields=['account_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A rule allowing or denying calls to a country, an area code or a destination prefix.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CallRestrictionException',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('restriction', fields.ForeignKeyField('restrictions.CallRestriction', source_field='restriction_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('core.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'restrictions_exception', 'app': 'restrictions', 'unique_together': (('account', 'restriction'),), 'indexes': [Index(fields=['reseller_id', 'id']), Index(fields=['restriction_id'])], 'pk_attr': 'id', 'table_description': 'An exception lifting a system or reseller rule for one account only.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RuleVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('stamp', fields.CharField(max_length=32)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'restrictions_version', 'app': 'restrictions', 'pk_attr': 'id', 'table_description': 'One row whose stamp changes in the transaction of every rule or exception change.'},
            bases=['Model'],
        ),
    ]
