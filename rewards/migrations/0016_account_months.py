"""The ledger summed per account and month (``rewards.ledger.months``), filled from the
existing entries a batch of accounts per transaction (not atomic: each batch commits, so
writes wait for one batch at most).

Entries written by processes still running the previous release while this runs are not in
the sums: run ``manage.py rebuild_account_months`` once the new release serves every process
(``manage.py check_ledger`` reports any difference).
"""

import django.db.models.deletion
from django.db import migrations, models


def fill_from_entries(apps, schema_editor):
    from rewards.ledger.months import account_months_rebuild

    account_months_rebuild(apps=apps)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("rewards", "0015_ledger_lots_and_unreleased_earns_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccountMonth",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField(help_text="The first day of the month.", verbose_name="month")),
                ("qualifying_points", models.IntegerField(default=0, verbose_name="qualifying points")),
                ("earned", models.IntegerField(default=0, verbose_name="earned")),
                ("spent", models.IntegerField(default=0, verbose_name="spent")),
                (
                    "account",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="months",
                        to="rewards.pointsaccount",
                        verbose_name="account",
                    ),
                ),
            ],
            options={
                "verbose_name": "account month",
                "verbose_name_plural": "account months",
                "constraints": [
                    models.UniqueConstraint(fields=("account", "month"), name="rewards_accountmonth_once_per_month")
                ],
            },
        ),
        migrations.RunPython(fill_from_entries, migrations.RunPython.noop, elidable=True),
    ]
