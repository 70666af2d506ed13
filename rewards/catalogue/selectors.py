"""Reads of the reward catalogue: availability, standing of a reward for a company, the goal.

**Money rewards are offered in their own currency only.** A reward whose value is a sum of
money in the reward's ``currency`` (``CURRENCY_BOUND_KINDS``: a gift card or fuel card code,
a credit on the next invoice, a donation given in the company's name) is offered to, and
redeemable by, only the companies that buy in that currency (``Company.purchase_currency``):
a 200 SEK gift card, 1 000 SEK off an invoice or 250 SEK to a Swedish charity is not offered
to a company invoiced in EUR (no rate converts it honestly; the club offers EUR ones). Every
other reward (a product, an event) is the thing itself, its value only a price tag, and is
offered to every company whatever its currency. ``offered_to_q``/``reward_offered_to`` are
that rule, for every read that lists rewards for a member; the redemption service checks it
again before it writes (a request; an approval and a fulfilment of a gift card or a credit,
``MONEY_KINDS``, whereas a donation ordered before the company's currency changed is still
given as promised), and the invoice credit as a last guard.
``Reward.clean`` keeps a money reward's currency to the ones the club runs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.db.models import Case, Count, F, IntegerField, OuterRef, Prefetch, Q, Subquery, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from members.models import Company
from rewards.models import (
    CURRENCY_BOUND_KINDS,
    RETURNED_STATUSES,
    CompanyRewardSettings,
    PointsAccount,
    Redemption,
    Reward,
    RewardImage,
    RewardKind,
    Tier,
    VoucherCode,
)

POPULAR_DAYS = 90


def offered_to_q(company: Company, prefix: str = "") -> Q:
    """The rewards offered to ``company`` as far as currency goes: every reward that is not a
    sum of money (``CURRENCY_BOUND_KINDS``), and those in the currency the company buys in.
    ``prefix`` reaches the reward through a relation (``"goal_reward__"``)."""
    return ~Q(**{f"{prefix}kind__in": CURRENCY_BOUND_KINDS}) | Q(**{f"{prefix}currency": company.purchase_currency})


def reward_offered_to(reward: Reward, company: Company) -> bool:
    """``offered_to_q`` for one reward in hand."""
    return reward.kind not in CURRENCY_BOUND_KINDS or reward.currency == company.purchase_currency


def rewards_offered_to(company: Company, queryset=None):
    """The published rewards offered to ``company`` (``offered_to_q``): what a member may
    open, order or make the goal; another currency's money reward is as absent as an
    unpublished one."""
    queryset = Reward.objects.all() if queryset is None else queryset
    return queryset.published().filter(offered_to_q(company))


class Standing:
    """Where a company stands with a reward, for the catalogue card and the detail page."""

    REDEEMABLE = "redeemable"
    POINTS_TO_GO = "points_to_go"
    TIER_LOCKED = "tier_locked"
    OUT_OF_STOCK = "out_of_stock"
    NOT_YET = "not_yet"
    ENDED = "ended"


@dataclass(frozen=True)
class RewardStanding:
    state: str
    points_to_go: int = 0
    percent: int = 100  # the company's balance as a share of one reward's cost, 0–100

    @property
    def redeemable(self) -> bool:
        return self.state == Standing.REDEEMABLE


def reward_standing(
    *, reward, balance: int, tier: Tier | None, now: datetime, left: int | None = None
) -> RewardStanding:
    """Whether the company can redeem one ``reward`` now, and if not, why — or how many points
    it still needs. Pure. ``left`` is the stock or free code count (the catalogue annotates
    it as ``left``); None means unlimited."""

    if left is None:
        left = getattr(reward, "left", reward.stock)
    percent = max(0, min(100, int(balance * 100 / reward.points_cost))) if reward.points_cost else 100
    if reward.available_until and now >= reward.available_until:
        return RewardStanding(Standing.ENDED, percent=percent)
    if reward.available_from and now < reward.available_from:
        return RewardStanding(Standing.NOT_YET, percent=percent)
    required = reward.tier_required
    if required is not None and (tier is None or tier.qualifying_points < required.qualifying_points):
        return RewardStanding(Standing.TIER_LOCKED, percent=percent)
    if left is not None and left <= 0:
        return RewardStanding(Standing.OUT_OF_STOCK, percent=percent)
    if balance < reward.points_cost:
        return RewardStanding(Standing.POINTS_TO_GO, points_to_go=reward.points_cost - balance, percent=percent)
    return RewardStanding(Standing.REDEEMABLE)


def _free_codes():

    return (
        VoucherCode.objects.filter(reward_id=OuterRef("pk"), redemption__isnull=True)
        .order_by()
        .values("reward_id")
        .annotate(count=Count("pk"))
        .values("count")
    )


def rewards_with_availability(queryset=None, *, now: datetime | None = None):
    """Rewards annotated with ``left`` — the stock, or for vouchers the free codes (None:
    unlimited) — and ``popularity``, the number redeemed in the last 90 days (rejected and
    cancelled orders left out). Subqueries: still one query for any number of rewards."""

    now = now or timezone.now()
    queryset = Reward.objects.all() if queryset is None else queryset
    popular = (
        Redemption.objects.filter(reward_id=OuterRef("pk"), requested_at__gte=now - timedelta(days=POPULAR_DAYS))
        .exclude(status__in=RETURNED_STATUSES)
        .order_by()
        .values("reward_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return queryset.annotate(
        left=Case(
            When(kind=RewardKind.VOUCHER, then=Coalesce(Subquery(_free_codes()), 0)),
            default=F("stock"),
            output_field=IntegerField(),
        ),
        popularity=Coalesce(Subquery(popular), 0),
    )


def catalogue_rewards(*, company: Company | None = None, now: datetime | None = None):
    """The rewards members see (active ones, and with ``company`` only those offered to it:
    ``offered_to_q``), with availability and popularity (``rewards_with_availability``),
    their category and tier, and their pictures in order (prefetched as
    ``ordered_images``): a page of the catalogue costs a fixed number of queries however
    many rewards there are. Without ``company`` (staff previews) every currency's."""

    rewards = Reward.objects.published() if company is None else rewards_offered_to(company)
    return rewards_with_availability(
        rewards.select_related("category", "tier_required").prefetch_related(
            Prefetch("images", queryset=RewardImage.objects.order_by("position", "pk"), to_attr="ordered_images")
        ),
        now=now,
    )


@dataclass(frozen=True)
class CompanyRewardPosition:
    """What the catalogue needs to know about the member's company, read once per page."""

    balance: int
    tier: Tier | None
    goal_reward_id: int | None


def company_reward_position(*, company: Company) -> CompanyRewardPosition:
    """The company's balance, tier and goal. Two queries."""

    account = PointsAccount.objects.filter(company=company).select_related("tier").first()
    goal_id = CompanyRewardSettings.objects.filter(company=company).values_list("goal_reward_id", flat=True).first()
    return CompanyRewardPosition(
        balance=account.balance if account else 0, tier=account.tier if account else None, goal_reward_id=goal_id
    )


@dataclass(frozen=True)
class GoalProgress:
    """The company's goal reward and how close its balance is, for the dashboard."""

    reward: object
    thumbnail_url: str
    balance: int
    percent: int
    points_to_go: int

    @property
    def reached(self) -> bool:
        return self.points_to_go == 0


def company_goal(*, company: Company, balance: int) -> GoalProgress | None:
    """The company's goal (None if it has none, or the reward left the catalogue or is not
    offered to the company: ``offered_to_q``) with the progress of ``balance`` toward one of
    it. One query, the thumbnail included."""

    first_thumbnail = RewardImage.objects.filter(reward_id=OuterRef("goal_reward_id")).order_by("position", "pk")
    settings_row = (
        CompanyRewardSettings.objects.filter(
            offered_to_q(company, prefix="goal_reward__"), company=company, goal_reward__is_active=True
        )
        .select_related("goal_reward")
        .annotate(goal_thumbnail=Subquery(first_thumbnail.values("thumbnail")[:1]))
        .first()
    )
    if settings_row is None:
        return None
    reward = settings_row.goal_reward
    cost = reward.points_cost
    return GoalProgress(
        reward=reward,
        thumbnail_url=default_storage.url(settings_row.goal_thumbnail) if settings_row.goal_thumbnail else "",
        balance=balance,
        percent=max(0, min(100, int(balance * 100 / cost))),
        points_to_go=max(0, cost - balance),
    )


def rewards_low_on_stock():
    """Active rewards with a stock (or voucher pool) at or below their warning level, the
    emptiest first. One query."""

    return list(
        rewards_with_availability(Reward.objects.filter(is_active=True))
        .filter(left__isnull=False, left__lte=F("low_stock_threshold"))
        .order_by("left", "title")
    )
