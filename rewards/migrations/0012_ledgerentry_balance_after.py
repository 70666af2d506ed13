"""Each ledger entry keeps the account's spendable balance right after it (``balance_after``),
written with the entry under the account lock, so the points history reads it instead of
summing every later entry per row; and an index for one account's entries newest first.

Existing entries get the running sum of their account's ``points`` in the order they were
written (id), what the services would have stored; ``manage.py check_ledger`` verifies it.
"""

from django.db import migrations, models

FILL_POSTGRES = """
UPDATE rewards_ledgerentry e SET balance_after = s.balance
FROM (
    SELECT id, SUM(points) OVER (PARTITION BY account_id ORDER BY id) AS balance
    FROM rewards_ledgerentry
) s
WHERE e.id = s.id AND e.balance_after IS NULL
"""


def fill_balances(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL_POSTGRES)
        return
    LedgerEntry = apps.get_model("rewards", "LedgerEntry")
    balances: dict[int, int] = {}
    with schema_editor.connection.cursor() as cursor:
        rows = list(LedgerEntry.objects.order_by("account_id", "pk").values_list("pk", "account_id", "points"))
        for pk, account_id, points in rows:
            balances[account_id] = balances.get(account_id, 0) + points
            # Raw SQL: the model's manager refuses update() (entries are append-only).
            cursor.execute(
                "UPDATE rewards_ledgerentry SET balance_after = %s WHERE id = %s", [balances[account_id], pk]
            )


class Migration(migrations.Migration):
    dependencies = [
        ("rewards", "0011_merge_texts_content_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="balance_after",
            field=models.IntegerField(
                blank=True,
                editable=False,
                null=True,
                verbose_name="balance after",
                help_text="The account's spendable balance right after this entry was written.",
            ),
        ),
        migrations.RunPython(fill_balances, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="ledgerentry",
            index=models.Index(fields=["account", "-created_at", "-id"], name="rewards_entry_account_time"),
        ),
    ]
