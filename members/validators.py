"""Validation of organisation numbers per country, and of phone numbers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def validate_org_number(value: str, country: str) -> str:
    """Return the organisation number in its canonical form, or raise ValidationError.

    Sweden: ten digits with a valid check digit, written NNNNNN-NNNN.
    Netherlands: the eight-digit KvK number.
    """
    compact = re.sub(r"[\s-]", "", value or "")
    if country == "SE":
        if not re.fullmatch(r"\d{10}", compact):
            raise ValidationError(_("A Swedish organisation number has ten digits, like 556016-0680."))
        if not _luhn_ok(compact):
            raise ValidationError(_("This Swedish organisation number has a wrong check digit."))
        return f"{compact[:6]}-{compact[6:]}"
    if country == "NL":
        if not re.fullmatch(r"\d{8}", compact):
            raise ValidationError(_("A Dutch KvK number has eight digits, like 12345678."))
        return compact
    raise ValidationError(_("Organisation numbers from this country are not supported yet."))


# Mailbox providers anyone can get an address at: sending their domain to one company's
# identity provider would send every stranger with such an address there too.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.net",
        "aol.com",
        "hotmail.se",
        "live.se",
        "yahoo.se",
        "telia.com",
        "hotmail.nl",
        "live.nl",
        "ziggo.nl",
        "kpnmail.nl",
    }
)
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def normalise_email_domain(value: str) -> str:
    """The domain as stored (lower case, no ``@``), or ``ValidationError``: a real-looking
    host name that is not a public mailbox provider's."""
    domain = (value or "").strip().lower().lstrip("@").rstrip(".")
    if "\x00" in domain or not _DOMAIN.match(domain):
        raise ValidationError(_("Enter an e-mail domain such as acme.se."))
    if domain in PUBLIC_MAIL_DOMAINS:
        raise ValidationError(
            _("%(domain)s is a public mailbox provider: anyone can have an address there.") % {"domain": domain}
        )
    return domain


# Digits (ASCII only: "٠٨" is no number a phone dials), spaces, "-" and parentheses, with an
# optional "+" in front. 6 to 15 digits: a short local number up to E.164's longest.
_PHONE_CHARACTERS = re.compile(r"\+?[0-9 ()\-]+")
PHONE_DIGITS_MIN = 6
PHONE_DIGITS_MAX = 15


def validate_phone_number(value: str) -> None:
    """Raise ValidationError unless ``value`` (stripped) looks like a phone number a person can dial:
    ``+46 8-123 456 78``, ``(020) 123 4567``. An empty value is left to the field's ``required``."""
    value = (value or "").strip()
    if not value:
        return
    digits = sum(char.isascii() and char.isdigit() for char in value)
    if not _PHONE_CHARACTERS.fullmatch(value) or not PHONE_DIGITS_MIN <= digits <= PHONE_DIGITS_MAX:
        raise ValidationError(
            _(
                "Enter a phone number of %(min)s to %(max)s digits, such as +46 8 123 456 78. "
                "Use only digits, spaces, “+”, “-” and parentheses."
            )
            % {"min": PHONE_DIGITS_MIN, "max": PHONE_DIGITS_MAX},
            code="invalid_phone",
        )
