from tortoise import migrations
from tortoise.migrations import operations as ops
from gateway.identity.models import AccountKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0006_api_token_scopes_audit_token'), ('clients', '0002_list_indexes')]

    initial = True

    operations = [
        ops.CreateModel(
            name='SubscriptionLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='COMPANY: COMPANY\nPROFESSIONAL: PROFESSIONAL', enum_type=AccountKind, max_length=16)),
                ('nonce', fields.CharField(max_length=64)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('regenerated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'subscription_portal_link', 'app': 'subscription_portal', 'unique_together': (('reseller', 'kind'),), 'pk_attr': 'id', 'table_description': 'A reseller secure subscription link, one for companies and one for professionals'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PortalSignup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('draft', fields.OneToOneField('clients.SignupDraft', source_field='draft_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('link', fields.ForeignKeyField('subscription_portal.SubscriptionLink', source_field='link_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('nonce', fields.CharField(max_length=64)),
                ('language', fields.CharField(default='fr', max_length=2)),
                ('terms_accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'subscription_portal_signup', 'app': 'subscription_portal', 'indexes': [Index(fields=['completed_at', 'expires_at'])], 'pk_attr': 'id', 'table_description': 'A sign-up started on the public portal through a link, until it completes or expires'},
            bases=['Model'],
        ),
    ]
