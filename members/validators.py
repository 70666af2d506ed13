"""Validation of organisation numbers per country."""

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
