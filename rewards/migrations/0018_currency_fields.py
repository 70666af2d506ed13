"""The currencies staff type (the programme's base currency, a programme currency, a reward's)
as ``core.currencies.CurrencyField``: " eur " is read as EUR, and a code outside ISO 4217 is
refused with its own message instead of "Enter a valid value.". Validation only: no column or
data changes."""

from django.db import migrations

import core.currencies


class Migration(migrations.Migration):
    dependencies = [("rewards", "0017_programme_currency_reporting_rate")]

    operations = [
        migrations.AlterField(
            model_name="programmecurrency",
            name="currency",
            field=core.currencies.CurrencyField(
                help_text="ISO 4217 code, e.g. EUR.", max_length=3, unique=True, verbose_name="currency"
            ),
        ),
        migrations.AlterField(
            model_name="programmerules",
            name="currency",
            field=core.currencies.CurrencyField(default="SEK", max_length=3, verbose_name="currency"),
        ),
        migrations.AlterField(
            model_name="reward",
            name="currency",
            field=core.currencies.CurrencyField(default="SEK", max_length=3, verbose_name="currency"),
        ),
    ]
