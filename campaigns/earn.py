"""Campaign mechanics inside the points economy's earn pipeline: the one place they meet.

rewards' earn pipeline (``rewards.earn``) calls ``CampaignEarn``, registered at start-up
(``CampaignsConfig.ready``): for every purchase — from the API (``rewards.purchases.services``) and
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

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import F
from psycopg import sql

from core.content_language import languages, translations_of
from core.texts import StoredText
from members.models import Company
from outbox.services import outbox_enqueue
from rewards.earn import IMPORT_BONUS_TABLE, IMPORT_NEW_TABLE, IMPORT_STAGING_TABLE
from rewards.models import EntryKind, LedgerEntry, PointsAccount, ProductCategory, ProgrammeRules, Purchase, Tier
from rewards.rules import (
    campaign_extra,
    campaign_extra_sql,
    exact_points,
    exact_points_sql,
    whole_points,
    whole_points_sql,
)

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

# Rule 4, once for both paths: which multiplier a line gets when several running campaigns
# cover it — the highest, the older campaign (lower id) on a tie.
MULTIPLIER_PRECEDENCE: tuple[tuple[str, str], ...] = (("multiplier", "DESC"), ("campaign_id", "ASC"))


def multiplier_precedence(multiplier: Decimal, campaign_id: int) -> tuple:
    """A sort key: the covering multiplier with the smallest key applies (per-purchase path)."""
    values = {"multiplier": multiplier, "campaign_id": campaign_id}
    return tuple(-values[name] if direction == "DESC" else values[name] for name, direction in MULTIPLIER_PRECEDENCE)


def multiplier_precedence_sql(**columns: sql.Composable) -> sql.Composable:
    """The same precedence as an ORDER BY list (set-based path): the first row applies."""
    return sql.SQL(", ").join(
        sql.SQL("{} {}").format(columns[name], sql.SQL(direction)) for name, direction in MULTIPLIER_PRECEDENCE
    )


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

    def memo(self, base: StoredText) -> StoredText:
        """The earn entry's memo: the purchase, then each campaign's extra points (points and
        name as parameters of ``rewards.texts.PURCHASE``, rendered for each reader)."""
        if not self.awards:
            return base
        by_campaign: dict[int, int] = defaultdict(int)
        names = {}
        for award in self.awards:
            by_campaign[award.campaign.pk] += award.points
            names[award.campaign.pk] = translations_of(award.campaign, "name")
        campaigns = list(base.params.get("campaigns", [])) + [
            {"points": points, "campaign": names[pk]} for pk, points in by_campaign.items()
        ]
        return StoredText(base.key, {**base.params, "campaigns": campaigns})

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
@functools.cache
def _candidates_sql() -> str:
    return _render(
        sql.SQL(
            """
SELECT 'campaign', m.campaign_id
FROM {member} m JOIN {campaign} k ON k.id = m.campaign_id
WHERE m.company_id = %s AND NOT m.in_holdout
  AND k.status IN (%s, %s) AND k.starts_at <= %s AND k.ends_at > %s AND k.ends_at > %s
  AND k.points_awarded < k.points_budget
  AND EXISTS (SELECT 1 FROM {rule} r WHERE r.campaign_id = k.id)
UNION ALL
SELECT 'referral', r.id
FROM {referral} r JOIN {company} c ON c.country = r.country AND c.org_number = r.org_number
WHERE c.id = %s AND r.status = %s
UNION ALL
SELECT 'due', k.id
FROM {campaign} k
WHERE k.status = %s AND k.starts_at <= %s AND k.starts_at <= %s
"""
        ).format(**_tables())
    )


@functools.cache
def _rules_sql(count: int) -> str:
    return _render(
        sql.SQL(
            """
SELECT r.id, r.campaign_id, r.kind, r.multiplier, r.bonus_points, r.min_amount, rc.productcategory_id
FROM {rule} r
LEFT JOIN {rule_category} rc ON rc.campaignrule_id = r.id
WHERE r.campaign_id IN ({placeholders})
ORDER BY r.campaign_id, r.id
"""
        ).format(placeholders=sql.SQL(", ").join([sql.Placeholder()] * count), **_tables())
    )


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
            _candidates_sql(),
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
        cursor.execute(_rules_sql(len(campaigns)), [campaign.pk for campaign in campaigns])
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
    from .tasks import reward_referral  # lazy: the tasks import the services, which import this module

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

    tier_multiplier = account.tier.earn_multiplier if account.tier_id else None
    per_unit = rules.points_per_currency_unit
    # Each line's exact points by the earn rule (rewards.rules), which campaigns multiply.
    amounts = [(line.category_id, line.amount, line.category.multiplier if line.category else None) for line in lines]
    items = [
        (
            category_id,
            exact_points(
                amount=amount, category_multiplier=category, per_unit=per_unit, tier_multiplier=tier_multiplier
            ),
        )
        for category_id, amount, category in amounts or [(None, purchase.net_amount, None)]
    ]

    multipliers = []
    first_purchase = []
    large_purchase = []
    for campaign, campaign_rules in campaigns:
        for rule in campaign_rules:
            if rule.kind == RuleKind.MULTIPLIER:
                multipliers.append((rule.multiplier, campaign, rule.categories))
            elif rule.kind == RuleKind.FIRST_PURCHASE:
                first_purchase.append((rule.bonus_points, campaign))
            elif rule.kind == RuleKind.LARGE_PURCHASE and large_enough(purchase.net_amount, rule.min_amount, rules):
                large_purchase.append((rule.bonus_points, campaign))

    planned: dict[int, list[tuple[str, int]]] = defaultdict(list)
    # Rule 2 and 4: per line, the multiplier that takes precedence among the covering campaigns.
    extra: dict[int, Decimal] = defaultdict(Decimal)
    for category_id, line_points in items:
        covering = [(m, c) for m, c, categories in multipliers if not categories or category_id in categories]
        if covering:
            multiplier, campaign = min(covering, key=lambda mc: multiplier_precedence(mc[0], mc[1].pk))
            extra[campaign.pk] += campaign_extra(line_points, multiplier)
    for campaign_id, exact in extra.items():
        points = whole_points(exact)
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


# --- The set-based CSV import (rewards.purchases.imports) ---------------------------------------------------
#
# A chunk's rows are in ``purchase_import_staging``; its accounts are locked. Multiplier
# awards are computed set-based into ``purchase_import_campaign`` (line → campaign, points,
# its name), which rewards.purchases.imports adds to each row's earn, to its tier check and to its memo;
# ``import_campaigns_record`` then writes the awards and moves each campaign's budget once.
# Whatever depends on the order of the rows goes through the per-purchase path instead, as
# rewards.purchases.imports does for shortfalls and tier changes: an account a bonus may reward (the
# first purchase is "the first recorded"), and every account of a campaign whose budget this
# chunk might exhaust (who gets the last points depends on file order).


# The tables the statements below read and write, named from the models (and, for the
# import's own temporary tables, from rewards.earn), never spelled out in the SQL.
@functools.cache
def _tables() -> dict[str, sql.Composable]:
    models = {
        "company": Company,
        "account": PointsAccount,
        "member": CampaignMember,
        "campaign": Campaign,
        "rule": CampaignRule,
        "rule_category": CampaignRule.categories.through,
        "award": CampaignAward,
        "purchase": Purchase,
        "category": ProductCategory,
        "tier": Tier,
        "entry": LedgerEntry,
        "referral": Referral,
    }
    tables = {name: sql.Identifier(model._meta.db_table) for name, model in models.items()}
    tables.update(
        staging=sql.Identifier(IMPORT_STAGING_TABLE),
        new=sql.Identifier(IMPORT_NEW_TABLE),
        bonus=sql.Identifier(IMPORT_BONUS_TABLE),
    )
    return tables


def _eligible(extra_joins: sql.Composable | None = None) -> sql.Composable:
    """FROM … WHERE of the campaigns that may reward a new row of the chunk: the same
    conditions as ``_candidates`` (the company treated, the purchase in the period, reported
    in time, budget left, the purchase not recorded yet)."""
    return sql.SQL(
        """
FROM {staging} s
JOIN {company} c ON c.external_id = s.company_external_id
JOIN {account} a ON a.company_id = c.id
JOIN {member} m ON m.company_id = c.id AND NOT m.in_holdout
JOIN {campaign} k ON k.id = m.campaign_id
{extra_joins}
WHERE a.id = ANY(%(accounts)s)
  AND k.status = ANY(%(statuses)s)
  AND k.starts_at <= s.occurred_at AND s.occurred_at < k.ends_at
  AND k.ends_at > %(late_cutoff)s
  AND k.points_awarded < k.points_budget
  AND NOT EXISTS (SELECT 1 FROM {purchase} p WHERE p.source = s.source AND p.external_id = s.external_id)
"""
    ).format(extra_joins=extra_joins or sql.SQL(""), **_tables())


def large_enough(net_amount: Decimal, min_amount: Decimal, rules) -> bool:
    """A large-purchase rule's ``min_amount`` is in the programme's base currency; a purchase
    in another currency reaches it when it earns as much at its own rate as ``min_amount``
    earns at the base rate (the club's parity; no exchange rate). ``rules`` are the
    purchase's currency view (``ProgrammeRules.in_currency``)."""
    base = rules.base
    if rules is base:
        return net_amount >= min_amount
    return net_amount * rules.points_per_currency_unit >= min_amount * base.points_per_currency_unit


# ``large_enough`` for a staged row ``s`` under rule ``r`` (``s.per_unit``: its currency's rate).
_LARGE_ENOUGH_SQL = sql.SQL(
    """(CASE WHEN s.currency = %(base_currency)s THEN s.net_amount >= r.min_amount
    ELSE s.net_amount * s.per_unit >= r.min_amount * %(base_per_unit)s::numeric END)"""
)


def _rule_joins(*, tier: bool) -> sql.Composable:
    joins = "JOIN {rule} r ON r.campaign_id = k.id LEFT JOIN {category} pc ON pc.id = s.category_id"
    if tier:
        joins += " LEFT JOIN {tier} t ON t.id = a.tier_id"
    return sql.SQL(joins).format(**_tables())


def _row_extra_sql(tier_multiplier: sql.Composable) -> sql.Composable:
    """A staged row's campaign points under rule ``r``: the earn rule (rewards.rules), the same
    definition the per-purchase path evaluates."""
    exact = exact_points_sql(
        amount=sql.SQL("s.net_amount"),
        category_multiplier=sql.SQL("pc.multiplier"),
        per_unit=sql.SQL("s.per_unit"),  # the earn rate of the row's currency, staged by the import
        tier_multiplier=tier_multiplier,
    )
    return whole_points_sql(campaign_extra_sql(exact, sql.SQL("r.multiplier")))


def _covers() -> sql.Composable:
    """Rule ``r`` covers the staged row: it names no categories, or the row's."""
    return sql.SQL(
        """(NOT EXISTS (SELECT 1 FROM {rule_category} rc WHERE rc.campaignrule_id = r.id)
    OR EXISTS (SELECT 1 FROM {rule_category} rc
               WHERE rc.campaignrule_id = r.id AND rc.productcategory_id = s.category_id))"""
    ).format(**_tables())


def _best_multiplier_sql() -> sql.Composable:
    """Each remaining new row's multiplier award: of the covering campaigns, the first by
    ``MULTIPLIER_PRECEDENCE`` (as ``purchase_campaign_bonus`` picks it), with the campaign's name
    for the earn's memo."""
    return sql.SQL(
        """
INSERT INTO {bonus} (line, campaign_id, points, campaign)
SELECT line, campaign_id, points, name
FROM (
    SELECT DISTINCT ON (s.line) s.line, k.id AS campaign_id, {name} AS name, {points} AS points
    {eligible}
      AND a.id <> ALL(%(routed)s)
      AND r.kind = {multiplier} AND {covers}
    ORDER BY s.line, {precedence}
) best
WHERE points > 0
"""
    ).format(
        points=_row_extra_sql(sql.SQL("t.earn_multiplier")),
        eligible=_eligible(_rule_joins(tier=True)),
        multiplier=sql.Literal(RuleKind.MULTIPLIER.value),
        covers=_covers(),
        precedence=multiplier_precedence_sql(multiplier=sql.SQL("r.multiplier"), campaign_id=sql.SQL("k.id")),
        name=_name_in_every_language_sql(),
        **_tables(),
    )


def _name_in_every_language_sql() -> sql.Composable:
    """The campaign's name in every language it has, as ``translations_of`` captures it
    (``{"en": …, "sv": …}``), else its name as it is: read in each reader's language."""
    pairs = sql.SQL(", ").join(
        sql.SQL("{code}, NULLIF(k.{column}, '')").format(code=sql.Literal(code), column=sql.Identifier(f"name_{code}"))
        for code in languages()
    )
    return sql.SQL(
        "COALESCE(NULLIF(jsonb_strip_nulls(jsonb_build_object({pairs})), '{{}}'::jsonb), to_jsonb(k.name))"
    ).format(pairs=pairs)


def _bonus_accounts_sql() -> sql.Composable:
    """Accounts a fixed bonus may reward in this chunk: their rows take the per-purchase path
    (which purchase is "the first" depends on the order of the rows)."""
    return sql.SQL(
        """
SELECT DISTINCT a.id
{eligible}
  AND EXISTS (
    SELECT 1 FROM {rule} r WHERE r.campaign_id = k.id AND (
        (r.kind = {large} AND {large_enough})
        OR (r.kind = {first} AND NOT EXISTS (
            SELECT 1 FROM {award} w
            WHERE w.campaign_id = k.id AND w.company_id = c.id AND w.kind = {first_award}
        ))
    )
  )
"""
    ).format(
        eligible=_eligible(),
        large=sql.Literal(RuleKind.LARGE_PURCHASE.value),
        large_enough=_LARGE_ENOUGH_SQL,
        first=sql.Literal(RuleKind.FIRST_PURCHASE.value),
        first_award=sql.Literal(AwardKind.FIRST_PURCHASE.value),
        **_tables(),
    )


def _potential_sql() -> sql.Composable:
    """What each campaign could give this chunk at most: its own multiplier on every row it
    covers (even where another campaign's is higher) at the highest tier, every
    large-purchase bonus, and a first-purchase bonus per account."""
    return sql.SQL(
        """
SELECT k.id, k.points_budget - k.points_awarded,
       COALESCE(SUM(CASE WHEN r.kind = {multiplier} AND {covers} THEN {points}
                    WHEN r.kind = {large} AND {large_enough} THEN r.bonus_points
                    ELSE 0 END), 0)
       + COALESCE((SELECT SUM(r2.bonus_points) FROM {rule} r2
                   WHERE r2.campaign_id = k.id AND r2.kind = {first}), 0) * COUNT(DISTINCT a.id)
{eligible}
GROUP BY k.id, k.points_budget, k.points_awarded
"""
    ).format(
        multiplier=sql.Literal(RuleKind.MULTIPLIER.value),
        covers=_covers(),
        points=_row_extra_sql(sql.SQL("{}::numeric").format(sql.Placeholder("top_tier"))),
        large=sql.Literal(RuleKind.LARGE_PURCHASE.value),
        large_enough=_LARGE_ENOUGH_SQL,
        first=sql.Literal(RuleKind.FIRST_PURCHASE.value),
        eligible=_eligible(_rule_joins(tier=False)),
        **_tables(),
    )


def import_campaigns_prepare(cursor, accounts: Sequence[tuple], *, now: datetime) -> set[int]:
    """Prepare a set-based import chunk's campaign points; returns the accounts whose rows
    must go through the per-purchase path instead (see the comment above).

    ``accounts`` are the chunk's locked ``(account id, company id, tier id, shortfall)``.
    Locks the campaigns that may reward the chunk (after the accounts: the lock order every
    award keeps) and fills the import's bonus table with each remaining new row's best
    multiplier award, computed exactly as ``purchase_campaign_bonus`` does for a one-line
    purchase. A few statements per chunk, none when no campaign is running.
    """
    account_ids = [account[0] for account in accounts]
    if not account_ids or not Campaign.objects.filter(status__in=EARNING_STATUSES).exists():
        return set()
    rules = ProgrammeRules.current()  # the base currency, for large-purchase thresholds
    parameters = {
        "accounts": account_ids,
        "statuses": [str(status) for status in EARNING_STATUSES],
        "late_cutoff": now - timedelta(days=LATE_PURCHASE_DAYS),
        "base_currency": rules.currency,
        "base_per_unit": rules.points_per_currency_unit,
    }
    cursor.execute(_render(sql.SQL("SELECT DISTINCT k.id {}").format(_eligible())), parameters)
    campaign_ids = sorted(row[0] for row in cursor.fetchall())
    if not campaign_ids:
        return set()
    cursor.execute(
        _render(sql.SQL("SELECT id FROM {campaign} WHERE id = ANY(%s) ORDER BY id FOR UPDATE").format(**_tables())),
        [campaign_ids],
    )
    cursor.execute(_render(_bonus_accounts_sql()), parameters)
    routed = {row[0] for row in cursor.fetchall()}
    top_tier = max(Tier.objects.values_list("earn_multiplier", flat=True), default=Decimal("1"))
    cursor.execute(_render(_potential_sql()), {**parameters, "top_tier": max(top_tier, Decimal("1"))})
    tight = [campaign_id for campaign_id, left, potential in cursor.fetchall() if potential > left]
    if tight:
        cursor.execute(
            _render(sql.SQL("SELECT DISTINCT a.id {} AND k.id = ANY(%(tight)s)").format(_eligible())),
            {**parameters, "tight": tight},
        )
        routed |= {row[0] for row in cursor.fetchall()}
    cursor.execute(_render(_best_multiplier_sql()), {**parameters, "routed": sorted(routed)})
    return routed


def import_campaigns_record(cursor, now: datetime) -> None:
    """Record the multiplier awards of a set-based chunk's new purchases (their earns are
    written) and move each campaign's budget once; queue the owners' alerts of budgets it
    used up. The campaign rows are locked by ``import_campaigns_prepare``.

    A chunk without awards (no campaign running: the usual case) stops after one probe of
    the small award table: the award statement's join of the temporary tables with the
    ledger was planned as a scan of the whole ledger, and grew with it (0.004 s in an
    import's first chunk, 1–1.7 s per 500-row chunk after half a million rows)."""
    tables = _tables()
    cursor.execute(_render(sql.SQL("SELECT EXISTS (SELECT 1 FROM {bonus})").format(**tables)))
    if not cursor.fetchone()[0]:
        return
    cursor.execute(f"ANALYZE {IMPORT_BONUS_TABLE}")
    cursor.execute(
        _render(
            sql.SQL(
                """
        INSERT INTO {award} (campaign_id, company_id, kind, points, entry_id, purchase_id, created_at)
        SELECT pic.campaign_id, a.company_id, {multiplier}, pic.points, e.id, n.purchase_id, %(now)s
        FROM {new} n
        JOIN {bonus} pic ON pic.line = n.line
        JOIN {account} a ON a.id = n.account_id
        JOIN {entry} e ON e.purchase_id = n.purchase_id AND e.kind = {earn}
        ORDER BY n.line
        """
            ).format(
                multiplier=sql.Literal(AwardKind.MULTIPLIER.value), earn=sql.Literal(EntryKind.EARN.value), **tables
            )
        ),
        {"now": now},
    )
    if not cursor.rowcount:
        return
    cursor.execute(
        _render(
            sql.SQL(
                """
        UPDATE {campaign} k SET points_awarded = k.points_awarded + d.points
        FROM (
            SELECT pic.campaign_id, SUM(pic.points) AS points
            FROM {new} n JOIN {bonus} pic ON pic.line = n.line
            GROUP BY pic.campaign_id
        ) d
        WHERE k.id = d.campaign_id
        RETURNING k.id, k.points_awarded >= k.points_budget AND k.budget_alert_sent_at IS NULL
        """
            ).format(**tables)
        )
    )
    spent = [campaign_id for campaign_id, alert in cursor.fetchall() if alert]
    if spent:
        from .tasks import send_budget_alert  # lazy: the tasks import the services, which import this module

        for campaign_id in spent:
            outbox_enqueue(send_budget_alert, campaign_id)


def import_queue_referrals(cursor) -> int:
    """Queue, after commit, the reward of every pending referral of a company that has a new
    purchase in the set-based import's chunk. One query."""
    cursor.execute(
        _render(
            sql.SQL(
                """
        SELECT DISTINCT r.id
        FROM {new} n
        JOIN {account} a ON a.id = n.account_id
        JOIN {company} c ON c.id = a.company_id
        JOIN {referral} r ON r.country = c.country AND r.org_number = c.org_number
        WHERE r.status = {pending}
        """
            ).format(pending=sql.Literal(ReferralStatus.PENDING.value), **_tables())
        )
    )
    referral_ids = [row[0] for row in cursor.fetchall()]
    if referral_ids:
        _queue_referrals(referral_ids)
    return len(referral_ids)


def _render(statement: sql.Composable) -> str:
    """The statement as text for Django's cursor (psycopg quotes the identifiers and literals)."""
    return statement.as_string(None)


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
    def _exact(self) -> Decimal:
        return exact_points(
            amount=self.amount,
            category_multiplier=self.category_multiplier,
            per_unit=self.per_unit,
            tier_multiplier=self.tier_multiplier,
        )

    @property
    def purchase_points(self) -> int:
        return whole_points(self._exact)

    @property
    def campaign_points(self) -> int:
        return whole_points(campaign_extra(self._exact, self.campaign_multiplier))

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

    def import_bonus(self, cursor, accounts: Sequence[tuple], *, now: datetime) -> set[int]:
        return import_campaigns_prepare(cursor, accounts, now=now)

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
