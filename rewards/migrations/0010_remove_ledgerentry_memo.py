"""The finished-words description is gone: 0009 moved every one into ``memo_key`` and
``memo_params`` (a separate migration, so PostgreSQL alters the table after the rows are
rewritten, not in the same transaction)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("rewards", "0009_ledger_memo_texts"),
    ]

    operations = [
        migrations.RemoveField(model_name="ledgerentry", name="memo"),
    ]
