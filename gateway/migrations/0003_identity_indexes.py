from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('core', '0002_identity')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Account',
            index=Index(fields=['reseller_id', 'kind', 'billing_status']),
        ),
        ops.AddIndex(
            model_name='Account',
            index=Index(fields=['organization_id']),
        ),
        ops.AddIndex(
            model_name='ApiToken',
            index=Index(fields=['reseller_id', 'revoked_at']),
        ),
        ops.AddIndex(
            model_name='AuditEntry',
            index=Index(fields=['reseller_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='AuditEntry',
            index=Index(fields=['account_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='AuditEntry',
            index=Index(fields=['actor_id', 'created_at']),
        ),
        ops.AddConstraint(
            model_name='ResellerDelegate',
            constraint=UniqueConstraint(fields=('reseller', 'user'), name=None),
        ),
        ops.AddIndex(
            model_name='Session',
            index=Index(fields=['user_id', 'ended_at']),
        ),
        ops.AddIndex(
            model_name='User',
            index=Index(fields=['reseller_id', 'role']),
        ),
        ops.AddIndex(
            model_name='User',
            index=Index(fields=['account_id']),
        ),
    ]
