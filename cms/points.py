"""Everything cms reads about the points economy, in one place.

``rewards`` (a floor below) owns tiers, points accounts and the programme rules; content
pages only read them, through this module, as plain facts the templates word. Offer
audiences are a many-to-many to ``rewards.Tier`` and an offer's button may open a
``rewards.Reward``; everything else cms reads about points goes through the functions here.
How campaign points stack on top is asked of the earn pipeline's contributors
(``rewards.earn``), so cms needs no app above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from core.content_language import content_language
from rewards.catalogue.selectors import catalogue_rewards, company_reward_position, reward_standing
from rewards.earn import earn_contributors
from rewards.models import PointsAccount, ProductCategory, ProgrammeRules, Tier


@dataclass(frozen=True)
class TierInfo:
    key: str
    name: str
    threshold: int | None = None
    pk: int | None = None
    earn_multiplier: Decimal | None = None
    benefits: str = ""
    # The languages the name and the benefits are shown in when they fall back (else "").
    name_language: str = ""
    benefits_language: str = ""


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


def _tier_info(tier: Tier) -> TierInfo:
    return TierInfo(
        key=tier.name.strip().lower(),
        name=tier.name,
        threshold=tier.qualifying_points,
        pk=tier.pk,
        earn_multiplier=_plain(tier.earn_multiplier),
        benefits=tier.benefits,
        name_language=content_language(tier, "name"),
        benefits_language=content_language(tier, "benefits"),
    )


def all_tiers() -> list[TierInfo]:
    """Every tier, lowest first."""
    return [_tier_info(tier) for tier in Tier.objects.order_by("qualifying_points", "pk")]


def company_tier(company) -> TierInfo | None:
    """The tier a member company is in now, or None (no account yet, or below every tier)."""
    if company is None:
        return None
    account = PointsAccount.objects.select_related("tier").filter(company=company).first()
    return _tier_info(account.tier) if account is not None and account.tier is not None else None


def request_tier(request) -> TierInfo | None:
    """``company_tier`` for the request's member, computed once per request."""
    if not hasattr(request, "_cms_tier"):
        membership = getattr(request, "membership", None)
        request._cms_tier = company_tier(membership.company) if membership else None
    return request._cms_tier


def programme_facts(currency: str = "") -> ProgrammeFacts:
    """Earn rate, point value, expiry, multipliers and tiers as rewards has them now, in
    ``currency`` (a member's company's) when the programme runs in it, else the base currency."""
    # No row yet means the defaults apply; an unsaved instance carries them without a write.
    rules = ProgrammeRules.objects.order_by("pk").first() or ProgrammeRules()
    if currency and rules.pk:
        rules = rules.in_currency_or_base(currency)
    facts: dict = {
        "tiers": all_tiers(),
        "points_per_currency_unit": _plain(rules.points_per_currency_unit),
        "point_value": _plain(rules.point_value),
        "currency": rules.currency,
        "return_window_days": rules.return_window_days,
        "expiry_months": rules.expiry_months,
        "earn_rules": [
            EarnRule(name=category.name, multiplier=_plain(category.multiplier))
            for category in ProductCategory.objects.all()
        ],
    }
    facts["campaign_example"] = _campaign_example(facts)
    return ProgrammeFacts(**facts)


def companies_in_tiers(tier_ids) -> list[int]:
    """Ids of the companies who may open a tier offer for ``tier_ids``: those whose points
    account is in one of them or in a tier ranked above the lowest of them (a perk of a tier
    is a perk of every tier above it; rank is ``Tier.qualifying_points``)."""
    if not tier_ids:
        return []
    lowest = Tier.objects.filter(pk__in=list(tier_ids)).order_by("qualifying_points").values("qualifying_points")[:1]
    return list(PointsAccount.objects.filter(tier__qualifying_points__gte=lowest).values_list("company_id", flat=True))


def tiers_reached_above(tier: Tier) -> bool:
    """Whether an offer whose lowest chosen tier is ``tier`` also reaches companies in other
    tiers (``companies_in_tiers``: those ranked at or above it). One query."""
    return Tier.objects.filter(qualifying_points__gte=tier.qualifying_points).exclude(pk=tier.pk).exists()


def _campaign_example(facts: dict):
    """The first worked example an earn contributor (campaigns) gives for these rules, or
    None when no contributor has one."""
    for contributor in earn_contributors():
        example = contributor.stacking_example(facts)
        if example is not None:
            return example
    return None


@dataclass(frozen=True)
class OfferReward:
    """The reward an offer's button opens, and what the member's company balance means for it."""

    reward: object
    standing: object


def catalogue_reward(*, reward_id: int, now=None, company=None):
    """The reward ``reward_id`` as the catalogue shows it to members (to ``company``'s: None
    when it is not offered to it, as another currency's gift card), or None when it is no
    longer in the catalogue. Without ``company``, for staff, who preview an offer's reward
    without a company of their own. Two queries (the reward, its pictures)."""
    return catalogue_rewards(company=company, now=now or timezone.now()).filter(pk=reward_id).first()


def reward_standing_for(*, reward_id: int, company) -> OfferReward | None:
    """The catalogue reward ``reward_id`` with the company's standing for it ("redeem now", or
    "N points to go"), or None when it is no longer in the catalogue. Three queries."""
    now = timezone.now()
    reward = catalogue_reward(reward_id=reward_id, now=now, company=company)
    if reward is None:
        return None
    position = company_reward_position(company=company)
    return OfferReward(
        reward=reward, standing=reward_standing(reward=reward, balance=position.balance, tier=position.tier, now=now)
    )
