from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from plugins.chat.conversation_models import ConversationStatus, MessageKind, Side
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('chat', '0001_initial')]

    operations = [
        ops.CreateModel(
            name='Conversation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('opened_by', fields.ForeignKeyField('core.User', source_field='opened_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('opened_by_name', fields.CharField(default='', max_length=201)),
                ('language', fields.CharField(max_length=2)),
                ('status', fields.CharEnumField(default=ConversationStatus.WAITING, description='WAITING: WAITING\nACTIVE: ACTIVE\nCLOSED: CLOSED', enum_type=ConversationStatus, max_length=16)),
                ('outside_hours', fields.BooleanField(default=False)),
                ('assigned_to', fields.ForeignKeyField('core.User', source_field='assigned_to_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('assigned_to_name', fields.CharField(default='', max_length=201)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('taken_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_message_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'chat_conversation', 'app': 'chat', 'indexes': [Index(fields=['reseller_id', 'status', 'id']), Index(fields=['account_id', 'status']), Index(fields=['opened_by_id', 'id']), Index(fields=['assigned_to_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A subscriber user conversation with its reseller support.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('chat.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(default=MessageKind.TEXT, description='TEXT: TEXT\nTAKEN: TAKEN\nTRANSFERRED: TRANSFERRED\nCLOSED: CLOSED', enum_type=MessageKind, max_length=16)),
                ('sender', fields.ForeignKeyField('core.User', source_field='sender_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('side', fields.CharEnumField(description='SUBSCRIBER: SUBSCRIBER\nSTAFF: STAFF', enum_type=Side, max_length=16)),
                ('sender_name', fields.CharField(default='', max_length=201)),
                ('body', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'chat_message', 'app': 'chat', 'indexes': [Index(fields=['conversation_id', 'id']), Index(fields=['sender_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One message of a conversation or a note of what happened to it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReadReceipt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('chat.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('core.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('last_read_message_id', fields.BigIntField()),
                ('read_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'chat_read_receipt', 'app': 'chat', 'unique_together': (('conversation', 'user'),), 'pk_attr': 'id', 'table_description': 'How far a person has read a conversation.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AgentDuty',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('user', fields.OneToOneField('core.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('languages', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('since', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'chat_agent_duty', 'app': 'chat', 'indexes': [Index(fields=['reseller_id'])], 'pk_attr': 'id', 'table_description': 'A reseller staff member on duty for the chat, in the languages served.'},
            bases=['Model'],
        ),
    ]
