from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# The accounts list's "Numéro de téléphone" is the virtual receptionist's number (issue 20):
# the account's earliest number from its reseller's pool still held, kept by the account
# settings plugin (its migration 0005 fills it for the numbers assigned before).

class Migration(migrations.Migration):
    dependencies = [('core', '0006_api_token_scopes_audit_token')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='receptionist_number',
            field=fields.CharField(null=True, max_length=20),
        ),
        ops.AddIndex(
            model_name='Account',
            index=Index(fields=['reseller_id', 'receptionist_number']),
        ),
    ]
