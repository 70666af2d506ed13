"""Everything cms knows about the points economy, in one place.

The ``rewards`` app owns tiers, points accounts and the programme rules. Content
pages only *read* them, and only through this module, so that:

- cms works (and its tests run) before or without the rewards models: every function
  here degrades to "no tiers, no rules" when a model or field is missing;
- when rewards changes a name, only this file changes.

Offer audiences are a many-to-many to ``rewards.Tier`` and an offer's button may open a
``rewards.Reward`` (the two schema links to rewards); everything else cms reads about
points goes through the functions here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import FieldError
from django.db import DatabaseError


@dataclass(frozen=True)
class TierInfo:
    key: str
    name: str
    threshold: int | None = None
    pk: int | None = None
    earn_multiplier: Decimal | None = None
    benefits: str = ""


@dataclass(frozen=True)
class EarnRule:
    name: str
    multiplier: Decimal


@dataclass(frozen=True)
class ProgrammeFacts:
    """The rules a member needs to understand the programme, read live from rewards."""

    points_per_currency_unit: Decimal | None = None
    point_value: Decimal | None = None
    currency: str = "SEK"
    return_window_days: int | None = None
    expiry_months: int | None = None
    earn_rules: list[EarnRule] = field(default_factory=list)
    tiers: list[TierInfo] = field(default_factory=list)
    # How campaign points stack with these rules, worked through (campaigns.earn), or None.
    campaign_example: object | None = None

    @property
    def available(self) -> bool:
        return self.points_per_currency_unit is not None or bool(self.tiers) or bool(self.earn_rules)


def _plain(value):
    """A Decimal without trailing zeros (0.0500 -> 0.05, 1.0000 -> 1), for display."""
    if not isinstance(value, Decimal):
        return value
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _model(name: str):
    try:
        return apps.get_model("rewards", name)
    except LookupError:
        return None


def _first_attr(obj, *names, default=None):
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return default


def _tier_info(tier) -> TierInfo:
    key = _first_attr(tier, "code", "slug", default=None) or str(tier).strip()
    threshold = _first_attr(tier, "qualifying_points", "threshold", default=None)
    return TierInfo(
        key=str(key).lower(),
        name=str(_first_attr(tier, "name", default=tier)),
        threshold=threshold,
        pk=tier.pk,
        earn_multiplier=_plain(_first_attr(tier, "earn_multiplier")),
        benefits=_first_attr(tier, "benefits", default="") or "",
    )


def tiers_available() -> bool:
    return _model("Tier") is not None


def all_tiers() -> list[TierInfo]:
    """Every tier, lowest first; an empty list before rewards has tiers."""
    Tier = _model("Tier")
    if Tier is None:
        return []
    try:
        tiers = list(Tier.objects.all())
    except DatabaseError:  # the table is not migrated yet
        return []
    infos = [_tier_info(tier) for tier in tiers]
    return sorted(infos, key=lambda info: (info.threshold is None, info.threshold or 0, info.name))


def company_tier(company) -> TierInfo | None:
    """The tier a member company is in now, or None (no account, no tiers yet)."""
    if company is None:
        return None
    PointsAccount = _model("PointsAccount")
    if PointsAccount is None:
        return None
    try:
        account = PointsAccount.objects.select_related("tier").filter(company=company).first()
    except (DatabaseError, FieldError):  # not migrated yet, or the fields are named differently
        return None
    tier = getattr(account, "tier", None) if account else None
    return _tier_info(tier) if tier is not None else None


def request_tier(request) -> TierInfo | None:
    """``company_tier`` for the request's member, computed once per request."""
    if not hasattr(request, "_cms_tier"):
        membership = getattr(request, "membership", None)
        request._cms_tier = company_tier(membership.company) if membership else None
    return request._cms_tier


def programme_facts() -> ProgrammeFacts:
    """Earn rate, point value, expiry, multipliers and tiers as rewards has them now."""
    facts: dict = {"tiers": all_tiers()}
    Rules = _model("ProgrammeRules")
    if Rules is not None:
        try:
            # No row yet means the defaults apply (rewards creates the row on first write);
            # an unsaved instance carries them without writing on a read.
            rules = Rules.objects.order_by("pk").first() or Rules()
        except DatabaseError:
            rules = None
        if rules is not None:
            facts["points_per_currency_unit"] = _plain(
                _first_attr(rules, "points_per_currency_unit", "points_per_unit", "earn_rate")
            )
            facts["point_value"] = _plain(_first_attr(rules, "point_value", "point_value_sek", "value_per_point"))
            facts["currency"] = _first_attr(rules, "currency", default="SEK")
            facts["return_window_days"] = _first_attr(rules, "return_window_days", "return_window")
            facts["expiry_months"] = _first_attr(rules, "expiry_months", "points_expiry_months")
    Category = _model("ProductCategory")
    if Category is not None:
        try:
            categories = list(Category.objects.all())
        except DatabaseError:
            categories = []
        facts["earn_rules"] = [
            EarnRule(
                name=str(_first_attr(c, "name", default=c)), multiplier=_plain(_first_attr(c, "multiplier", default=1))
            )
            for c in categories
        ]
    facts["campaign_example"] = _campaign_example(facts)
    return ProgrammeFacts(**facts)


def companies_in_tiers(tier_ids) -> list[int]:
    """Ids of the companies whose points account is in one of ``tier_ids`` (who may open a
    tier offer); empty before rewards has accounts."""
    PointsAccount = _model("PointsAccount")
    if PointsAccount is None or not tier_ids:
        return []
    try:
        return list(PointsAccount.objects.filter(tier_id__in=list(tier_ids)).values_list("company_id", flat=True))
    except (DatabaseError, FieldError):
        return []


def _campaign_example(facts: dict):
    """The stacking rule of campaigns worked through for the richest range and the top tier:
    a double-points campaign with a first-purchase bonus. None without the campaigns app."""
    if not apps.is_installed("campaigns") or facts.get("points_per_currency_unit") is None:
        return None
    from campaigns.earn import stacking_example

    category = max(facts.get("earn_rules") or [], key=lambda rule: rule.multiplier, default=None)
    tier = max(
        (tier for tier in facts.get("tiers") or [] if tier.earn_multiplier),
        key=lambda tier: tier.threshold or 0,
        default=None,
    )
    return stacking_example(
        per_unit=Decimal(facts["points_per_currency_unit"]),
        category_name=category.name if category else "",
        category_multiplier=Decimal(category.multiplier) if category else Decimal("1"),
        tier_name=tier.name if tier else "",
        tier_multiplier=Decimal(tier.earn_multiplier) if tier else Decimal("1"),
        currency=facts.get("currency") or "SEK",
    )


@dataclass(frozen=True)
class OfferReward:
    """The reward an offer's button opens, and what the member's company balance means for it."""

    reward: object
    standing: object


def reward_standing_for(*, reward_id: int, company) -> OfferReward | None:
    """The catalogue reward ``reward_id`` with the company's standing for it ("redeem now", or
    "N points to go"), or None when it is no longer in the catalogue. Three queries."""
    from django.utils import timezone

    from rewards.selectors import catalogue_rewards, company_reward_position, reward_standing

    now = timezone.now()
    reward = catalogue_rewards(now=now).filter(pk=reward_id).first()
    if reward is None:
        return None
    position = company_reward_position(company=company)
    return OfferReward(
        reward=reward, standing=reward_standing(reward=reward, balance=position.balance, tier=position.tier, now=now)
    )
