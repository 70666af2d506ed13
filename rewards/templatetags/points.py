"""Points people understand: every points figure with its money value, and what it brings
the member closer to.

    {% load points %}
    {% points_figure summary.balance %}          12 400 points · 620 SEK
    {{ entry.net_points|points }}                 12 400 points
    {% points_value 12400 %}                      620 SEK
    {% points_with_value 12400 %}                 12 400 points (620 SEK), inside a sentence
    {% points_chart months %}                     the 12-month bar chart (core.charts)
    {% tier_kept_percent outlook as percent %}    how much of its tier a company keeps at the review

The programme rules are read once per request (``programme_rules_for_request``), or taken
from a ``points_rules`` context variable when a view already has them; never per figure.
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from core.charts import BLUE, ORANGE, Chart, Series
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
def entry_description(entry, rules: ProgrammeRules | None = None) -> str:
    """What a ledger entry means to a member. A release moves pending points to the balance
    and changes the total by nothing, so it says how many points became spendable (with
    their value by ``rules``, the reader's company's, when given)."""
    if entry.kind == EntryKind.RELEASE:
        released = -entry.pending_points
        points = format_points(released)
        if rules is not None:
            worth = format_money(_points_value(points=released, rules=rules), rules.currency)
            points = _("%(points)s (%(value)s)") % {"points": points, "value": worth}
        text = _("%(points)s became spendable") % {"points": points}
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


@register.simple_tag
def tier_kept_percent(outlook) -> int:
    """How much of what its tier needs the company already has for the yearly review, 0–100:
    ``outlook.qualifying_points_at_evaluation`` of the tier's qualifying points (the points
    the dashboard's warning says are still missing make up the rest). Rounded down, so the
    bar is full only when the tier is safe; 100 when there is nothing to keep."""
    if outlook is None or outlook.tier is None or not outlook.downgrade_expected:
        return 100
    needed = outlook.tier.qualifying_points
    if needed <= 0:  # a tier open to everyone is only lost by a negative total: nothing of it is covered
        return 0
    return max(0, min(100, outlook.qualifying_points_at_evaluation * 100 // needed))


# --- The 12-month chart --------------------------------------------------------------------


@register.inclusion_tag("components/chart.html", takes_context=True)
def points_chart(context, months, chart_id: str = "points-chart") -> dict:
    """Points earned and spent per month as bars (the portal's chart component,
    ``core.charts``), with a table of the same figures and their money value for screen
    readers."""
    rules = rules_from_context(context)
    months = list(months or [])

    def figure(points: int) -> str:
        return f"{format_points(points)} · {format_money(_points_value(points=points, rules=rules), rules.currency)}"

    chart = Chart(
        id=chart_id,
        kind="bar",
        caption=_("Points earned and spent per month over the last 12 months."),
        empty_text=_("No points earned or spent in the last 12 months yet."),
        labels=[formats.date_format(m.month, "M") for m in months],
        series=[
            Series(_("Earned"), [m.earned for m in months], BLUE),
            Series(_("Spent"), [m.spent for m in months], ORANGE),
        ],
        columns=[_("Month"), _("Earned"), _("Spent")],
        rows=[[formats.date_format(m.month, "F Y"), figure(m.earned), figure(m.spent)] for m in months],
        table_caption=_("Points earned and spent per month"),
        unit="points",
    )
    return {"chart": chart, "spec": chart.spec(), "table": "hidden"}
