from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0003_identity_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='extension',
            field=fields.CharField(null=True, max_length=10),
        ),
    ]
