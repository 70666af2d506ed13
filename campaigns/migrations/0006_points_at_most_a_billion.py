"""A campaign's points budget, a rule's bonus, an activity's and a challenge's points are at
most 1 000 000 000 (``rewards.bounds.PointsMaxValidator``), refused in words above it instead
of "less than or equal to 9223372036854775807". Validation only: no column or data changes."""

import django.core.validators
from django.db import migrations, models

import rewards.bounds


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0005_segment_spend_in_base_currency"),
    ]

    operations = [
        migrations.AlterField(
            model_name="activity",
            name="points",
            field=models.PositiveIntegerField(
                validators=[django.core.validators.MinValueValidator(1), rewards.bounds.PointsMaxValidator()],
                verbose_name="points",
            ),
        ),
        migrations.AlterField(
            model_name="campaign",
            name="points_budget",
            field=models.PositiveIntegerField(
                help_text="Awards stop when this many points have been given; the owner is told.",
                validators=[django.core.validators.MinValueValidator(1), rewards.bounds.PointsMaxValidator()],
                verbose_name="points budget",
            ),
        ),
        migrations.AlterField(
            model_name="campaignrule",
            name="bonus_points",
            field=models.PositiveIntegerField(
                blank=True, null=True, validators=[rewards.bounds.PointsMaxValidator()], verbose_name="bonus points"
            ),
        ),
        migrations.AlterField(
            model_name="challenge",
            name="points",
            field=models.PositiveIntegerField(
                default=0, validators=[rewards.bounds.PointsMaxValidator()], verbose_name="points on completion"
            ),
        ),
    ]
