"""A reward's points cost and a tier's qualifying points are at most 1 000 000 000
(``rewards.bounds.PointsMaxValidator``), refused in words above it instead of "less than or
equal to 9223372036854775807". Validation only: no column or data changes."""

import django.core.validators
from django.db import migrations, models

import rewards.bounds


class Migration(migrations.Migration):
    dependencies = [
        ("rewards", "0018_currency_fields"),
    ]

    operations = [
        migrations.AlterField(
            model_name="reward",
            name="points_cost",
            field=models.IntegerField(
                help_text="Points for one.",
                validators=[django.core.validators.MinValueValidator(1), rewards.bounds.PointsMaxValidator()],
                verbose_name="points",
            ),
        ),
        migrations.AlterField(
            model_name="tier",
            name="qualifying_points",
            field=models.PositiveIntegerField(
                unique=True, validators=[rewards.bounds.PointsMaxValidator()], verbose_name="qualifying points"
            ),
        ),
    ]
