"""Template helpers for the reward catalogue and orders.

{% load reward_tags %}
{{ reward.value|money:reward.currency }}          500 SEK
{% reward_standing_block reward standing %}     "You can redeem this now" or "N points to go" + bar
{% progress_bar 40 "Label for screen readers" %}
{% company_reward_goal as goal %}                 the dashboard's goal panel data (one query)
{% company_approval_limit company as limit %}      the approval limit in points, or None (one query)
{% status_badge redemption %}
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext as _

from rewards.catalogue.selectors import Standing, company_goal, company_reward_position
from rewards.ledger.selectors import points_value
from rewards.redemptions.services import can_redeem
from rewards.redemptions.tables import status_badge as _status_badge

from .points import format_money, format_points, rules_from_context

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    """``{{ 1500|money:"SEK" }}`` → "1 500 SEK"; empty for what is not an amount (a filter
    fails quietly, as Django's own do)."""
    if amount in (None, ""):
        return ""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return format_money(value, currency)


@register.inclusion_tag("components/progress_bar.html")
def progress_bar(percent, label: str) -> dict:
    """A progress bar (inline SVG, geometry attributes only, so the strict CSP holds) with its
    value for screen readers."""
    percent = max(0, min(100, int(percent or 0)))
    return {"percent": percent, "label": label}


@register.inclusion_tag("rewards/includes/standing.html", takes_context=True)
def reward_standing_block(context, reward, standing, compact: bool = False) -> dict:
    """What the company's balance means for one reward: redeemable now, or the points (and
    their money value) still to go with a progress bar, or why it cannot be redeemed."""
    rules = rules_from_context(context)
    request = context.get("request")
    # A viewer's company may have the points, but the viewer cannot redeem: say it so.
    may_redeem = can_redeem(getattr(request, "membership", None)) if request is not None else False
    to_go_text = ""
    if standing.state == Standing.POINTS_TO_GO:
        to_go_text = _("%(points)s to go (%(value)s)") % {
            "points": format_points(standing.points_to_go),
            "value": format_money(points_value(points=standing.points_to_go, rules=rules), rules.currency),
        }
    return {
        "reward": reward,
        "standing": standing,
        "may_redeem": may_redeem,
        "Standing": Standing,
        "to_go_text": to_go_text,
        "compact": compact,
        "progress_label": _("Your balance covers %(percent)s %% of this reward") % {"percent": standing.percent},
    }


@register.simple_tag(takes_context=True)
def company_reward_goal(context):
    """The member's company goal with its progress, for the dashboard (one query). Uses the
    balance the dashboard already has (``points.summary``) when it is in the context."""
    request = context.get("request")
    membership = getattr(request, "membership", None) if request else None
    if not membership:
        return None
    points = context.get("points")
    if points is not None:
        balance = points.summary.balance
    else:
        balance = company_reward_position(company=membership.company).balance
    return company_goal(company=membership.company, balance=balance)


@register.simple_tag
def status_badge(redemption) -> str:
    return _status_badge(redemption)


@register.simple_tag
def company_approval_limit(company):
    """The company's approval limit in points (None: no limit), for pages outside rewards
    that mention it (the Company page). One query."""
    from rewards.models import CompanyRewardSettings

    return CompanyRewardSettings.objects.filter(company=company).values_list("approval_threshold", flat=True).first()
