from tortoise import migrations
from tortoise.migrations import operations as ops
from plugins.account_settings.models import MailboxKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('account_settings', '0001_initial'), ('core', '0001_initial'), ('core', '0002_identity'), ('core', '0003_identity_indexes'), ('core', '0004_user_extension'), ('core', '0005_branding_images_audit_guard')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MailboxMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('core.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='VOICEMAIL: VOICEMAIL\nFAX: FAX', enum_type=MailboxKind, max_length=16)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('caller_number', fields.CharField(default='', max_length=32)),
                ('caller_name', fields.CharField(default='', max_length=100)),
                ('duration_seconds', fields.IntField(null=True)),
                ('pages', fields.IntField(null=True)),
                ('content_type', fields.CharField(max_length=100)),
                ('size', fields.IntField()),
                ('storage_key', fields.CharField(unique=True, max_length=80)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account_settings_mailbox_message', 'app': 'account_settings', 'indexes': [Index(fields=['user_id', 'kind', 'received_at'])], 'pk_attr': 'id', 'table_description': 'A voicemail or a fax kept on disk for a user, within the limits of the account options.'},
            bases=['Model'],
        ),
    ]
