"""Create the database cache table, so `migrate` alone prepares a working cache.

Without Redis the default cache is the database cache; allauth's login rate limits
depend on it. ``createcachetable`` does nothing for non-database caches.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies: list = []

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
