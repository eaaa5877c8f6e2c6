from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from gateway.identity.models import AccountKind, BillingStatus
from json import dumps, loads
from plugins.clients.models import ExportFormat, ExportStatus, MessageKind, MessageStatus, PaymentMethod, SignupStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0005_branding_images_audit_guard')]

    initial = True

    operations = [
        ops.CreateModel(
            name='AccountExport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('requested_by', fields.ForeignKeyField('core.User', source_field='requested_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('kind', fields.CharEnumField(description='COMPANY: COMPANY\nPROFESSIONAL: PROFESSIONAL', enum_type=AccountKind, max_length=16)),
                ('format', fields.CharEnumField(description='CSV: CSV\nPDF: PDF', enum_type=ExportFormat, max_length=8)),
                ('language', fields.CharField(default='fr', max_length=2)),
                ('request', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=ExportStatus.PENDING, description='PENDING: PENDING\nREADY: READY\nFAILED: FAILED', enum_type=ExportStatus, max_length=16)),
                ('row_count', fields.IntField(null=True)),
                ('file_size', fields.IntField(null=True)),
                ('outbox_job_id', fields.BigIntField(null=True)),
                ('error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('ready_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'clients_account_export', 'app': 'clients', 'indexes': [Index(fields=['reseller_id', 'created_at']), Index(fields=['created_at'])], 'pk_attr': 'id', 'table_description': 'A list export asked for from the Clients page, downloaded behind a signed URL.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AccountMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('sender', fields.ForeignKeyField('core.User', source_field='sender_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('kind', fields.CharEnumField(description='ACCESS_CODES: ACCESS_CODES\nCUSTOM: CUSTOM', enum_type=MessageKind, max_length=16)),
                ('status', fields.CharEnumField(description='SENT: SENT\nSUPPRESSED: SUPPRESSED', enum_type=MessageStatus, max_length=16)),
                ('to_address', fields.CharField(max_length=254)),
                ('cc', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('bcc', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('subject', fields.CharField(max_length=200)),
                ('body', fields.TextField(default='', unique=False)),
                ('outbox_job_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'clients_account_message', 'app': 'clients', 'indexes': [Index(fields=['account_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'An email sent to a subscriber from the Clients page (Envoi Msg), or suppressed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AccountProfile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.OneToOneField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('address', fields.CharField(default='', max_length=200)),
                ('city', fields.CharField(default='', max_length=100)),
                ('state', fields.CharField(default='', max_length=100)),
                ('postal_code', fields.CharField(default='', max_length=20)),
                ('voice_languages', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status_before_unsubscribe', fields.CharEnumField(null=True, description='FREE_TRIAL: FREE_TRIAL\nIN_PRODUCTION: IN_PRODUCTION\nBILLING_SUSPENDED: BILLING_SUSPENDED\nUNSUBSCRIBED: UNSUBSCRIBED', enum_type=BillingStatus, max_length=20)),
                ('purged_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'clients_account_profile', 'app': 'clients', 'pk_attr': 'id', 'table_description': 'What the sign-up wizard knows of a subscriber beyond the core account row.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AccountSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.OneToOneField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('test_mode', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'clients_account_settings', 'app': 'clients', 'pk_attr': 'id', 'table_description': 'Account settings (Options). Issue 5 adds the other sections, test mode is read here.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BillingProfile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.OneToOneField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('payment_method', fields.CharEnumField(description='CREDIT_CARD: CREDIT_CARD\nMONTHLY_INVOICE: MONTHLY_INVOICE', enum_type=PaymentMethod, max_length=20)),
                ('card_token', fields.CharField(null=True, max_length=200)),
                ('card_brand', fields.CharField(null=True, max_length=30)),
                ('card_last4', fields.CharField(null=True, max_length=4)),
                ('card_expiry', fields.CharField(null=True, max_length=7)),
                ('invoice_contact', fields.CharField(default='', max_length=200)),
                ('invoice_email', fields.CharField(default='', max_length=254)),
                ('terms_accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('terms_accepted_by', fields.ForeignKeyField('core.User', source_field='terms_accepted_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'clients_billing_profile', 'app': 'clients', 'pk_attr': 'id', 'table_description': 'How a subscriber pays. Never a card number, only the payment processor token.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BillingStatusChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('from_status', fields.CharEnumField(null=True, description='FREE_TRIAL: FREE_TRIAL\nIN_PRODUCTION: IN_PRODUCTION\nBILLING_SUSPENDED: BILLING_SUSPENDED\nUNSUBSCRIBED: UNSUBSCRIBED', enum_type=BillingStatus, max_length=20)),
                ('to_status', fields.CharEnumField(description='FREE_TRIAL: FREE_TRIAL\nIN_PRODUCTION: IN_PRODUCTION\nBILLING_SUSPENDED: BILLING_SUSPENDED\nUNSUBSCRIBED: UNSUBSCRIBED', enum_type=BillingStatus, max_length=20)),
                ('trial_days', fields.IntField(null=True)),
                ('terms_accepted', fields.BooleanField(default=False)),
                ('changed_by', fields.ForeignKeyField('core.User', source_field='changed_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'clients_billing_status_change', 'app': 'clients', 'indexes': [Index(fields=['account_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One change of billing status, who made it and with what.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SignupDraft',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='COMPANY: COMPANY\nPROFESSIONAL: PROFESSIONAL', enum_type=AccountKind, max_length=16)),
                ('status', fields.CharEnumField(default=SignupStatus.OPEN, description='OPEN: OPEN\nSENT: SENT\nCOMPLETED: COMPLETED', enum_type=SignupStatus, max_length=16)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('link_nonce', fields.CharField(null=True, max_length=32)),
                ('sent_to', fields.CharField(null=True, max_length=254)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_by', fields.ForeignKeyField('core.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'clients_signup_draft', 'app': 'clients', 'indexes': [Index(fields=['reseller_id', 'status', 'created_at']), Index(fields=['account_id'])], 'pk_attr': 'id', 'table_description': 'A sign-up in progress, saved step by step by the reseller or by the client via a link.'},
            bases=['Model'],
        ),
    ]
