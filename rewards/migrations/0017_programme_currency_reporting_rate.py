"""A reporting rate per programme currency, for Insights' and campaign results' revenue.

Existing currencies start at the parity their point values already state (the base point
value over this currency's: the demo's 0.02 SEK against 0.0018 EUR gives 11.11 SEK per EUR),
the one rate between the currencies the club has decided so far; staff review it in the admin.
"""

from decimal import Decimal

import django.core.validators
from django.db import migrations, models


def parity_from_point_values(apps, schema_editor):
    ProgrammeRules = apps.get_model("rewards", "ProgrammeRules")
    ProgrammeCurrency = apps.get_model("rewards", "ProgrammeCurrency")
    base = ProgrammeRules.objects.filter(pk=1).values_list("point_value", flat=True).first()
    for term in ProgrammeCurrency.objects.all():
        rate = Decimal("1")
        if base and term.point_value:
            rate = (base / term.point_value).quantize(Decimal("0.000001"))
            rate = min(max(rate, Decimal("0.000001")), Decimal("1000000"))
        term.reporting_rate = rate
        term.save(update_fields=["reporting_rate"])


class Migration(migrations.Migration):
    dependencies = [("rewards", "0016_account_months")]

    operations = [
        migrations.AddField(
            model_name="programmecurrency",
            name="reporting_rate",
            field=models.DecimalField(decimal_places=6, max_digits=13, null=True),
        ),
        migrations.RunPython(parity_from_point_values, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="programmecurrency",
            name="reporting_rate",
            field=models.DecimalField(
                decimal_places=6,
                help_text=(
                    "What one unit of this currency counts as in the base currency in Insights' and campaign "
                    "results' revenue figures: a planning rate the club sets and reviews. It never changes "
                    "points or their value. Insights follows a change at its next summary refresh."
                ),
                max_digits=13,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0.000001")),
                    django.core.validators.MaxValueValidator(Decimal("1000000")),
                ],
                verbose_name="reporting rate",
            ),
        ),
        migrations.AddConstraint(
            model_name="programmecurrency",
            constraint=models.CheckConstraint(
                condition=models.Q(("reporting_rate__gt", 0), ("reporting_rate__lte", 1000000)),
                name="rewards_programmecurrency_reporting_rate",
            ),
        ),
    ]
