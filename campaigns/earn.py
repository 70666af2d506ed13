"""Campaign mechanics inside the points economy's earn pipeline: the one place they meet.

``rewards.services.points_earn_for_purchase`` — the path of every purchase, from the API
(``rewards.ingest.purchase_record``) and from the CSV import — asks
``purchase_campaign_bonus`` for the extra points running campaigns give the purchase and
writes them into the purchase's own earn entry. The set-based CSV import asks
``import_accounts_to_route`` which accounts of a chunk a running campaign affects and sends
those through the same per-purchase path, so both ways write the same ledger.

The stacking rule (shown to members on "How points work" and with each campaign)
-------------------------------------------------------------------------------
1. A purchase earns its points as always: each line's amount × its category multiplier ×
   points per currency unit × the company's tier multiplier, rounded once for the purchase.
2. A campaign multiplier multiplies those points, tier bonus included: a line in the
   campaign's categories earns (multiplier − 1) × its exact points on top, rounded once per
   campaign and purchase (half up).
3. Fixed bonuses (the first purchase in the period, a purchase from an amount) are added as
   they are: no multiplier applies to them.
4. Campaigns do not stack with each other: when several running campaigns would reward the
   same purchase line, only the highest multiplier applies (the older campaign on a tie); of
   several first-purchase or several large-purchase bonuses only the largest is given.
5. A campaign gives nothing more once its budget is spent; the award that reaches the
   budget is cut to what is left (a campaign's awards are taken in the order multiplier,
   first purchase, large purchase).

It applies to companies in a campaign's treated group (never the hold-out), for purchases
that occurred between the campaign's start and end, while the campaign is running or ended
(not cancelled) and the purchase is reported at most ``LATE_PURCHASE_DAYS`` after the end.

Campaign points are part of the purchase's earn entry: pending through the return window,
taken back in proportion by a credit note, counting towards the tier and expiring with the
purchase's points. Each campaign's share is also recorded as a ``CampaignAward`` linked to
the entry (the budget, the results) and named in the entry's memo, so members see the
campaign's contribution in their points history.

Locks: the caller holds the company's points account row; the campaigns' rows are locked
here, in primary-key order, after it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, F, OuterRef, Q, Value
from django.utils.translation import gettext as _

from members.models import Company

from .models import (
    AwardKind,
    Campaign,
    CampaignAward,
    CampaignMember,
    CampaignRule,
    CampaignStatus,
    Referral,
    ReferralStatus,
    RuleKind,
)

# The ERP may report a purchase a few days late; it still counts for the campaign it fell in.
LATE_PURCHASE_DAYS = 7
# Statuses whose campaigns give purchase points (ended: for purchases reported late).
EARNING_STATUSES = (CampaignStatus.ACTIVE, CampaignStatus.ENDED)
_AWARD_ORDER = {AwardKind.MULTIPLIER: 0, AwardKind.FIRST_PURCHASE: 1, AwardKind.LARGE_PURCHASE: 2}


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class PlannedAward:
    campaign: Campaign
    kind: str
    points: int


@dataclass
class PurchaseBonus:
    """What running campaigns add to one purchase's earn; written by ``record``."""

    company_id: int
    purchase_id: int | None
    awards: list[PlannedAward] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(award.points for award in self.awards)

    def memo(self, base: str) -> str:
        """The earn entry's memo: the purchase, then each campaign's extra points."""
        if not self.awards:
            return base
        by_campaign: dict[int, int] = defaultdict(int)
        names = {}
        for award in self.awards:
            by_campaign[award.campaign.pk] += award.points
            names[award.campaign.pk] = award.campaign.name
        parts = [
            _("+%(points)s campaign points: %(campaign)s") % {"points": points, "campaign": names[pk]}
            for pk, points in by_campaign.items()
        ]
        return f"{base} · {'; '.join(parts)}"[:500]

    def record(self, entry) -> None:
        """Record the awards against ``entry`` and move each campaign's budget; the caller's
        transaction still holds the campaign row locks taken by ``purchase_campaign_bonus``."""
        if not self.awards:
            return
        CampaignAward.objects.bulk_create(
            CampaignAward(
                campaign=award.campaign,
                company_id=self.company_id,
                kind=award.kind,
                points=award.points,
                entry=entry,
                purchase_id=self.purchase_id,
                created_at=entry.created_at,
            )
            for award in self.awards
        )
        totals: dict[int, int] = defaultdict(int)
        campaigns = {}
        for award in self.awards:
            totals[award.campaign.pk] += award.points
            campaigns[award.campaign.pk] = award.campaign
        for campaign_id, points in sorted(totals.items()):
            budget_take(campaigns[campaign_id], points)


def budget_take(campaign: Campaign, points: int) -> None:
    """Move the locked ``campaign``'s ``points_awarded`` by ``points`` (already checked against
    its budget) and, when that spends the budget, queue the owner's alert once, after commit."""
    Campaign.objects.filter(pk=campaign.pk).update(points_awarded=F("points_awarded") + points)
    campaign.points_awarded += points
    if campaign.points_awarded >= campaign.points_budget and campaign.budget_alert_sent_at is None:
        from .tasks import send_budget_alert  # tasks import the services, which import this module

        send_budget_alert.delay_on_commit(campaign.pk)


def _candidates(*, company_id: int, occurred_at: datetime, now: datetime) -> tuple[list[int], list[int]]:
    """Ids of the campaigns that may reward this purchase, and of pending referrals of the
    company (its first purchase rewards the referrer). One query."""
    campaigns = (
        CampaignMember.objects.filter(company_id=company_id, in_holdout=False)
        .filter(
            Q(campaign__status__in=EARNING_STATUSES)
            & Q(campaign__starts_at__lte=occurred_at)
            & Q(campaign__ends_at__gt=occurred_at)
            & Q(campaign__ends_at__gt=now - timedelta(days=LATE_PURCHASE_DAYS))
            & Q(campaign__points_awarded__lt=F("campaign__points_budget"))
        )
        .filter(Exists(CampaignRule.objects.filter(campaign_id=OuterRef("campaign_id"))))
        .annotate(source=Value("campaign"))
        .order_by()
        .values_list("source", "campaign_id")
    )
    referrals = (
        Referral.objects.filter(status=ReferralStatus.PENDING)
        .filter(
            Exists(
                Company.objects.filter(pk=company_id, country=OuterRef("country"), org_number=OuterRef("org_number"))
            )
        )
        .annotate(source=Value("referral"))
        .order_by()
        .values_list("source", "pk")
    )
    campaign_ids, referral_ids = [], []
    for source, pk in campaigns.union(referrals, all=True):
        (campaign_ids if source == "campaign" else referral_ids).append(pk)
    return sorted(set(campaign_ids)), referral_ids


def _queue_referrals(referral_ids: Sequence[int]) -> None:
    # The referrer's account is another company's: rewarded in its own transaction after
    # this one commits, so this earn never holds two accounts' locks.
    from .tasks import reward_referral

    for referral_id in referral_ids:
        reward_referral.delay_on_commit(referral_id)


def purchase_campaign_bonus(*, purchase, lines, account, rules, now: datetime) -> PurchaseBonus:
    """The extra points running campaigns give ``purchase`` (see the module docstring).

    ``lines`` are the purchase's lines with their categories (empty: the purchase has
    none), ``account`` the company's points account, locked by the caller with its tier.
    Locks the campaigns' rows (primary-key order) and reads their remaining budgets, so the
    awards returned fit them; ``PurchaseBonus.record(entry)`` writes them. One query when no
    campaign applies. Also queues the reward of a pending referral of the company.
    """
    company_id = purchase.company_id
    campaign_ids, referral_ids = _candidates(company_id=company_id, occurred_at=purchase.occurred_at, now=now)
    if referral_ids:
        _queue_referrals(referral_ids)
    bonus = PurchaseBonus(company_id=company_id, purchase_id=purchase.pk)
    if not campaign_ids:
        return bonus
    campaigns = list(
        Campaign.objects.select_for_update()
        .filter(pk__in=campaign_ids, status__in=EARNING_STATUSES)
        .order_by("pk")
        .prefetch_related("rules__categories")
    )
    campaigns = [campaign for campaign in campaigns if campaign.points_left > 0]
    if not campaigns:
        return bonus

    tier_multiplier = account.tier.earn_multiplier if account.tier_id else Decimal("1")
    per_unit = rules.points_per_currency_unit
    if lines:
        items = [
            (
                line.category_id,
                line.amount
                * (line.category.multiplier if line.category else Decimal("1"))
                * per_unit
                * tier_multiplier,
            )
            for line in lines
        ]
    else:
        items = [(None, purchase.net_amount * per_unit * tier_multiplier)]

    multipliers = []
    first_purchase = []
    large_purchase = []
    for campaign in campaigns:
        for rule in campaign.rules.all():
            if rule.kind == RuleKind.MULTIPLIER:
                multipliers.append((rule.multiplier, campaign, {category.pk for category in rule.categories.all()}))
            elif rule.kind == RuleKind.FIRST_PURCHASE:
                first_purchase.append((rule.bonus_points, campaign))
            elif rule.kind == RuleKind.LARGE_PURCHASE and purchase.net_amount >= rule.min_amount:
                large_purchase.append((rule.bonus_points, campaign))

    planned: dict[int, list[tuple[str, int]]] = defaultdict(list)
    # Rule 2 and 4: per line, the highest multiplier of the campaigns covering its category.
    extra: dict[int, Decimal] = defaultdict(Decimal)
    for category_id, line_points in items:
        covering = [(m, c) for m, c, categories in multipliers if not categories or category_id in categories]
        if covering:
            multiplier, campaign = max(covering, key=lambda mc: (mc[0], -mc[1].pk))
            extra[campaign.pk] += line_points * (multiplier - 1)
    for campaign_id, exact in extra.items():
        points = max(0, _round(exact))
        if points:
            planned[campaign_id].append((AwardKind.MULTIPLIER, points))
    # Rule 3 and 4: the largest bonus of each kind, once; first purchase once per campaign.
    if first_purchase:
        already = set(
            CampaignAward.objects.filter(
                campaign__in=[campaign for _points, campaign in first_purchase],
                company_id=company_id,
                kind=AwardKind.FIRST_PURCHASE,
            ).values_list("campaign_id", flat=True)
        )
        open_bonuses = [(points, campaign) for points, campaign in first_purchase if campaign.pk not in already]
        if open_bonuses:
            points, campaign = max(open_bonuses, key=lambda pc: (pc[0], -pc[1].pk))
            planned[campaign.pk].append((AwardKind.FIRST_PURCHASE, points))
    if large_purchase:
        points, campaign = max(large_purchase, key=lambda pc: (pc[0], -pc[1].pk))
        planned[campaign.pk].append((AwardKind.LARGE_PURCHASE, points))

    # Rule 5: within each campaign's remaining budget.
    for campaign in campaigns:
        left = campaign.points_left
        for kind, points in sorted(planned.get(campaign.pk, []), key=lambda kp: _AWARD_ORDER[kp[0]]):
            granted = min(points, left)
            if granted > 0:
                bonus.awards.append(PlannedAward(campaign=campaign, kind=kind, points=granted))
                left -= granted
    return bonus


# --- The set-based CSV import (rewards.imports) ---------------------------------------------------

# Accounts with a new staged row that a running campaign of theirs may reward: the same
# conditions as ``_candidates`` and the rules of ``purchase_campaign_bonus``, per row.
_AFFECTED_ACCOUNTS_SQL = """
SELECT DISTINCT a.id
FROM purchase_import_staging s
JOIN members_company c ON c.external_id = s.company_external_id
JOIN rewards_pointsaccount a ON a.company_id = c.id
JOIN campaigns_campaignmember m ON m.company_id = c.id AND NOT m.in_holdout
JOIN campaigns_campaign k ON k.id = m.campaign_id
JOIN campaigns_campaignrule r ON r.campaign_id = k.id
WHERE a.id = ANY(%(accounts)s)
  AND k.status = ANY(%(statuses)s)
  AND k.starts_at <= s.occurred_at AND s.occurred_at < k.ends_at
  AND k.ends_at > %(late_cutoff)s
  AND k.points_awarded < k.points_budget
  AND NOT EXISTS (SELECT 1 FROM rewards_purchase p WHERE p.source = s.source AND p.external_id = s.external_id)
  AND (
    (r.kind = 'multiplier' AND (
        NOT EXISTS (SELECT 1 FROM campaigns_campaignrule_categories rc WHERE rc.campaignrule_id = r.id)
        OR EXISTS (
            SELECT 1 FROM campaigns_campaignrule_categories rc
            WHERE rc.campaignrule_id = r.id AND rc.productcategory_id = s.category_id
        )
    ))
    OR (r.kind = 'large_purchase' AND s.net_amount >= r.min_amount)
    OR (r.kind = 'first_purchase' AND NOT EXISTS (
        SELECT 1 FROM campaigns_campaignaward w
        WHERE w.campaign_id = k.id AND w.company_id = c.id AND w.kind = 'first_purchase'
    ))
  )
"""


def import_accounts_to_route(cursor, account_ids: Sequence[int], now: datetime) -> set[int]:
    """Accounts of a set-based import chunk whose new rows a running campaign may reward.

    ``rewards.imports`` sends every row of these accounts through the per-purchase path
    (``purchase_record`` → ``points_earn_for_purchase`` → ``purchase_campaign_bonus``), as it
    does for accounts owing a shortfall or crossing a tier, so the campaign's rules, its
    budget and its first-purchase bonus are applied in file order exactly as by the API.
    Rows of other accounts, and of the hold-out, stay set-based. ``cursor`` is the import's
    raw cursor; the staging table is ``purchase_import_staging``. One query.
    """
    if not account_ids:
        return set()
    if not Campaign.objects.filter(status__in=EARNING_STATUSES).exists():
        return set()
    cursor.execute(
        _AFFECTED_ACCOUNTS_SQL,
        {
            "accounts": list(account_ids),
            "statuses": [str(status) for status in EARNING_STATUSES],
            "late_cutoff": now - timedelta(days=LATE_PURCHASE_DAYS),
        },
    )
    return {row[0] for row in cursor.fetchall()}


_IMPORT_REFERRALS_SQL = """
SELECT DISTINCT r.id
FROM purchase_import_new n
JOIN rewards_pointsaccount a ON a.id = n.account_id
JOIN members_company c ON c.id = a.company_id
JOIN campaigns_referral r ON r.country = c.country AND r.org_number = c.org_number
WHERE r.status = 'pending'
"""


def import_queue_referrals(cursor) -> int:
    """Queue, after commit, the reward of every pending referral of a company that has a new
    purchase in the set-based import's chunk (``purchase_import_new``). One query."""
    cursor.execute(_IMPORT_REFERRALS_SQL)
    referral_ids = [row[0] for row in cursor.fetchall()]
    if referral_ids:
        _queue_referrals(referral_ids)
    return len(referral_ids)


# --- The stacking rule, worked through for members ------------------------------------------------


@dataclass(frozen=True)
class StackingExample:
    """One purchase during a campaign, computed by the stacking rule (for "How points work"
    and the campaign page). Pure figures; the templates word them."""

    amount: Decimal
    category_name: str
    category_multiplier: Decimal
    tier_name: str
    tier_multiplier: Decimal
    campaign_multiplier: Decimal
    per_unit: Decimal
    bonus: int
    currency: str = "SEK"

    @property
    def purchase_points(self) -> int:
        return max(0, _round(self.amount * self.category_multiplier * self.per_unit * self.tier_multiplier))

    @property
    def campaign_points(self) -> int:
        exact = self.amount * self.category_multiplier * self.per_unit * self.tier_multiplier
        return max(0, _round(exact * (self.campaign_multiplier - 1)))

    @property
    def total(self) -> int:
        return self.purchase_points + self.campaign_points + self.bonus


def stacking_example(
    *,
    per_unit: Decimal,
    category_name: str = "",
    category_multiplier: Decimal = Decimal("1"),
    tier_name: str = "",
    tier_multiplier: Decimal = Decimal("1"),
    campaign_multiplier: Decimal = Decimal("2"),
    amount: Decimal = Decimal("1000"),
    bonus: int = 500,
    currency: str = "SEK",
) -> StackingExample:
    return StackingExample(
        amount=amount,
        category_name=category_name,
        category_multiplier=category_multiplier,
        tier_name=tier_name,
        tier_multiplier=tier_multiplier,
        campaign_multiplier=campaign_multiplier,
        per_unit=per_unit,
        bonus=bonus,
        currency=currency,
    )
