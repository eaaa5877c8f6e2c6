from tortoise import migrations
import functools
from json import dumps, loads
from tortoise.migrations import operations as ops
from tortoise import fields

# API tokens get scopes and an expiry (issue 15). Tokens made before had every staff right and
# no end: they keep their rights ("*:write") and expire 90 days after this migration.
_SQLITE_EXISTING = """
UPDATE core_api_token SET scopes = '["*:write"]',
    expires_at = strftime('%Y-%m-%d %H:%M:%f+00:00', 'now', '+90 days')
WHERE expires_at IS NULL;
"""
_POSTGRES_EXISTING = """
UPDATE core_api_token SET scopes = '["*:write"]'::jsonb,
    expires_at = now() + interval '90 days'
WHERE expires_at IS NULL;
"""


async def _existing_tokens(apps, schema_editor) -> None:
    dialect = schema_editor.client.capabilities.dialect
    if dialect == "sqlite":
        await schema_editor.client.execute_script(_SQLITE_EXISTING)
    elif dialect == "postgres":
        await schema_editor.client.execute_script(_POSTGRES_EXISTING)


async def _nothing(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [('core', '0005_branding_images_audit_guard')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ApiToken',
            name='scopes',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='ApiToken',
            name='expires_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='AuditEntry',
            name='api_token_id',
            field=fields.IntField(null=True),
        ),
        ops.RunPython(_existing_tokens, reverse_code=_nothing),
    ]
