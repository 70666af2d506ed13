"""Currency codes: which three letters are a currency at all, and a country's own.

A code outside ISO 4217 is refused as unknown ("SEKK", "XYZ"); a real code the programme
has no earn rate for is refused as such (``rewards.models.ProgrammeRules.in_currency``).
Keeping the two apart lets an integrator tell a typo from a currency the club does not run.

Wherever staff type a currency (a company's, a reward's, the programme's), the model field is a
``CurrencyField``: what they type is read as a code (" eur " is EUR) and anything that is not
one gets "XYZ is not a currency code (ISO 4217).", never Django's generic "Enter a valid value.".
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# ISO 4217 active codes (2024), without funds codes and precious metals.
ISO_4217 = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VED",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)

# The currency a company of each country is invoiced in unless staff set another.
COUNTRY_CURRENCY = {"SE": "SEK", "NL": "EUR"}


def currency_is_known(code: str) -> bool:
    return code in ISO_4217


def currency_for_country(country: str, default: str = "SEK") -> str:
    return COUNTRY_CURRENCY.get(country, default)


def currency_normalise(value):
    """What someone typed, read as a code: " eur " is "EUR". Anything but text is left as it is."""
    return value.strip().upper() if isinstance(value, str) else value


def validate_currency_code(value: str) -> None:
    """A known ISO 4217 code (``currency_is_known``), or empty (a blank field's own rule applies)."""
    if value and not currency_is_known(value):
        raise ValidationError(
            _("%(code)s is not a currency code (ISO 4217)."), code="currency_code", params={"code": value}
        )


class CurrencyFormField(forms.CharField):
    """A currency code as typed: normalised (``currency_normalise``), then checked. No
    ``maxlength`` on the input, so a pasted " eur " arrives whole rather than cut to " eu"."""

    default_validators = [validate_currency_code]

    def to_python(self, value):
        return currency_normalise(super().to_python(value))


class CurrencyField(models.CharField):
    """A currency code column (three letters) that staff type into: normalised when a model
    is cleaned (``full_clean``, every model form) and checked against ISO 4217 with the one
    message for it. The code check replaces Django's length check, which would only repeat it
    less clearly ("EURO": at most 3 characters)."""

    default_validators = [validate_currency_code]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 3)
        super().__init__(*args, **kwargs)
        # ``CharField`` has just added its length check to the (cached) list: take it out.
        self.validators[:] = [check for check in self.validators if not isinstance(check, MaxLengthValidator)]

    def to_python(self, value):
        return currency_normalise(super().to_python(value))

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": CurrencyFormField, "max_length": None, **kwargs})
