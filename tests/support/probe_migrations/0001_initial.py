from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='ProbeRecord',
            fields=[
                ('id', fields.IntField(
                    generated=True, primary_key=True, unique=True, db_index=True
                )),
                ('label', fields.CharField(max_length=60)),
            ],
            options={'table': 'hooks_probe_record', 'app': 'hooks_probe', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
