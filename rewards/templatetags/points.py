"""Points people understand: every points figure with its money value, and what it brings
the member closer to.

    {% load points %}
    {% points_figure summary.balance %}          12 400 points · 620 SEK
    {{ entry.net_points|points }}                 12 400 points
    {% points_value 12400 %}                      620 SEK
    {% points_with_value 12400 %}                 12 400 points (620 SEK), inside a sentence
    {% points_chart months %}                     the 12-month bar chart (inline SVG)

The programme rules are read once per request (``programme_rules_for_request``), or taken
from a ``points_rules`` context variable when a view already has them; never per figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from core.formatting import format_money, format_number, format_points
from rewards.ledger.selectors import points_value as _points_value
from rewards.ledger.selectors import programme_rules_for_request
from rewards.models import EntryKind, ProgrammeRules

register = template.Library()


def rules_from_context(context) -> ProgrammeRules:
    rules = context.get("points_rules")
    if rules is not None:
        return rules
    request = context.get("request")
    if request is not None:
        return programme_rules_for_request(request)
    # No request (an e-mail, a test rendering a bare template): once per render.
    cache = context.render_context
    if "points_rules" not in cache:
        cache["points_rules"] = ProgrammeRules.current()
    return cache["points_rules"]


@register.filter(name="points")
def points_filter(value) -> str:
    """``{{ 12400|points }}`` → "12 400 points"."""
    if value in (None, ""):
        return ""
    return format_points(int(value))


@register.filter
def rate(value) -> str:
    """A Decimal rate without trailing zeros and never in exponent form, with the active
    language's decimal mark: 0.0200 → "0.02" in English, "0,02" in Swedish."""
    if value in (None, ""):
        return ""
    return formats.number_format(format(Decimal(value).normalize(), "f"), use_l10n=True)


@register.filter
def entry_description(entry) -> str:
    """What a ledger entry means to a member. A release moves pending points to the balance
    and changes the total by nothing, so it says how many points became spendable."""
    if entry.kind == EntryKind.RELEASE:
        text = _("%(points)s became spendable") % {"points": format_points(-entry.pending_points)}
        return f"{text}. {entry.memo}" if entry.memo else text
    return entry.memo


@register.filter
def number(value) -> str:
    """``{{ 12400|number }}`` → "12 400" (thousands grouped)."""
    if value in (None, ""):
        return ""
    return format_number(int(value))


@register.simple_tag(takes_context=True)
def points_value(context, points) -> str:
    """``{% points_value 12400 %}`` → "620 SEK" at the programme's point value."""
    rules = rules_from_context(context)
    return format_money(_points_value(points=int(points or 0), rules=rules), rules.currency)


@register.simple_tag(takes_context=True)
def points_with_value(context, points) -> str:
    """``{% points_with_value 12400 %}`` → "12 400 points (620 SEK)": a figure inside a
    sentence, where ``points_figure``'s markup would not fit."""
    rules = rules_from_context(context)
    points = int(points or 0)
    return _("%(points)s (%(value)s)") % {
        "points": format_points(points),
        "value": format_money(_points_value(points=points, rules=rules), rules.currency),
    }


@register.inclusion_tag("components/points.html", takes_context=True)
def points_figure(context, points, size: str = "", signed: bool = False, closer_to: str = "") -> dict:
    """The reusable points figure: "12 400 points · 620 SEK".

    ``size="lg"`` for a headline figure; ``signed=True`` prints +/− (ledger rows);
    ``closer_to`` is an optional line under the figure ("3 600 points to Gold").
    """
    rules = rules_from_context(context)
    points = int(points or 0)
    value = _points_value(points=points, rules=rules)
    sign = ""
    if signed and points > 0:
        sign = "+"
    elif points < 0:
        sign = "\u2212"
    return {
        "points_text": sign + format_points(abs(points)),
        "value_text": sign + format_money(abs(value), rules.currency),
        "size": size,
        "closer_to": closer_to,
        "negative": points < 0,
    }


@register.simple_tag(takes_context=True)
def points_to_next_tier(context, summary) -> str:
    """ "3 600 points (180 SEK) to Gold", or "" when there is no higher tier."""
    if summary is None or summary.next_tier is None or summary.points_to_next_tier is None:
        return ""
    rules = rules_from_context(context)
    return _("%(points)s (%(value)s) to %(tier)s") % {
        "points": format_points(summary.points_to_next_tier),
        "value": format_money(_points_value(points=summary.points_to_next_tier, rules=rules), rules.currency),
        "tier": summary.next_tier.name,
    }


# --- The 12-month chart --------------------------------------------------------------------

CHART_WIDTH = 640
CHART_HEIGHT = 240
CHART_LEFT = 56  # room for the axis labels
CHART_TOP = 12
CHART_BOTTOM = 28  # room for the month labels
CHART_RIGHT = 8


@dataclass(frozen=True)
class ChartBar:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class ChartMonth:
    month: object
    earned: int
    spent: int
    earned_bar: ChartBar
    spent_bar: ChartBar
    label_x: float


@dataclass(frozen=True)
class ChartTick:
    y: float
    label: str


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 2.5, 5 × 10^n at or above ``value`` (at least 10)."""
    if value <= 10:
        return 10
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        candidate = int(step * magnitude)
        if candidate >= value:
            return candidate
    return 10 * magnitude


@register.inclusion_tag("rewards/includes/points_chart.html", takes_context=True)
def points_chart(context, months, chart_id: str = "points-chart") -> dict:
    """Bars for points earned and spent per month, computed here so the SVG needs no script
    and no inline style (strict CSP): only geometry attributes and CSS classes."""
    months = list(months or [])
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    baseline = CHART_TOP + plot_height
    top = _nice_ceiling(max([0] + [max(m.earned, m.spent) for m in months]))
    slot = plot_width / max(1, len(months))
    bar_width = slot * 0.34

    def bar(x: float, points: int) -> ChartBar:
        height = round(plot_height * max(0, points) / top, 1)
        return ChartBar(x=round(x, 1), y=round(baseline - height, 1), width=round(bar_width, 1), height=height)

    chart_months = []
    for index, month in enumerate(months):
        left = CHART_LEFT + index * slot
        chart_months.append(
            ChartMonth(
                month=month.month,
                earned=month.earned,
                spent=month.spent,
                earned_bar=bar(left + slot * 0.14, month.earned),
                spent_bar=bar(left + slot * 0.52, month.spent),
                label_x=round(left + slot / 2, 1),
            )
        )
    ticks = [
        ChartTick(y=round(baseline - plot_height * fraction, 1), label=format_number(int(top * fraction)))
        for fraction in (0, 0.5, 1)
    ]
    return {
        "points_rules": rules_from_context(context),
        "chart_id": chart_id,
        "months": chart_months,
        "ticks": ticks,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "plot_left": CHART_LEFT,
        "plot_right": CHART_WIDTH - CHART_RIGHT,
        "baseline": baseline,
        "label_y": CHART_HEIGHT - 8,
        "has_data": any(m.earned or m.spent for m in months),
    }
