from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from plugins.provisioning.api import OperationKind
from plugins.provisioning.models import OperationStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Operation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=32)),
                ('reseller_id', fields.IntField()),
                ('account_id', fields.IntField()),
                ('kind', fields.CharEnumField(description='ACCOUNT_CREATED: ACCOUNT_CREATED\nNUMBER_ASSIGNED: NUMBER_ASSIGNED\nNUMBER_RELEASED: NUMBER_RELEASED\nACCOUNT_UNSUBSCRIBED: ACCOUNT_UNSUBSCRIBED\nACCOUNT_REACTIVATED: ACCOUNT_REACTIVATED\nACCOUNT_PURGED: ACCOUNT_PURGED', enum_type=OperationKind, max_length=32)),
                ('number', fields.CharField(null=True, max_length=20)),
                ('user_id', fields.IntField(null=True)),
                ('phone_system', fields.CharField(default='', max_length=100)),
                ('provider', fields.CharField(default='', max_length=100)),
                ('snapshot', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=OperationStatus.PENDING, description='PENDING: PENDING\nDONE: DONE\nFAILED: FAILED', enum_type=OperationStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('last_error_en', fields.TextField(default='', unique=False)),
                ('last_error_fr', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'provisioning_operation', 'app': 'provisioning', 'indexes': [Index(fields=['account_id', 'status']), Index(fields=['reseller_id'])], 'pk_attr': 'id', 'table_description': 'One provisioning operation of an account, delivered in order to every provisioner.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Outcome',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('operation', fields.ForeignKeyField('provisioning.Operation', source_field='operation_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('provisioner', fields.CharField(max_length=64)),
                ('status', fields.CharEnumField(default=OperationStatus.PENDING, description='PENDING: PENDING\nDONE: DONE\nFAILED: FAILED', enum_type=OperationStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'provisioning_outcome', 'app': 'provisioning', 'unique_together': (('operation_id', 'provisioner'),), 'pk_attr': 'id', 'table_description': 'What one provisioner made of one operation: done, or its attempts and last error.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Record',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('operation', fields.ForeignKeyField('provisioning.Operation', source_field='operation_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('provisioner', fields.CharField(max_length=64)),
                ('text_en', fields.TextField(unique=False)),
                ('text_fr', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'provisioning_record', 'app': 'provisioning', 'unique_together': (('operation_id', 'provisioner'),), 'pk_attr': 'id', 'table_description': 'What the built-in recorder wrote down for one operation, once, in fr and en.'},
            bases=['Model'],
        ),
    ]
