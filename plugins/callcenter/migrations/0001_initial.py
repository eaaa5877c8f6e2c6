from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0005_branding_images_audit_guard')]

    initial = True

    operations = [
        ops.CreateModel(
            name='AccountInfoPage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=200)),
                ('body', fields.TextField(default='', unique=False)),
                ('position', fields.IntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'callcenter_account_info_page', 'app': 'callcenter', 'indexes': [Index(fields=['account_id', 'position'])], 'pk_attr': 'id', 'table_description': 'Account information pages read by agents'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Call',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('call_id', fields.CharField(unique=True, max_length=64)),
                ('reseller_id', fields.IntField()),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('billing_number', fields.CharField(default='', max_length=20)),
                ('account_name', fields.CharField(default='', max_length=200)),
                ('account_group', fields.IntField(null=True)),
                ('distribution_group', fields.IntField(null=True)),
                ('direction', fields.CharField(max_length=8)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('duration', fields.FloatField(default=0)),
                ('caller_id', fields.CharField(default='', max_length=40)),
                ('caller_name', fields.CharField(default='', max_length=200)),
                ('agent', fields.CharField(default='', max_length=16)),
                ('station', fields.CharField(default='', max_length=16)),
                ('queued_at', fields.FloatField(null=True)),
                ('assigned_at', fields.FloatField(null=True)),
                ('answered_at', fields.FloatField(null=True)),
                ('agent_seconds', fields.FloatField(null=True)),
                ('wrap_seconds', fields.FloatField(null=True)),
                ('holds', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('transfers', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('busy', fields.BooleanField(default=False)),
                ('quality', fields.IntField(null=True)),
                ('recording', fields.CharField(null=True, max_length=500)),
                ('local_date', fields.DateField()),
                ('local_week', fields.DateField()),
                ('local_minute', fields.SmallIntField()),
                ('local_weekday', fields.SmallIntField()),
                ('hold_max', fields.FloatField(default=0)),
                ('hold_total', fields.FloatField(default=0)),
                ('transfer_count', fields.SmallIntField(default=0)),
                ('transfer_total', fields.FloatField(default=0)),
                ('imported_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'callcenter_call', 'app': 'callcenter', 'indexes': [Index(fields=['account_id', 'local_date']), Index(fields=['reseller_id', 'local_date']), Index(fields=['account_id', 'started_at']), Index(fields=['reseller_id', 'started_at']), Index(fields=['started_at'])], 'pk_attr': 'id', 'table_description': 'Calls handled by the answering platform'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TakenMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message_id', fields.CharField(unique=True, max_length=64)),
                ('reseller_id', fields.IntField()),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('call_id', fields.CharField(default='', max_length=64)),
                ('agent', fields.CharField(default='', max_length=16)),
                ('taken_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('local_date', fields.DateField()),
                ('body', fields.TextField(default='', unique=False)),
                ('history', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('imported_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'callcenter_taken_message', 'app': 'callcenter', 'indexes': [Index(fields=['account_id', 'taken_at']), Index(fields=['reseller_id', 'taken_at'])], 'pk_attr': 'id', 'table_description': 'Messages taken by agents'},
            bases=['Model'],
        ),
    ]
