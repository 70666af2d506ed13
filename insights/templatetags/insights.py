"""Figures as Insights shows them: money with its currency, a change against a comparison
period, and bar widths for the inline SVG charts (geometry attributes only: strict CSP)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.html import format_html

from core.formatting import format_money, format_number, format_points

register = template.Library()


@register.filter
def money(amount, currency: str = "SEK") -> str:
    """An amount in cents with its currency, always with two decimals (Insights' tables mix
    whole and broken amounts in one column), "–" for none."""
    if amount is None:
        return "–"
    return format_money(Decimal(amount).quantize(Decimal("0.01")), currency, cents=True)


@register.filter
def headline_money(amount, currency: str = "SEK") -> str:
    """``money`` for a large figure in a narrow card: the amount kept on one line, the
    currency free to go to the next (``money`` ties them, and a long amount in large type
    was broken inside the currency code)."""
    if amount is None:
        return "–"
    figure = money(amount, currency)
    number_part, _space, code = figure.rpartition("\u00a0")
    return format_html('<span class="text-nowrap">{}</span> {}', number_part, code)


@register.filter
def number(value, decimals: int = 0) -> str:
    if value is None:
        return "–"
    return format_number(value, decimals)


@register.filter
def points(value) -> str:
    if value is None:
        return "–"
    return format_points(int(value))


@register.filter
def percent(value) -> str:
    if value is None:
        return "–"
    return f"{format_number(value, 1)}\u00a0%"


@register.simple_tag
def change(current, other) -> dict | str:
    """The relative change from ``other`` to ``current`` in % (one decimal), or "" when
    there is nothing to compare with."""
    if current is None or other is None or not other:
        return ""
    value = (Decimal(current) - Decimal(other)) * 100 / abs(Decimal(other))
    return f"{'+' if value > 0 else ''}{format_number(value.quantize(Decimal('0.1')), 1)}\u00a0%"


@register.simple_tag
def bar_width(value, maximum, width: int = 100) -> str:
    """The length of a bar for ``value`` on a scale where ``maximum`` is ``width`` units."""
    if not value or not maximum or maximum <= 0 or value <= 0:
        return "0"
    return f"{float(value) * width / float(maximum):.2f}"
