from tortoise import migrations
from tortoise.migrations import operations as ops
from plugins.chat.models import ScheduleKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0006_api_token_scopes_audit_token')]

    initial = True

    operations = [
        ops.CreateModel(
            name='ChatSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.OneToOneField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('permitted', fields.BooleanField(default=False)),
                ('enabled', fields.BooleanField(default=False)),
                ('time_zone', fields.CharField(default='America/Toronto', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'chat_settings', 'app': 'chat', 'pk_attr': 'id', 'table_description': 'Chat for one reseller: permitted by the system admin, enabled by the reseller'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WeeklySchedule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('language', fields.CharField(max_length=2)),
                ('kind', fields.CharEnumField(description='WORKING_HOURS: WORKING_HOURS\nWEEKEND: WEEKEND\nLUNCH_BREAK: LUNCH_BREAK\nCUSTOM: CUSTOM', enum_type=ScheduleKind, max_length=16)),
                ('name', fields.CharField(default='', max_length=100)),
                ('days', fields.SmallIntField()),
                ('all_day', fields.BooleanField(default=False)),
                ('start_minute', fields.SmallIntField(default=0)),
                ('end_minute', fields.SmallIntField(default=1440)),
                ('open', fields.BooleanField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'chat_weekly_schedule', 'app': 'chat', 'indexes': [Index(fields=['reseller_id', 'language', 'kind'])], 'pk_attr': 'id', 'table_description': 'A recurring weekly period of one service language, open or closed'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SpecialEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('language', fields.CharField(max_length=2)),
                ('name', fields.CharField(max_length=100)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('open', fields.BooleanField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'chat_special_event', 'app': 'chat', 'indexes': [Index(fields=['reseller_id', 'language', 'ends_at'])], 'pk_attr': 'id', 'table_description': 'A dated period of one service language (holiday, closure, extended hours)'},
            bases=['Model'],
        ),
    ]
