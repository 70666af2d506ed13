"""Campaign pieces for templates that other apps render (dashboard banners, the company
page's badges) and the staff charts.

    {% load campaigns %}
    {% campaign_banners %}            running campaigns for the member's company (never the hold-out)
    {% company_badges company %}      the company's badges
    {{ rule|rule_text }}              "Double points on Power tools"
    {% results_chart results %}       treated against hold-out, revenue per company per week (core.charts)

Charts are inline SVG with geometry attributes and CSS classes only (strict CSP), like
``rewards/templatetags/points.py``'s.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from core.charts import BLUE, ORANGE, Chart, Series
from core.formatting import format_money, format_number
from rewards.templatetags.points import rules_from_context

from ..models import RuleKind
from ..selectors import campaign_banners_for
from ..selectors import company_badges as _company_badges

register = template.Library()


@register.inclusion_tag("campaigns/includes/banners.html", takes_context=True)
def campaign_banners(context) -> dict:
    """Banners for the running campaigns the request's company is treated in (one query)."""
    request = context.get("request")
    membership = getattr(request, "membership", None) if request is not None else None
    campaigns = campaign_banners_for(company=membership.company) if membership else []
    return {"campaigns": campaigns, "request": request}


@register.inclusion_tag("campaigns/includes/company_badges.html")
def company_badges(company) -> dict:
    return {"awards": _company_badges(company=company) if company else []}


def _plain(value: Decimal) -> str:
    value = Decimal(value)
    return format(value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize(), "f")


@register.filter
def multiplier_text(value) -> str:
    """2 → "Double points", 3 → "Triple points", 1.5 → "×1.5 points"."""
    value = Decimal(value)
    if value == 2:
        return _("Double points")
    if value == 3:
        return _("Triple points")
    return _("×%(multiplier)s points") % {"multiplier": _plain(value)}


@register.simple_tag(takes_context=True)
def rule_text(context, rule) -> str:
    """What a campaign rule gives, in a member's words."""
    rules = rules_from_context(context)
    if rule.kind == RuleKind.MULTIPLIER:
        names = [category.name for category in rule.categories.all()]
        if names:
            return _("%(what)s on %(categories)s") % {
                "what": multiplier_text(rule.multiplier),
                "categories": ", ".join(names),
            }
        return _("%(what)s on every purchase") % {"what": multiplier_text(rule.multiplier)}
    points = format_number(rule.bonus_points or 0)
    if rule.kind == RuleKind.FIRST_PURCHASE:
        return _("%(points)s bonus points on your first purchase in the campaign") % {"points": points}
    return _("%(points)s bonus points on every purchase from %(amount)s") % {
        "points": points,
        "amount": format_money(threshold_in(rule.min_amount, rules), rules.currency),
    }


def threshold_in(min_amount: Decimal, rules) -> Decimal:
    """A base-currency threshold as the reader's currency reaches it (``campaigns.earn.
    large_enough``: the amount that earns as much at its rate), rounded up to whole units."""
    base = rules.base
    if rules is base or not rules.points_per_currency_unit:
        return min_amount
    exact = min_amount * base.points_per_currency_unit / rules.points_per_currency_unit
    return exact.to_integral_value(rounding=ROUND_CEILING)


ACTIVITY_ICONS = {
    "review": "star-half",
    "survey": "chat-square-heart",
    "event": "calendar-event",
    "referral": "people",
    "profile": "person-check",
    "custom": "patch-check",
}


@register.filter
def activity_icon(kind: str) -> str:
    """The Bootstrap icon of an activity kind."""
    return ACTIVITY_ICONS.get(kind, "check2-circle")


@register.filter
def percent(value, decimals: int = 0) -> str:
    """A 0–1 fraction as a percentage: 0.425 → "42.5 %"."""
    if value is None or value == "":
        return "–"
    number = Decimal(value) * 100
    return f"{format_number(number, int(decimals))}\u00a0%"


@register.simple_tag(takes_context=True)
def money(context, value, signed_value: bool = False) -> str:
    """A money amount in the programme's currency, grouped: "304 336 SEK" (whole units);
    ``signed_value=True`` prints + or −."""
    if value is None or value == "":
        return "–"
    rules = rules_from_context(context)
    amount = Decimal(value).quantize(Decimal(1))
    text = format_money(abs(amount), rules.currency)
    if not signed_value:
        return ("\u2212" if amount < 0 else "") + text
    return ("+" if amount > 0 else "\u2212" if amount < 0 else "") + text


@register.filter
def signed(value, decimals=None) -> str:
    """A change with its sign, in the reader's number format: "+55.6" / "+55,6", "−3" with a
    real minus sign (U+2212), "0" unsigned; "–" for nothing. ``{{ value|signed:1 }}`` rounds
    to that many decimal places (the sign is the rounded figure's); without them a whole
    number shows none and any other its own."""
    if value is None or value == "":
        return "–"
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if decimals is None or decimals == "":
        places = 0 if number == number.to_integral_value() else max(0, -number.normalize().as_tuple().exponent)
    else:
        places = int(decimals)
    number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = formats.number_format(abs(number), decimal_pos=places, force_grouping=True)
    return ("+" if number > 0 else "\u2212" if number < 0 else "") + text


# --- Results chart: revenue per company per week, treated against hold-out ----------------------


@register.inclusion_tag("components/chart.html", takes_context=True)
def results_chart(context, results) -> dict:
    """Net revenue per company per week, treated against the hold-out, with the campaign's
    start marked (the portal's chart component, ``core.charts``) and the weeks as a table."""
    weeks = list(results.weeks)
    rules = rules_from_context(context)
    first_during = next((index for index, week in enumerate(weeks) if week.during), None)
    treated = _("Treated (%(currency)s per company)") % {"currency": rules.currency}
    holdout = _("Hold-out (%(currency)s per company)") % {"currency": rules.currency}
    chart = Chart(
        id="results-chart",
        kind="line",
        caption=_(
            "Net revenue per company per week: the treated companies against the hold-out; the band marks the campaign."
        ),
        empty_text=_("No purchases by the campaign's companies in these periods yet."),
        labels=[formats.date_format(week.week, "SHORT_DATE_FORMAT") for week in weeks],
        series=[
            Series(_("Treated"), [float(week.treated_per_company) for week in weeks], BLUE),
            Series(_("Hold-out"), [float(week.holdout_per_company) for week in weeks], ORANGE),
        ],
        columns=[_("Week of"), treated, holdout, _("Period")],
        rows=[
            [
                formats.date_format(week.week, "SHORT_DATE_FORMAT"),
                format_money(week.treated_per_company, rules.currency),
                format_money(week.holdout_per_company, rules.currency),
                _("during") if week.during else _("before"),
            ]
            for week in weeks
        ],
        table_caption=_("The figures by week"),
        unit=rules.currency,
        marker=first_during,
        marker_label=_("Campaign start"),
    )
    return {"chart": chart, "spec": chart.spec(), "table": "details"}


@register.simple_tag
def nps_bar(score) -> dict:
    """Geometry of a −100…100 NPS bar in a 200-wide box centred on 0."""
    if score is None:
        return {"x": 100, "width": 0, "negative": False}
    width = abs(int(score))
    return {"x": 100 if score >= 0 else 100 - width, "width": width, "negative": score < 0}
