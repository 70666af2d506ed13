"""Numbers, money and points as people read them, in the active language.

Services, tables, notices and template tags all format through here, so a figure reads
the same in a page, an e-mail, an export and a notification.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats, numberformat
from django.utils.translation import ngettext


def format_number(value: int | Decimal, decimals: int = 0) -> str:
    """A number grouped in thousands with the active language's separator: 12 400."""
    return numberformat.format(
        value,
        formats.get_format("DECIMAL_SEPARATOR"),
        decimal_pos=decimals,
        grouping=formats.get_format("NUMBER_GROUPING") or 3,
        thousand_sep=formats.get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )


def format_money(amount: Decimal, currency: str, *, cents: bool = False) -> str:
    """620 SEK, 12.35 SEK: whole amounts without decimals, others with two; with ``cents``
    always two (620.00 SEK), for a column of amounts: in Dutch "690.265 EUR" beside
    "4.818.669,79 EUR" reads as a fraction."""
    decimals = 2 if cents or amount != amount.to_integral_value() else 0
    return f"{format_number(amount, decimals)}\u00a0{currency}"


def format_points(points: int) -> str:
    return ngettext("%(points)s point", "%(points)s points", abs(points)) % {"points": format_number(points)}
