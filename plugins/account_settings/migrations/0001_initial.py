from tortoise import migrations
from tortoise.migrations import operations as ops
from plugins.account_settings.models import ExtensionKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0005_branding_images_audit_guard')]

    initial = True

    operations = [
        ops.CreateModel(
            name='AccountOptions',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.OneToOneField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('portal_url', fields.CharField(default='', max_length=500)),
                ('voice_assistant_url', fields.CharField(default='', max_length=500)),
                ('voice_receptionist_url', fields.CharField(default='', max_length=500)),
                ('voice_alerts_url', fields.CharField(default='', max_length=500)),
                ('logout_url', fields.CharField(default='', max_length=500)),
                ('extension_length', fields.IntField(default=3)),
                ('user_extensions_first', fields.IntField(default=100)),
                ('user_extensions_last', fields.IntField(default=299)),
                ('group_extensions_first', fields.IntField(default=500)),
                ('group_extensions_last', fields.IntField(default=599)),
                ('service_extensions_first', fields.IntField(default=700)),
                ('service_extensions_last', fields.IntField(default=799)),
                ('shared_contacts_limit', fields.IntField(default=500)),
                ('forbid_user_management', fields.BooleanField(default=False)),
                ('security_code', fields.CharField(default='', max_length=255)),
                ('contacts_limit', fields.IntField(default=500)),
                ('directory_contacts_limit', fields.IntField(default=500)),
                ('downloaded_messages_limit', fields.IntField(default=50)),
                ('voicemails_on_disk', fields.IntField(default=25)),
                ('faxes_on_disk', fields.IntField(default=25)),
                ('assistant_stays_on_outgoing', fields.BooleanField(default=False)),
                ('assistant_stays_on_incoming', fields.BooleanField(default=False)),
                ('always_refresh_contacts', fields.BooleanField(default=False)),
                ('transcription_method', fields.CharField(null=True, max_length=64)),
                ('transcription_email', fields.CharField(default='', max_length=254)),
                ('admin_managed', fields.BooleanField(default=False)),
                ('sip_username', fields.CharField(default='', max_length=100)),
                ('sip_secret', fields.TextField(default='', unique=False)),
                ('caller_id_name', fields.CharField(default='', max_length=50)),
                ('caller_id_number', fields.CharField(null=True, max_length=20)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'account_settings_options', 'app': 'account_settings', 'pk_attr': 'id', 'table_description': 'The sections of the Options page of an account, with the seed defaults.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Contact',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('owner', fields.ForeignKeyField('core.User', source_field='owner_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('phone_number', fields.CharField(null=True, max_length=20)),
                ('email', fields.CharField(default='', max_length=254)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'account_settings_contact', 'app': 'account_settings', 'indexes': [Index(fields=['account_id', 'owner_id']), Index(fields=['account_id', 'phone_number'])], 'pk_attr': 'id', 'table_description': 'A contact of a user (personal) or of the account (shared, in the voice directory).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Device',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('mac_address', fields.CharField(unique=True, max_length=12)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account_settings_device', 'app': 'account_settings', 'indexes': [Index(fields=['account_id'])], 'pk_attr': 'id', 'table_description': 'An IP phone of an account, known by its MAC address.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExtensionReservation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('extension', fields.CharField(max_length=10)),
                ('kind', fields.CharEnumField(description='USER: USER\nGROUP: GROUP\nSERVICE: SERVICE', enum_type=ExtensionKind, max_length=16)),
                ('label', fields.CharField(default='', max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account_settings_extension', 'app': 'account_settings', 'unique_together': (('account', 'extension'),), 'pk_attr': 'id', 'table_description': 'An extension held by a group or a service of an account (user extensions are on the user).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PhoneNumber',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('number', fields.CharField(max_length=20)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('fax_reception', fields.BooleanField(default=False)),
                ('sms', fields.BooleanField(default=False)),
                ('emergency_911', fields.BooleanField(default=False)),
                ('assigned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'account_settings_phone_number', 'app': 'account_settings', 'unique_together': (('reseller', 'number'),), 'indexes': [Index(fields=['account_id'])], 'pk_attr': 'id', 'table_description': 'A phone number (DID) of a reseller pool, free or assigned to one of its accounts.'},
            bases=['Model'],
        ),
    ]
