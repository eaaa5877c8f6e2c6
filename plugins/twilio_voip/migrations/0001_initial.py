from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from plugins.twilio_voip.models import CallStatus, Direction, PhoneKind


def _id() -> fields.IntField:
    return fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)


def _fk(model: str, column: str, on_delete: OnDelete, null: bool = False) -> fields.ForeignKeyField:
    return fields.ForeignKeyField(model, source_field=column, null=null, db_constraint=True,
                                  to_field='id', related_name=False, on_delete=on_delete)


class Migration(migrations.Migration):
    dependencies = [('core', '0006_api_token_scopes_audit_token')]

    initial = True

    operations = [
        ops.CreateModel(
            name='TwilioAccount',
            fields=[
                ('id', _id()),
                ('account', _fk('core.Account', 'account_id', OnDelete.CASCADE)),
                ('account_sid', fields.CharField(max_length=34)),
                ('auth_token', fields.TextField(unique=False)),
                ('api_key_sid', fields.CharField(default='', max_length=34)),
                ('api_key_secret', fields.TextField(default='', unique=False)),
                ('application_sid', fields.CharField(default='', max_length=34)),
                ('friendly_name', fields.CharField(default='', max_length=120)),
                ('trial', fields.BooleanField(default=False)),
                ('active', fields.BooleanField(default=True)),
                ('ring_seconds', fields.IntField(default=20)),
                ('voicemail', fields.BooleanField(default=False)),
                ('greeting', fields.CharField(default='', max_length=500)),
                ('connected_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('disconnected_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'twilio_voip_account', 'app': 'twilio_voip', 'unique_together': (('account_id',),), 'indexes': [Index(fields=['account_sid'])], 'pk_attr': 'id', 'table_description': 'The Twilio account a subscriber account connected: credentials encrypted, settings.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VoipNumber',
            fields=[
                ('id', _id()),
                ('account', _fk('core.Account', 'account_id', OnDelete.CASCADE)),
                ('sid', fields.CharField(max_length=34)),
                ('phone_number', fields.CharField(unique=True, max_length=20)),
                ('friendly_name', fields.CharField(default='', max_length=120)),
                ('bought', fields.BooleanField(default=False)),
                ('outgoing_calls', fields.BooleanField(default=False)),
                ('recording', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'twilio_voip_number', 'app': 'twilio_voip', 'indexes': [Index(fields=['account_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A virtual number of the Twilio account used through the gateway.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NumberOperator',
            fields=[
                ('id', _id()),
                ('number', _fk('twilio_voip.VoipNumber', 'number_id', OnDelete.CASCADE)),
                ('user', _fk('core.User', 'user_id', OnDelete.CASCADE)),
                ('account_id', fields.IntField()),
                ('outgoing_calls', fields.BooleanField(default=True)),
                ('recording', fields.BooleanField(default=True)),
            ],
            options={'table': 'twilio_voip_operator', 'app': 'twilio_voip', 'unique_together': (('number_id', 'user_id'),), 'indexes': [Index(fields=['user_id']), Index(fields=['account_id'])], 'pk_attr': 'id', 'table_description': 'A user of the account who may use a number, with the own switches.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Presence',
            fields=[
                ('id', _id()),
                ('user', _fk('core.User', 'user_id', OnDelete.CASCADE)),
                ('account_id', fields.IntField()),
                ('online', fields.BooleanField(default=False)),
                ('since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'twilio_voip_presence', 'app': 'twilio_voip', 'unique_together': (('user_id',),), 'indexes': [Index(fields=['account_id', 'online'])], 'pk_attr': 'id', 'table_description': 'An operator online in the browser since a time (the session of missed calls).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VoipContact',
            fields=[
                ('id', _id()),
                ('account', _fk('core.Account', 'account_id', OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=120)),
                ('created_by_call', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'twilio_voip_contact', 'app': 'twilio_voip', 'indexes': [Index(fields=['account_id', 'name'])], 'pk_attr': 'id', 'table_description': 'A CRM contact: a name and numbers, created by hand or by a call from an unknown number.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ContactPhone',
            fields=[
                ('id', _id()),
                ('contact', _fk('twilio_voip.VoipContact', 'contact_id', OnDelete.CASCADE)),
                ('account_id', fields.IntField()),
                ('kind', fields.CharEnumField(default=PhoneKind.MOBILE, description='MOBILE: MOBILE\nWORK: WORK\nHOME: HOME\nOTHER: OTHER', enum_type=PhoneKind, max_length=10)),
                ('number', fields.CharField(max_length=20)),
            ],
            options={'table': 'twilio_voip_contact_phone', 'app': 'twilio_voip', 'unique_together': (('account_id', 'number'),), 'indexes': [Index(fields=['contact_id'])], 'pk_attr': 'id', 'table_description': 'One number of a contact (mobile, work, home), unique in the account.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VoipCall',
            fields=[
                ('id', _id()),
                ('account', _fk('core.Account', 'account_id', OnDelete.CASCADE)),
                ('number', _fk('twilio_voip.VoipNumber', 'number_id', OnDelete.SET_NULL, null=True)),
                ('call_sid', fields.CharField(null=True, unique=True, max_length=34)),
                ('direction', fields.CharEnumField(description='INBOUND: INBOUND\nOUTBOUND: OUTBOUND', enum_type=Direction, max_length=10)),
                ('status', fields.CharEnumField(description='call states', enum_type=CallStatus, max_length=12)),
                ('our_number', fields.CharField(max_length=20)),
                ('other_number', fields.CharField(max_length=20)),
                ('contact', _fk('twilio_voip.VoipContact', 'contact_id', OnDelete.SET_NULL, null=True)),
                ('operator', _fk('core.User', 'operator_id', OnDelete.SET_NULL, null=True)),
                ('record', fields.BooleanField(default=False)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('duration', fields.IntField(null=True)),
                ('price', fields.DecimalField(null=True, max_digits=12, decimal_places=4)),
                ('currency', fields.CharField(default='', max_length=3)),
                ('priced_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('voicemail', fields.BooleanField(default=False)),
                ('recording_sid', fields.CharField(null=True, max_length=34)),
                ('recording_file', fields.CharField(default='', max_length=300)),
                ('recording_duration', fields.IntField(null=True)),
                ('outgoing_token', fields.CharField(null=True, unique=True, max_length=64)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'twilio_voip_call', 'app': 'twilio_voip', 'indexes': [Index(fields=['account_id', 'started_at']), Index(fields=['contact_id', 'started_at']), Index(fields=['number_id']), Index(fields=['operator_id'])], 'pk_attr': 'id', 'table_description': 'A call through a virtual number: the call log and the contact history.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CallNote',
            fields=[
                ('id', _id()),
                ('call', _fk('twilio_voip.VoipCall', 'call_id', OnDelete.CASCADE)),
                ('account_id', fields.IntField()),
                ('author', _fk('core.User', 'author_id', OnDelete.SET_NULL, null=True)),
                ('text', fields.CharField(max_length=2000)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'twilio_voip_call_note', 'app': 'twilio_voip', 'indexes': [Index(fields=['call_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A note written about a call.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProcessedWebhook',
            fields=[
                ('id', _id()),
                ('key', fields.CharField(unique=True, max_length=120)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'twilio_voip_webhook', 'app': 'twilio_voip', 'pk_attr': 'id', 'table_description': 'A webhook already processed (its key: kind, CallSid and state): a replay is refused.'},
            bases=['Model'],
        ),
    ]
