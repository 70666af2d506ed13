"""Campaign pieces for templates that other apps render (dashboard banners, the company
page's badges) and the staff charts.

    {% load campaigns %}
    {% campaign_banners %}            running campaigns for the member's company (never the hold-out)
    {% company_badges company %}      the company's badges
    {{ rule|rule_text }}              "Double points on Power tools"
    {% results_chart results %}       treated against hold-out, revenue per company per week (SVG)

Charts are inline SVG with geometry attributes and CSS classes only (strict CSP), like
``rewards/templatetags/points.py``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

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
def signed(value) -> str:
    """+12.5 / −3 with a real minus sign; "–" for nothing."""
    if value is None or value == "":
        return "–"
    number = Decimal(value)
    text = _plain(abs(number)) if number == number.to_integral_value() else format(abs(number), "f")
    return ("+" if number > 0 else "\u2212" if number < 0 else "") + text


# --- Results chart: revenue per company per week, treated against hold-out ----------------------

CHART_WIDTH = 720
CHART_HEIGHT = 260
CHART_LEFT = 72
CHART_RIGHT = 30
CHART_TOP = 12
CHART_BOTTOM = 30


@dataclass(frozen=True)
class ChartTick:
    y: float
    label: str


@dataclass(frozen=True)
class ChartLabel:
    x: float
    text: str


def _nice_ceiling(value: Decimal) -> Decimal:
    if value <= 10:
        return Decimal(10)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, Decimal("2.5"), 5, 10):
        candidate = magnitude * Decimal(step)
        if candidate >= value:
            return candidate
    return magnitude * 10


@register.inclusion_tag("campaigns/includes/results_chart.html", takes_context=True)
def results_chart(context, results) -> dict:
    weeks = list(results.weeks)
    rules = rules_from_context(context)
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    baseline = CHART_TOP + plot_height
    top = _nice_ceiling(max([Decimal(0)] + [max(w.treated_per_company, w.holdout_per_company) for w in weeks]))
    step = plot_width / max(1, len(weeks) - 1)

    def x(index: int) -> float:
        return round(CHART_LEFT + index * step, 1) if len(weeks) > 1 else CHART_LEFT + plot_width / 2

    def y(value: Decimal) -> float:
        return round(baseline - plot_height * float(max(Decimal(0), value) / top), 1)

    treated = " ".join(f"{x(i)},{y(w.treated_per_company)}" for i, w in enumerate(weeks))
    holdout = " ".join(f"{x(i)},{y(w.holdout_per_company)}" for i, w in enumerate(weeks))
    first_during = next((index for index, week in enumerate(weeks) if week.during), None)
    every = max(1, len(weeks) // 8)
    labels = [ChartLabel(x(i), week.week.strftime("%d/%m")) for i, week in enumerate(weeks) if i % every == 0]
    ticks = [
        ChartTick(
            round(baseline - plot_height * fraction, 1),
            format_money((top * Decimal(str(fraction))).quantize(Decimal(1)), rules.currency),
        )
        for fraction in (0, 0.5, 1)
    ]
    start_x = None
    if first_during is not None:
        start_x = round(x(first_during) - (step / 2 if first_during else 0), 1)
    return {
        "weeks": weeks,
        "start_x": start_x,
        "during_width": round(CHART_WIDTH - CHART_RIGHT - start_x, 1) if start_x is not None else 0,
        "plot_height": plot_height,
        "treated_points": treated,
        "holdout_points": holdout,
        "labels": labels,
        "ticks": ticks,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "plot_left": CHART_LEFT,
        "plot_right": CHART_WIDTH - CHART_RIGHT,
        "plot_top": CHART_TOP,
        "baseline": baseline,
        "label_y": CHART_HEIGHT - 10,
        "currency": rules.currency,
        "has_data": len(weeks) > 0,
        "today": timezone.localdate(),
    }


@register.simple_tag
def nps_bar(score) -> dict:
    """Geometry of a −100…100 NPS bar in a 200-wide box centred on 0."""
    if score is None:
        return {"x": 100, "width": 0, "negative": False}
    width = abs(int(score))
    return {"x": 100 if score >= 0 else 100 - width, "width": width, "negative": score < 0}
