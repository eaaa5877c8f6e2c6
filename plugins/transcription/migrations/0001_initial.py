from tortoise import migrations
from tortoise.migrations import operations as ops
from plugins.transcription.models import TranscriptStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0006_api_token_scopes_audit_token'), ('account_settings', '0004_phone_number_one_pool')]

    initial = True

    operations = [
        ops.CreateModel(
            name='VoicemailTranscript',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.OneToOneField('account_settings.MailboxMessage', source_field='message_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('core.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(description='', enum_type=TranscriptStatus, max_length=16)),
                ('provider', fields.CharField(max_length=64)),
                ('language', fields.CharField(max_length=8)),
                ('text', fields.TextField(default='', unique=False)),
                ('confidence', fields.FloatField(null=True)),
                ('reason_code', fields.CharField(default='', max_length=64)),
                ('reason_en', fields.TextField(default='', unique=False)),
                ('reason_fr', fields.TextField(default='', unique=False)),
                ('attempts', fields.IntField(default=0)),
                ('copy_sent', fields.BooleanField(default=False)),
                ('request_key', fields.CharField(max_length=32)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'transcription_voicemail', 'app': 'transcription', 'indexes': [Index(fields=['account_id', 'user_id', 'requested_at'])], 'pk_attr': 'id', 'table_description': 'The transcript of one voicemail of the mailbox, by the provider last asked.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApprovedProvider',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=64)),
                ('approved_by', fields.ForeignKeyField('core.User', source_field='approved_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('approved_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'transcription_approved_provider', 'app': 'transcription', 'pk_attr': 'id', 'table_description': 'A transcription provider the system admin offers to users (a row named NONE records that a decision was made, even approving none).'},
            bases=['Model'],
        ),
    ]
