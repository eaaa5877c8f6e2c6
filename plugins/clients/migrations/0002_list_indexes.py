"""Indexes on core tables that the Clients lists, their keyword filters and the purge need.

They are the clients plugin's to create (the core does not sort accounts by name), with SQL
both SQLite and PostgreSQL accept; Tortoise's autodetector does not see them, so neither app's
makemigrations tries to drop them.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

_INDEXES = {
    # Sorting a tab by name (the list sorts on LOWER(name), then id).
    "clients_account_name_idx": "core_account (reseller_id, kind, (LOWER(name)), id)",
    # Sorting and looking up by main phone number.
    "clients_account_phone_idx": "core_account (reseller_id, kind, phone_number)",
    # The purge: unsubscribed accounts by date.
    "clients_account_unsubscribed_idx": "core_account (billing_status, unsubscribed_at)",
    # Users per account and the professional's extension, computed per listed row.
    "clients_user_account_role_idx": "core_user (account_id, role)",
}


class Migration(migrations.Migration):
    dependencies = [('clients', '0001_initial')]

    initial = False

    operations = [
        ops.RunSQL(
            [f"CREATE INDEX IF NOT EXISTS {name} ON {target}" for name, target in _INDEXES.items()],
            reverse_sql=[f"DROP INDEX IF EXISTS {name}" for name in _INDEXES],
        ),
    ]
