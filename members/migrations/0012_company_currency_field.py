"""A company's currency as staff type it (``core.currencies.CurrencyField``): " eur " is read as
EUR, and a code outside ISO 4217 is refused with its own message. Validation only: no column
or data changes (the CHECK ``members_company_currency_code`` stays)."""

from django.db import migrations

import core.currencies


class Migration(migrations.Migration):
    dependencies = [("members", "0011_merge_company_currency_and_closed_status")]

    operations = [
        migrations.AlterField(
            model_name="company",
            name="currency",
            field=core.currencies.CurrencyField(
                blank=True,
                db_default="",
                default="",
                help_text="Purchases arrive in this currency, and points show their value in it. Empty: the country's.",
                max_length=3,
                verbose_name="currency",
            ),
        ),
    ]
