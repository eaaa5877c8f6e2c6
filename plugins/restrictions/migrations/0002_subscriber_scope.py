"""The SUBSCRIBER scope: an account's own rules (its company admin's or professional's), in the
same table. The column is unchanged (``SUBSCRIBER`` fits its 10 characters); only the model
state learns the new enum value, so nothing is run against the database."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from plugins.restrictions.models import RestrictionScope


class _AlterFieldState(ops.AlterField):
    """The model state only: the column's type does not change."""

    async def database_forward(self, *args, **kwargs) -> None:
        return None

    async def database_backward(self, *args, **kwargs) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('restrictions', '0001_initial')]

    initial = False

    operations = [
        _AlterFieldState(
            model_name='CallRestriction',
            name='scope',
            field=fields.CharEnumField(description='SYSTEM: SYSTEM\nRESELLER: RESELLER\nACCOUNT: ACCOUNT\nSUBSCRIBER: SUBSCRIBER', enum_type=RestrictionScope, max_length=10),
        ),
    ]
