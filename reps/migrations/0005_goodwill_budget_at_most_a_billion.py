"""A rep's monthly goodwill budget is at most 1 000 000 000 points
(``rewards.bounds.PointsMaxValidator``), refused in words above it instead of "less than or
equal to 9223372036854775807". Validation only: no column or data changes."""

from django.db import migrations, models

import rewards.bounds


class Migration(migrations.Migration):
    dependencies = [
        ("reps", "0004_account_activity_base_currency"),
    ]

    operations = [
        migrations.AlterField(
            model_name="goodwillbudget",
            name="points",
            field=models.PositiveIntegerField(
                validators=[rewards.bounds.PointsMaxValidator()], verbose_name="budget (points)"
            ),
        ),
    ]
