from tortoise import migrations
from tortoise.migrations import operations as ops

from plugins.clients import name_index

# A name keyword answered from an index (issue 22, see plugins.clients.name_index): on
# PostgreSQL the pg_trgm extension and a GIN index on LOWER(name) (gin_trgm_ops); nothing on
# SQLite. CREATE EXTENSION pg_trgm needs the right to create a trusted extension (PostgreSQL
# 13+: the database's owner or a role with CREATE on it). Without it this migration stops with
# what to do: a superuser runs `CREATE EXTENSION IF NOT EXISTS pg_trgm;` in the gateway's
# database (postgresql-contrib installed), then the migration is run again.

class Migration(migrations.Migration):
    dependencies = [('clients', '0003_account_counts')]

    initial = False

    operations = [
        ops.RunPython(name_index.migrate, reverse_code=name_index.unmigrate),
    ]
