from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# Issue 18: unlinking a number gives it back the webhooks it had before it was linked (none
# for a number bought here) instead of Twilio's demo answer.


class Migration(migrations.Migration):
    dependencies = [('twilio_voip', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='VoipNumber',
            name='previous_webhooks',
            field=fields.JSONField(null=True),
        ),
    ]
