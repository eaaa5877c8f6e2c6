from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from gateway.identity.models import AccountKind, BillingStatus, OneTimeTokenPurpose, UserRole
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Reseller',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('spid', fields.CharField(null=True, max_length=64)),
                ('can', fields.CharField(unique=True, max_length=20)),
                ('default_language', fields.CharField(default='fr', max_length=2)),
                ('address', fields.CharField(default='', max_length=200)),
                ('city', fields.CharField(default='', max_length=100)),
                ('country', fields.CharField(default='CA', max_length=2)),
                ('state', fields.CharField(default='', max_length=100)),
                ('postal_code', fields.CharField(default='', max_length=20)),
                ('phone_system', fields.CharField(default='', max_length=100)),
                ('default_provider', fields.CharField(default='', max_length=100)),
                ('branding', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'core_reseller', 'app': 'core', 'pk_attr': 'id', 'table_description': 'A reseller (tenant): everything it owns is reachable from its id.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name='accounts', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='COMPANY: COMPANY\nPROFESSIONAL: PROFESSIONAL', enum_type=AccountKind, max_length=16)),
                ('name', fields.CharField(max_length=200)),
                ('can', fields.CharField(unique=True, max_length=20)),
                ('organization', fields.ForeignKeyField('core.Account', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='affiliates', on_delete=OnDelete.SET_NULL)),
                ('language', fields.CharField(default='fr', max_length=2)),
                ('time_zone', fields.CharField(default='America/Toronto', max_length=64)),
                ('country', fields.CharField(default='CA', max_length=2)),
                ('email', fields.CharField(default='', max_length=254)),
                ('phone_number', fields.CharField(null=True, max_length=20)),
                ('billing_status', fields.CharEnumField(default=BillingStatus.FREE_TRIAL, description='FREE_TRIAL: FREE_TRIAL\nIN_PRODUCTION: IN_PRODUCTION\nBILLING_SUSPENDED: BILLING_SUSPENDED\nUNSUBSCRIBED: UNSUBSCRIBED', enum_type=BillingStatus, max_length=20)),
                ('trial_ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('unsubscribed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'core_account', 'app': 'core', 'pk_attr': 'id', 'table_description': 'A subscriber account: a company (CID) or a professional (UID).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('role', fields.CharEnumField(description='SYSTEM_ADMIN: SYSTEM_ADMIN\nRESELLER_ADMIN: RESELLER_ADMIN\nCOMPANY_ADMIN: COMPANY_ADMIN\nEMPLOYEE: EMPLOYEE\nPROFESSIONAL: PROFESSIONAL', enum_type=UserRole, max_length=20)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', null=True, db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.RESTRICT)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.RESTRICT)),
                ('login', fields.CharField(unique=True, max_length=254)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('first_name', fields.CharField(default='', max_length=100)),
                ('last_name', fields.CharField(default='', max_length=100)),
                ('language', fields.CharField(default='fr', max_length=2)),
                ('phone', fields.CharField(null=True, max_length=20)),
                ('password_hash', fields.CharField(null=True, max_length=255)),
                ('pin_hash', fields.CharField(null=True, max_length=255)),
                ('is_active', fields.BooleanField(default=True)),
                ('password_changed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'core_user', 'app': 'core', 'pk_attr': 'id', 'table_description': 'A person who can sign in. ``login`` and ``email`` are stored lower-case.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ResellerDelegate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name='delegates', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('core.User', source_field='user_id', db_constraint=True, to_field='id', related_name='delegations', on_delete=OnDelete.CASCADE)),
                ('granted_by', fields.ForeignKeyField('core.User', source_field='granted_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'core_reseller_delegate', 'app': 'core', 'pk_attr': 'id', 'table_description': 'A company admin (or its delegate) granted delegated reseller-admin rights.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('user', fields.ForeignKeyField('core.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('acting_account', fields.ForeignKeyField('core.Account', source_field='acting_account_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('parent', fields.ForeignKeyField('core.Session', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('client_address', fields.CharField(default='', max_length=64)),
                ('user_agent', fields.CharField(default='', max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'core_session', 'app': 'core', 'pk_attr': 'id', 'table_description': 'A server-side session: the client holds only a random token, stored hashed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', db_constraint=True, to_field='id', related_name='api_tokens', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('prefix', fields.CharField(max_length=16)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_by', fields.ForeignKeyField('core.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'core_api_token', 'app': 'core', 'pk_attr': 'id', 'table_description': 'An integrator token, scoped to one reseller, of which only the hash is kept.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OneTimeToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('core.User', source_field='user_id', db_constraint=True, to_field='id', related_name='one_time_tokens', on_delete=OnDelete.CASCADE)),
                ('purpose', fields.CharEnumField(description='RESET_PASSWORD: RESET_PASSWORD\nSET_PASSWORD: SET_PASSWORD', enum_type=OneTimeTokenPurpose, max_length=20)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'core_one_time_token', 'app': 'core', 'pk_attr': 'id', 'table_description': 'A single-use, expiring link token (password reset, first password).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoginThrottle',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=300)),
                ('failures', fields.IntField(default=0)),
                ('window_started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'core_login_throttle', 'app': 'core', 'pk_attr': 'id', 'table_description': 'Failed sign-in attempts in the current window, per login and per client address.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reseller', fields.ForeignKeyField('core.Reseller', source_field='reseller_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('account', fields.ForeignKeyField('core.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('actor', fields.ForeignKeyField('core.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('acting_as', fields.ForeignKeyField('core.User', source_field='acting_as_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('session_id', fields.IntField(null=True)),
                ('action', fields.CharField(max_length=64)),
                ('operation', fields.CharField(default='', max_length=200)),
                ('detail', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('request_id', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'core_audit_entry', 'app': 'core', 'pk_attr': 'id', 'table_description': 'Append-only: direct access start/end and every mutation made inside it.'},
            bases=['Model'],
        ),
        # Reseller and User refer to each other: the primary admin is added once both exist.
        ops.AddField(
            model_name='Reseller',
            name='primary_admin',
            field=fields.ForeignKeyField('core.User', source_field='primary_admin_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
    ]
