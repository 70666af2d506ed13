"""Create the database cache table where 0001 did not: a database migrated with Redis as the
default cache had no database cache then. It is now always configured (alias "database"),
as the fallback while Redis is unreachable. ``createcachetable`` skips an existing table."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_cache_table")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
