"""Campaign mechanics inside the points economy's earn pipeline: the one place they meet.

rewards' earn pipeline (``rewards.earn``) calls ``CampaignEarn``, registered at start-up
(``CampaignsConfig.ready``): for every purchase — from the API (``rewards.ingest``) and
from the CSV import — ``purchase_prepare`` starts what is due, ``purchase_campaign_bonus``
computes the extra points running campaigns give the purchase, which rewards writes into
the purchase's own earn entry, and ``PurchaseBonus.record`` records them. The set-based CSV import computes the same
multiplier awards in SQL (``import_campaigns_prepare``/``import_campaigns_record``) and sends
the rows whose awards depend on their order through the same per-purchase path, so both ways
write the same ledger (``tests/rewards/test_imports.py``).

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

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext as _

from outbox.services import outbox_enqueue

from .models import (
    AwardKind,
    Campaign,
    CampaignAward,
    CampaignStatus,
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

        outbox_enqueue(send_budget_alert, campaign.pk)


# Raw SQL on purpose, like rewards' tier lookup: this runs for every purchase, and
# composing the same union with the ORM costs several milliseconds of CPU per request.
_CANDIDATES_SQL = """
SELECT 'campaign', m.campaign_id
FROM campaigns_campaignmember m JOIN campaigns_campaign k ON k.id = m.campaign_id
WHERE m.company_id = %s AND NOT m.in_holdout
  AND k.status IN (%s, %s) AND k.starts_at <= %s AND k.ends_at > %s AND k.ends_at > %s
  AND k.points_awarded < k.points_budget
  AND EXISTS (SELECT 1 FROM campaigns_campaignrule r WHERE r.campaign_id = k.id)
UNION ALL
SELECT 'referral', r.id
FROM campaigns_referral r JOIN members_company c ON c.country = r.country AND c.org_number = r.org_number
WHERE c.id = %s AND r.status = %s
UNION ALL
SELECT 'due', k.id
FROM campaigns_campaign k
WHERE k.status = %s AND k.starts_at <= %s AND k.starts_at <= %s
"""

_RULES_SQL = """
SELECT r.id, r.campaign_id, r.kind, r.multiplier, r.bonus_points, r.min_amount, rc.productcategory_id
FROM campaigns_campaignrule r
LEFT JOIN campaigns_campaignrule_categories rc ON rc.campaignrule_id = r.id
WHERE r.campaign_id IN ({placeholders})
ORDER BY r.campaign_id, r.id
"""


def _db_datetime(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _candidates(*, company_id: int, occurred_at: datetime, now: datetime) -> tuple[list[int], list[int], list[int]]:
    """Ids of the campaigns that may reward this purchase (the company treated, the purchase
    in the period, reported in time, budget left, a rule to apply), of pending referrals
    of the company (its first purchase rewards the referrer), and of scheduled campaigns
    whose start has come, before this purchase, but which the beat has not started yet.
    One query."""
    occurred = _db_datetime(occurred_at)
    with connection.cursor() as cursor:
        cursor.execute(
            _CANDIDATES_SQL,
            [
                company_id,
                CampaignStatus.ACTIVE.value,
                CampaignStatus.ENDED.value,
                occurred,
                occurred,
                _db_datetime(now - timedelta(days=LATE_PURCHASE_DAYS)),
                company_id,
                ReferralStatus.PENDING.value,
                CampaignStatus.SCHEDULED.value,
                occurred,
                _db_datetime(now),
            ],
        )
        rows = cursor.fetchall()
    campaign_ids = sorted({pk for source, pk in rows if source == "campaign"})
    return (
        campaign_ids,
        [pk for source, pk in rows if source == "referral"],
        sorted(pk for source, pk in rows if source == "due"),
    )


@dataclass(frozen=True)
class _Rule:
    kind: str
    multiplier: Decimal | None
    bonus_points: int | None
    min_amount: Decimal | None
    categories: frozenset[int]


def _locked_campaigns(campaign_ids: list[int]) -> list[tuple[Campaign, list[_Rule]]]:
    """Lock the campaigns' rows (primary-key order) and read their rules. Two queries."""
    campaigns = list(
        Campaign.objects.select_for_update()
        .filter(pk__in=campaign_ids, status__in=EARNING_STATUSES)
        .only("pk", "name", "points_budget", "points_awarded", "budget_alert_sent_at")
        .order_by("pk")
    )
    campaigns = [campaign for campaign in campaigns if campaign.points_left > 0]
    if not campaigns:
        return []
    rules: dict[int, dict[int, list]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(
            _RULES_SQL.format(placeholders=", ".join(["%s"] * len(campaigns))), [campaign.pk for campaign in campaigns]
        )
        for rule_id, campaign_id, kind, multiplier, bonus, min_amount, category_id in cursor.fetchall():
            rule = rules[campaign_id].setdefault(rule_id, [kind, multiplier, bonus, min_amount, set()])
            if category_id is not None:
                rule[4].add(category_id)
    # SQLite hands back decimals as floats in raw SQL: read them through str() as the ORM does.
    return [
        (
            campaign,
            [
                _Rule(
                    kind=kind,
                    multiplier=Decimal(str(multiplier)) if multiplier is not None else None,
                    bonus_points=bonus,
                    min_amount=Decimal(str(min_amount)) if min_amount is not None else None,
                    categories=frozenset(categories),
                )
                for kind, multiplier, bonus, min_amount, categories in rules[campaign.pk].values()
            ],
        )
        for campaign in campaigns
    ]


def _queue_referrals(referral_ids: Sequence[int]) -> None:
    # The referrer's account is another company's: rewarded in its own transaction after
    # this one commits, so this earn never holds two accounts' locks.
    from .tasks import reward_referral

    for referral_id in referral_ids:
        outbox_enqueue(reward_referral, referral_id)


@dataclass(frozen=True)
class PurchaseCandidates:
    """What ``purchase_prepare`` found for one purchase: the campaigns that may reward it and
    the company's pending referrals (its first purchase rewards the referrer)."""

    campaign_ids: list[int]
    referral_ids: list[int]


def purchase_prepare(*, company_id: int, occurred_at: datetime, now: datetime) -> PurchaseCandidates:
    """The explicit step before a purchase's campaign bonus: find its candidates (one query)
    and start every scheduled campaign whose start has come before the purchase but which
    the beat has not reached yet (within a minute), freezing its audience as the beat would,
    so a purchase in that minute gets what the campaign gives. The caller holds the
    account lock; ``campaign_start`` locks only the campaign row, after it."""
    campaign_ids, referral_ids, due_ids = _candidates(company_id=company_id, occurred_at=occurred_at, now=now)
    if due_ids:
        from .services import campaign_start  # the services import this module

        for campaign_id in due_ids:
            campaign_start(campaign_id=campaign_id, now=now)
        campaign_ids, referral_ids, _due = _candidates(company_id=company_id, occurred_at=occurred_at, now=now)
    return PurchaseCandidates(campaign_ids=campaign_ids, referral_ids=referral_ids)


def purchase_campaign_bonus(
    candidates: PurchaseCandidates, *, purchase, lines, account, rules, now: datetime
) -> PurchaseBonus:
    """The extra points running campaigns give ``purchase`` (see the module docstring).

    ``candidates`` come from ``purchase_prepare``; ``lines`` are the purchase's lines with
    their categories (empty: the purchase has none), ``account`` the company's points
    account, locked by the caller with its tier. Locks the campaigns' rows (primary-key
    order) and reads their remaining budgets, so the awards returned fit them. Writes
    nothing: ``PurchaseBonus.record(entry)`` does, once the earn entry exists.
    """
    company_id = purchase.company_id
    campaign_ids = candidates.campaign_ids
    bonus = PurchaseBonus(company_id=company_id, purchase_id=purchase.pk)
    if not campaign_ids:
        return bonus
    campaigns = _locked_campaigns(campaign_ids)
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
    for campaign, campaign_rules in campaigns:
        for rule in campaign_rules:
            if rule.kind == RuleKind.MULTIPLIER:
                multipliers.append((rule.multiplier, campaign, rule.categories))
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
    for campaign, _rules in campaigns:
        left = campaign.points_left
        for kind, points in sorted(planned.get(campaign.pk, []), key=lambda kp: _AWARD_ORDER[kp[0]]):
            granted = min(points, left)
            if granted > 0:
                bonus.awards.append(PlannedAward(campaign=campaign, kind=kind, points=granted))
                left -= granted
    return bonus


# --- The set-based CSV import (rewards.imports) ---------------------------------------------------
#
# A chunk's rows are in ``purchase_import_staging``; its accounts are locked. Multiplier
# awards are computed set-based into ``purchase_import_campaign`` (line → campaign, points,
# memo), which rewards.imports adds to each row's earn, to its tier check and to its memo;
# ``import_campaigns_record`` then writes the awards and moves each campaign's budget once.
# Whatever depends on the order of the rows goes through the per-purchase path instead, as
# rewards.imports does for shortfalls and tier changes: an account a bonus may reward (the
# first purchase is "the first recorded"), and every account of a campaign whose budget this
# chunk might exhaust (who gets the last points depends on file order).

# The campaigns that may reward a new row of the chunk: same conditions as ``_candidates``.
_ELIGIBLE = """
FROM purchase_import_staging s
JOIN members_company c ON c.external_id = s.company_external_id
JOIN rewards_pointsaccount a ON a.company_id = c.id
JOIN campaigns_campaignmember m ON m.company_id = c.id AND NOT m.in_holdout
JOIN campaigns_campaign k ON k.id = m.campaign_id
WHERE a.id = ANY(%(accounts)s)
  AND k.status = ANY(%(statuses)s)
  AND k.starts_at <= s.occurred_at AND s.occurred_at < k.ends_at
  AND k.ends_at > %(late_cutoff)s
  AND k.points_awarded < k.points_budget
  AND NOT EXISTS (SELECT 1 FROM rewards_purchase p WHERE p.source = s.source AND p.external_id = s.external_id)
"""
# The exact points a row earns before campaigns (rewards' formula, before rounding), with
# the account's tier multiplier or, for an upper bound, the highest tier's.
_EXACT_POINTS = "s.net_amount * COALESCE(pc.multiplier, 1) * %(per_unit)s::numeric * {tier}"
_COVERS = """(NOT EXISTS (SELECT 1 FROM campaigns_campaignrule_categories rc WHERE rc.campaignrule_id = r.id)
    OR EXISTS (SELECT 1 FROM campaigns_campaignrule_categories rc
               WHERE rc.campaignrule_id = r.id AND rc.productcategory_id = s.category_id))"""

_BEST_MULTIPLIER_SQL = f"""
INSERT INTO purchase_import_campaign (line, campaign_id, points, memo)
SELECT line, campaign_id, points,
       %(memo_1)s || points::text || %(memo_2)s || name || %(memo_3)s
FROM (
    SELECT DISTINCT ON (s.line) s.line, k.id AS campaign_id, k.name,
           GREATEST(0, round({_EXACT_POINTS.format(tier="COALESCE(t.earn_multiplier, 1)")} * (r.multiplier - 1)))::integer
               AS points
    {_ELIGIBLE}
      AND a.id <> ALL(%(routed)s)
    JOIN_RULE
    ORDER BY s.line, r.multiplier DESC, k.id
) best
WHERE points > 0
"""

_BONUS_ACCOUNTS_SQL = f"""
SELECT DISTINCT a.id
{_ELIGIBLE}
  AND EXISTS (
    SELECT 1 FROM campaigns_campaignrule r WHERE r.campaign_id = k.id AND (
        (r.kind = 'large_purchase' AND s.net_amount >= r.min_amount)
        OR (r.kind = 'first_purchase' AND NOT EXISTS (
            SELECT 1 FROM campaigns_campaignaward w
            WHERE w.campaign_id = k.id AND w.company_id = c.id AND w.kind = 'first_purchase'
        ))
    )
  )
"""

# What each campaign could give this chunk at most: its own multiplier on every row it
# covers (even where another campaign's is higher) at the highest tier, every large-purchase
# bonus, and a first-purchase bonus per account.
_POTENTIAL_SQL = f"""
SELECT k.id, k.points_budget - k.points_awarded,
       COALESCE(SUM(CASE WHEN r.kind = 'multiplier' AND {_COVERS}
                    THEN GREATEST(0, round({_EXACT_POINTS.format(tier="%(top_tier)s::numeric")} * (r.multiplier - 1)))
                    WHEN r.kind = 'large_purchase' AND s.net_amount >= r.min_amount THEN r.bonus_points
                    ELSE 0 END), 0)
       + COALESCE((SELECT SUM(r2.bonus_points) FROM campaigns_campaignrule r2
                   WHERE r2.campaign_id = k.id AND r2.kind = 'first_purchase'), 0) * COUNT(DISTINCT a.id)
{_ELIGIBLE.replace("JOIN campaigns_campaign k ON k.id = m.campaign_id", "JOIN campaigns_campaign k ON k.id = m.campaign_id JOIN campaigns_campaignrule r ON r.campaign_id = k.id LEFT JOIN rewards_productcategory pc ON pc.id = s.category_id")}
GROUP BY k.id, k.points_budget, k.points_awarded
"""


def _memo_pieces() -> tuple[str, str, str]:
    """The campaign part of an earn's memo, ``PurchaseBonus.memo``'s words, around its two
    values, for SQL: ``" · +" ‹points› " campaign points: " ‹name› ""``."""
    text = _("+%(points)s campaign points: %(campaign)s") % {"points": "\x00", "campaign": "\x01"}
    before, _sep, rest = text.partition("\x00")
    middle, _sep, after = rest.partition("\x01")
    if "\x01" in before:  # a translation that names the campaign first
        raise ValueError("The campaign memo must name the points before the campaign.")
    return " · " + before, middle, after


def import_campaigns_prepare(cursor, accounts: Sequence[tuple], *, per_unit: Decimal, now: datetime) -> set[int]:
    """Prepare a set-based import chunk's campaign points; returns the accounts whose rows
    must go through the per-purchase path instead (see the comment above).

    ``accounts`` are the chunk's locked ``(account id, company id, tier id, shortfall)``.
    Locks the campaigns that may reward the chunk (after the accounts: the lock order every
    award keeps) and fills ``purchase_import_campaign`` with each remaining new row's best
    multiplier award, computed exactly as ``purchase_campaign_bonus`` does for a one-line
    purchase. A few statements per chunk, none when no campaign is running.
    """
    account_ids = [account[0] for account in accounts]
    if not account_ids or not Campaign.objects.filter(status__in=EARNING_STATUSES).exists():
        return set()
    parameters = {
        "accounts": account_ids,
        "statuses": [str(status) for status in EARNING_STATUSES],
        "late_cutoff": now - timedelta(days=LATE_PURCHASE_DAYS),
        "per_unit": per_unit,
    }
    cursor.execute(f"SELECT DISTINCT k.id {_ELIGIBLE}", parameters)
    campaign_ids = sorted(row[0] for row in cursor.fetchall())
    if not campaign_ids:
        return set()
    cursor.execute("SELECT id FROM campaigns_campaign WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [campaign_ids])
    cursor.execute(_BONUS_ACCOUNTS_SQL, parameters)
    routed = {row[0] for row in cursor.fetchall()}
    from rewards.models import Tier

    top_tier = max(Tier.objects.values_list("earn_multiplier", flat=True), default=Decimal("1"))
    cursor.execute(_POTENTIAL_SQL, {**parameters, "top_tier": max(top_tier, Decimal("1"))})
    tight = [campaign_id for campaign_id, left, potential in cursor.fetchall() if potential > left]
    if tight:
        cursor.execute(f"SELECT DISTINCT a.id {_ELIGIBLE} AND k.id = ANY(%(tight)s)", {**parameters, "tight": tight})
        routed |= {row[0] for row in cursor.fetchall()}
    memo_1, memo_2, memo_3 = _memo_pieces()
    cursor.execute(
        _BEST_MULTIPLIER_SQL.replace(
            "JOIN_RULE",
            f"""AND r.kind = 'multiplier' AND {_COVERS}""",
        ).replace(
            "JOIN campaigns_campaign k ON k.id = m.campaign_id",
            "JOIN campaigns_campaign k ON k.id = m.campaign_id "
            "JOIN campaigns_campaignrule r ON r.campaign_id = k.id "
            "LEFT JOIN rewards_tier t ON t.id = a.tier_id "
            "LEFT JOIN rewards_productcategory pc ON pc.id = s.category_id",
        ),
        {**parameters, "routed": sorted(routed), "memo_1": memo_1, "memo_2": memo_2, "memo_3": memo_3},
    )
    return routed


def import_campaigns_record(cursor, now: datetime) -> None:
    """Record the multiplier awards of a set-based chunk's new purchases (their earns are
    written) and move each campaign's budget once; queue the owners' alerts of budgets it
    used up. The campaign rows are locked by ``import_campaigns_prepare``."""
    cursor.execute(
        """
        INSERT INTO campaigns_campaignaward (campaign_id, company_id, kind, points, entry_id, purchase_id, created_at)
        SELECT pic.campaign_id, a.company_id, 'multiplier', pic.points, e.id, n.purchase_id, %(now)s
        FROM purchase_import_new n
        JOIN purchase_import_campaign pic ON pic.line = n.line
        JOIN rewards_pointsaccount a ON a.id = n.account_id
        JOIN rewards_ledgerentry e ON e.purchase_id = n.purchase_id AND e.kind = 'earn'
        ORDER BY n.line
        """,
        {"now": now},
    )
    if not cursor.rowcount:
        return
    cursor.execute(
        """
        UPDATE campaigns_campaign k SET points_awarded = k.points_awarded + d.points
        FROM (
            SELECT pic.campaign_id, SUM(pic.points) AS points
            FROM purchase_import_new n JOIN purchase_import_campaign pic ON pic.line = n.line
            GROUP BY pic.campaign_id
        ) d
        WHERE k.id = d.campaign_id
        RETURNING k.id, k.points_awarded >= k.points_budget AND k.budget_alert_sent_at IS NULL
        """
    )
    spent = [campaign_id for campaign_id, alert in cursor.fetchall() if alert]
    if spent:
        from .tasks import send_budget_alert

        for campaign_id in spent:
            outbox_enqueue(send_budget_alert, campaign_id)


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


# --- The contributor rewards' earn pipeline calls (registered in CampaignsConfig.ready) ------


class CampaignEarn:
    """Campaign points in the earn pipeline (``rewards.earn``): each step is one of the
    functions above, so the per-purchase and the set-based paths stay the ones tested."""

    def purchase_prepare(self, *, company_id: int, occurred_at: datetime, now: datetime) -> PurchaseCandidates:
        return purchase_prepare(company_id=company_id, occurred_at=occurred_at, now=now)

    def purchase_bonus(
        self, prepared: PurchaseCandidates, *, purchase, lines, account, rules, now: datetime
    ) -> PurchaseBonus:
        return purchase_campaign_bonus(prepared, purchase=purchase, lines=lines, account=account, rules=rules, now=now)

    def purchase_recorded(self, prepared: PurchaseCandidates, *, bonus: PurchaseBonus, entry) -> None:
        bonus.record(entry)
        # A referral's reward goes to another company's account: in its own transaction
        # after this one commits, so this earn never holds two accounts' locks.
        _queue_referrals(prepared.referral_ids)

    def import_chunk_prepare(self, *, now: datetime) -> None:
        from .services import campaigns_start_due  # the services import this module

        campaigns_start_due(now=now)

    def import_bonus(self, cursor, accounts: Sequence[tuple], *, per_unit: Decimal, now: datetime) -> set[int]:
        return import_campaigns_prepare(cursor, accounts, per_unit=per_unit, now=now)

    def import_recorded(self, cursor, *, now: datetime) -> None:
        import_campaigns_record(cursor, now)
        import_queue_referrals(cursor)

    def stacking_example(self, facts: dict) -> StackingExample | None:
        """A double-points campaign with a first-purchase bonus, worked through for the
        richest category and the top tier of the programme ``facts`` describe."""
        if facts.get("points_per_currency_unit") is None:
            return None
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
