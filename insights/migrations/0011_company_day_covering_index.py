"""The day rows' ``(day, company)`` index covers the summed columns, as the month rows' does
(0009), and the company's own index goes (the ``(company, day)`` key serves it).

Built before the old index is dropped, without locking the table on PostgreSQL (the refresh
keeps writing to it), hence not atomic.
"""

import django.db.models.deletion
from django.db import migrations, models

from core.migration_operations import AddIndexWithoutLocking, RemoveIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("insights", "0010_summary_autovacuum")]

    operations = [
        AddIndexWithoutLocking(
            model_name="companyday",
            index=models.Index(
                fields=["day", "company"],
                include=(
                    "purchases",
                    "orders",
                    "order_value",
                    "net_revenue",
                    "points_earned",
                    "points_redeemed",
                    "points_expired",
                    "points_net",
                ),
                name="insights_companyday_day_sums",
            ),
        ),
        RemoveIndexWithoutLocking(model_name="companyday", name="insights_companyday_day"),
        migrations.AlterField(
            model_name="companyday",
            name="company",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="members.company",
                verbose_name="company",
            ),
        ),
    ]
