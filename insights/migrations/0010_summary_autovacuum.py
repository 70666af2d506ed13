"""Autovacuum the summary tables sooner than PostgreSQL's default (a fifth of a table).

The refresh rewrites the touched companies' days and months every ten minutes. A row is only
read from an index alone (an index-only scan, what the overview's month sums and the
liability rely on) once VACUUM has marked its page visible to all; with the default
thresholds a 4-million-row ``insights_companyday`` waits for 800 000 changed rows, so the
pages the refresh touched stay unmarked for days. 2 % keeps them marked within an hour or
so of a busy club's refreshes. PostgreSQL only: SQLite has no such setting.
"""

from django.db import migrations

TABLES = ("insights_companyday", "insights_companymonth", "insights_companyfirstorder")
SETTINGS = "autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02"


def tune(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} SET ({SETTINGS})")


def untune(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"ALTER TABLE {table} RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_insert_scale_factor)"
        )


class Migration(migrations.Migration):
    dependencies = [("insights", "0009_company_month_covering_index")]

    operations = [migrations.RunPython(tune, untune, elidable=False)]
