from tortoise import migrations
from tortoise.migrations import operations as ops
from plugins.subscription_portal.models import PortalSignupStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('subscription_portal', '0001_initial')]

    operations = [
        ops.CreateModel(
            name='PortalSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.OneToOneField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('signup_status', fields.CharEnumField(default=PortalSignupStatus.FREE_TRIAL, description='FREE_TRIAL: FREE_TRIAL\nIN_PRODUCTION: IN_PRODUCTION', enum_type=PortalSignupStatus, max_length=16)),
                ('trial_days', fields.IntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'subscription_portal_settings', 'app': 'subscription_portal', 'pk_attr': 'id', 'table_description': 'A reseller settings of its subscription portal, the status and trial of its sign-ups'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SpentChallenge',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('digest', fields.CharField(unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'subscription_portal_spent_challenge', 'app': 'subscription_portal', 'pk_attr': 'id', 'table_description': 'A solved proof of work challenge, accepted once, kept until the challenge expires'},
            bases=['Model'],
        ),
    ]
