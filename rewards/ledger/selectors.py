"""Reads for the points economy. Each selector runs a fixed number of queries,
however many entries an account has."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from members.models import Company
from rewards.ledger.months import month_of, qualifying_points_between
from rewards.ledger.services import (
    points_expired_not_written_off,
    points_unexpired_lots,
    qualifying_points,
    unexpired_lots_subquery,
)
from rewards.models import (
    AccountMonth,
    EntryKind,
    LedgerEntry,
    PointsAccount,
    ProgrammeRules,
    Purchase,
    Tier,
)

EXPIRY_WARNING_DAYS = 60

_NET = F("points") + F("pending_points") - F("shortfall_points")


@dataclass(frozen=True)
class DatedPoints:
    on: date
    points: int


@dataclass(frozen=True)
class AccountSummary:
    balance: int
    balance_value: Decimal
    currency: str
    pending: int
    pending_releases: list[DatedPoints]
    shortfall: int
    expiring: list[DatedPoints]
    tier: Tier | None
    qualifying_points: int
    next_tier: Tier | None
    points_to_next_tier: int | None
    tiers: list[Tier] = field(default_factory=list)

    @property
    def expiring_total(self) -> int:
        return sum(item.points for item in self.expiring)


def points_value(*, points: int, rules: ProgrammeRules) -> Decimal:
    """The money value of ``points``, rounded to cents."""
    return (Decimal(points) * rules.point_value).quantize(Decimal("0.01"))


PENDING_WALK_BATCH = 500


def _pending_releases(account: PointsAccount) -> list[DatedPoints]:
    """The account's pending points by the day they are released.

    Unreleased earns are the newest by release date (releases go in that order; a late import
    is released at once), and what is left of them after returns adds up to the account's
    ``pending``. So the earns are read newest first, from the partial index
    ``rewards_entry_account_earns``, in batches that double (500, 1 000, …) until ``pending``
    is covered: one query for an account with up to 500 earns in its return window, however
    long its history; a few more for a very busy one. Nothing is read when nothing is pending.
    """
    if account.pending <= 0:
        return []
    returned = (
        LedgerEntry.objects.filter(
            kind=EntryKind.REVERSAL, account_id=account.pk, purchase__original_id=OuterRef("purchase_id")
        )
        .order_by()
        .values("purchase__original_id")
        .annotate(total=Sum("pending_points"))
        .values("total")
    )
    # Released or reversed earns are read too and skipped here: filtering them out in SQL
    # would make the batch's LIMIT look through every older (released) earn.
    earns = (
        LedgerEntry.objects.filter(account_id=account.pk, kind=EntryKind.EARN, available_at__isnull=False)
        .annotate(
            done=Exists(LedgerEntry.objects.filter(releases=OuterRef("pk")))
            | Exists(LedgerEntry.objects.filter(reverses=OuterRef("pk"))),
            returned=Coalesce(Subquery(returned), 0),
        )
        .order_by("-available_at", "-pk")
        .values_list("pk", "available_at", "pending_points", "returned", "done")
    )
    by_day: dict[date, int] = defaultdict(int)
    covered = 0
    after: tuple[datetime, int] | None = None
    size = PENDING_WALK_BATCH
    while covered < account.pending:
        batch = earns
        if after is not None:
            batch = batch.filter(Q(available_at__lt=after[0]) | Q(available_at=after[0], pk__lt=after[1]))
        rows = list(batch[:size])
        for _pk, available_at, pending_points, returned_points, done in rows:
            if not done:
                by_day[timezone.localdate(available_at)] += pending_points + returned_points
                covered += pending_points + returned_points
        if len(rows) < size:
            break
        after = (rows[-1][1], rows[-1][0])
        size *= 2
    return [DatedPoints(on, points) for on, points in sorted(by_day.items()) if points]


def _fifo_expiring(
    *, now: datetime, owed: int, lots: list[tuple[date, int]], include_due: bool = True
) -> list[DatedPoints]:
    """FIFO expiry by day, as ``points_expire`` computes it. Pure.

    ``owed``: Σ lots already past their expiry at ``now`` + Σ all debits (≤ 0), i.e.
    ``points_expired_not_written_off``; ``lots``: (local day, Σ points) of the lots expiring
    after ``now`` in the window, by day (``_lots_by_day``: what expires on a day is the rise
    of max(0, owed) over that day, so a day's lots add up before the FIFO step without
    changing it). Points already due but not yet written off by the nightly run show as
    expiring today (left out with ``include_due=False``).
    """
    already = max(0, owed)
    by_day: dict[date, int] = defaultdict(int)
    if already and include_due:
        by_day[timezone.localdate(now)] += already
    for day, points in lots:
        owed += points
        expired_by_then = max(0, owed)
        by_day[day] += expired_by_then - already
        already = expired_by_then
    return [DatedPoints(on, points) for on, points in sorted(by_day.items()) if points]


def _lots_by_day(lots: QuerySet) -> QuerySet:
    """Σ points of ``lots`` per local day of expiry (and account), by day: a busy account's
    window holds thousands of lots, a day's total is all the FIFO needs."""
    return (
        lots.annotate(day=TruncDate("expires_at"))
        .values("account_id", "day")
        .annotate(points=Sum("points"))
        .order_by("account_id", "day")
    )


def _expiring(account: PointsAccount, now: datetime, days: int) -> list[DatedPoints]:
    """Points that will expire, by day, in the next ``days`` days (FIFO, as ``points_expire``).

    Points already due but not yet written off by the nightly run show as expiring today.
    Two index reads: Σ the lots unexpired now, and the lots in the window.
    """
    until = now + timedelta(days=days)
    unexpired = points_unexpired_lots(account_id=account.pk, now=now)
    lots = _lots_by_day(
        LedgerEntry.objects.filter(account_id=account.pk, points__gt=0, expires_at__gt=now, expires_at__lte=until)
    ).values_list("day", "points")
    owed = points_expired_not_written_off(balance=account.balance, unexpired_lots=unexpired)
    return _fifo_expiring(now=now, owed=owed, lots=list(lots))


def points_expiring_by_account(
    *, now: datetime, until: datetime, account_ids: list[int] | None = None
) -> dict[int, list[DatedPoints]]:
    """For every account, the points that expire after ``now`` and up to ``until`` (exclusive),
    by local day, FIFO exactly as ``_expiring``/``account_summary`` show them; accounts with
    nothing expiring are left out. Points already past their expiry (not yet written off)
    are not included: they are no longer the member's to use.

    Two queries whatever the number of accounts: the lots in the window, and the balance and
    Σ unexpired lots of the accounts that have such lots (index ranges, not their
    ledgers). ``account_ids`` limits it to those accounts (one page of the rep workspace).
    """
    lots = LedgerEntry.objects.filter(points__gt=0, expires_at__gt=now, expires_at__lt=until, account__balance__gt=0)
    if account_ids is not None:
        lots = lots.filter(account_id__in=account_ids)
    lots_by_account: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for account_id, day, points in _lots_by_day(lots).values_list("account_id", "day", "points"):
        lots_by_account[account_id].append((day, points))
    if not lots_by_account:
        return {}
    owed_by_account = (
        PointsAccount.objects.filter(pk__in=list(lots_by_account))
        .annotate(unexpired=Coalesce(Subquery(unexpired_lots_subquery(OuterRef("pk"), now)), 0))
        .values_list("pk", "balance", "unexpired")
    )
    result = {}
    for account_id, balance, unexpired in owed_by_account:
        owed = points_expired_not_written_off(balance=balance, unexpired_lots=unexpired)
        expiring = _fifo_expiring(now=now, owed=owed, lots=lots_by_account[account_id], include_due=False)
        if expiring:
            result[account_id] = expiring
    return result


def account_summary(*, company: Company, now: datetime | None = None) -> AccountSummary:
    """What a member sees first: balance and its value, pending with release dates,
    points expiring in the next 60 days with dates, tier and points to the next tier.

    Seven queries whatever the size of the ledger (six with nothing pending; a company with
    more than 500 earns in its return window needs one more per doubling, see
    ``_pending_releases``), each an index range of the account; a company without an account
    yet gets an empty summary.
    """
    now = now or timezone.now()
    # Values in the company's own currency (one more query for a currency other than the base).
    rules = ProgrammeRules.current().in_currency_or_base(company.purchase_currency)
    tiers = list(Tier.objects.all())
    account = PointsAccount.objects.filter(company=company).select_related("tier").first()
    if account is None:
        lowest = tiers[0] if tiers else None
        return AccountSummary(
            balance=0,
            balance_value=Decimal("0.00"),
            currency=rules.currency,
            pending=0,
            pending_releases=[],
            shortfall=0,
            expiring=[],
            tier=None,
            qualifying_points=0,
            next_tier=lowest,
            points_to_next_tier=lowest.qualifying_points if lowest else None,
            tiers=tiers,
        )
    qualifying = qualifying_points(account=account, now=now)
    current_rank = account.tier.qualifying_points if account.tier else -1
    next_tier = next((tier for tier in tiers if tier.qualifying_points > current_rank), None)
    return AccountSummary(
        balance=account.balance,
        balance_value=points_value(points=account.balance, rules=rules),
        currency=rules.currency,
        pending=account.pending,
        pending_releases=_pending_releases(account),
        shortfall=account.shortfall,
        expiring=_expiring(account, now, EXPIRY_WARNING_DAYS),
        tier=account.tier,
        qualifying_points=qualifying,
        next_tier=next_tier,
        points_to_next_tier=max(0, next_tier.qualifying_points - qualifying) if next_tier else None,
        tiers=tiers,
    )


@dataclass(frozen=True)
class MonthPoints:
    month: date
    earned: int
    spent: int


def points_by_month(*, account: PointsAccount, now: datetime | None = None, months: int = 12) -> list[MonthPoints]:
    """Points earned (net of credit notes and reversed earns) and spent (redeemed, net of
    reversed redemptions) per calendar month, oldest first, for the last ``months`` months
    including the current one. One query of at most ``months`` rows (the account's months,
    ``rewards.ledger.months``); months without movements show zeros."""
    current = month_of(now or timezone.now())
    first = current - relativedelta(months=months - 1)
    by_month = {
        row.month: row for row in AccountMonth.objects.filter(account=account, month__gte=first, month__lte=current)
    }
    result = []
    for offset in range(months):
        month = first + relativedelta(months=offset)
        row = by_month.get(month)
        result.append(MonthPoints(month=month, earned=row.earned if row else 0, spent=-row.spent if row else 0))
    return result


def ledger_mismatches() -> list[dict]:
    """Accounts whose cached buckets differ from the sums of their entries, in one query.

    balance == Σ points (spendable only: pending earns carry ``points = 0``),
    pending == Σ pending_points, shortfall == Σ shortfall_points.
    """
    return list(
        PointsAccount.objects.annotate(
            entry_points=Coalesce(Sum("entries__points"), 0),
            entry_pending=Coalesce(Sum("entries__pending_points"), 0),
            entry_shortfall=Coalesce(Sum("entries__shortfall_points"), 0),
        )
        .filter(~Q(balance=F("entry_points")) | ~Q(pending=F("entry_pending")) | ~Q(shortfall=F("entry_shortfall")))
        .order_by("pk")
        .values(
            "pk", "company_id", "balance", "entry_points", "pending", "entry_pending", "shortfall", "entry_shortfall"
        )
    )


def balance_after_mismatches(*, limit: int = 20) -> list[dict]:
    """Entries whose stored ``balance_after`` is not the running sum of their account's
    ``points`` up to and including them, in the order they were written (id). One query."""
    table = LedgerEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT id, account_id, balance_after, running FROM (
                    SELECT id, account_id, balance_after,
                           SUM(points) OVER (PARTITION BY account_id ORDER BY id) AS running
                    FROM {table}
                ) s
                WHERE balance_after IS NOT NULL AND balance_after <> running
                ORDER BY id LIMIT %s""",
            [limit],
        )
        return [
            {"pk": pk, "account_id": account_id, "balance_after": stored, "running": running}
            for pk, account_id, stored, running in cursor.fetchall()
        ]


# --- Member pages and staff views ------------------------------------------------------------

RECENT_ENTRIES = 5


def programme_rules_for_request(request) -> ProgrammeRules:
    """``ProgrammeRules.current()`` loaded at most once per request (cached on the request),
    so a page with many points figures reads the rules one time — in the reader's currency:
    a member's company's (``ProgrammeRules.in_currency``), the club's base currency for staff
    and anyone without a company (club-wide figures: liability, insights, budgets)."""
    rules = getattr(request, "_points_programme_rules", None)
    if rules is None:
        rules = ProgrammeRules.current()
        company = reader_company(request)
        if company is not None:
            rules = rules.in_currency_or_base(company.purchase_currency)
        request._points_programme_rules = rules
    return rules


def reader_company(request) -> Company | None:
    """The company whose currency the reader reads values in: a member's (never staff's)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff:
        return None
    membership = getattr(request, "membership", None)
    return membership.company if membership else None


@dataclass(frozen=True)
class PointsDashboard:
    summary: AccountSummary
    months: list[MonthPoints]
    recent_entries: list[LedgerEntry]
    tier_progress_percent: int
    # Where the tier is heading at the next yearly evaluation (downgrades are announced).
    tier_outlook: TierOutlook | None = None


def _tier_progress_percent(summary: AccountSummary) -> int:
    """How far the company's qualifying points are from its current tier to the next, 0–100."""
    if summary.next_tier is None:
        return 100
    floor = summary.tier.qualifying_points if summary.tier else 0
    span = summary.next_tier.qualifying_points - floor
    if span <= 0:
        return 100
    return max(0, min(100, int((summary.qualifying_points - floor) * 100 / span)))


def points_dashboard(*, company: Company, now: datetime | None = None) -> PointsDashboard:
    """Everything the member dashboard shows about points: the ``account_summary``, points
    earned and spent per month over 12 months, and the most recent entries.

    At most twelve queries whatever the size of the ledger (``account_summary``'s seven, the
    account, the months, the recent entries, ``tier_outlook``'s two).
    """
    now = now or timezone.now()
    summary = account_summary(company=company, now=now)
    account = PointsAccount.objects.filter(company=company).only("pk", "tier_id").first()
    if account is None:
        return PointsDashboard(summary=summary, months=[], recent_entries=[], tier_progress_percent=0)
    return PointsDashboard(
        summary=summary,
        months=points_by_month(account=account, now=now),
        recent_entries=list(account.entries.order_by("-created_at", "-pk")[:RECENT_ENTRIES]),
        tier_progress_percent=_tier_progress_percent(summary),
        tier_outlook=tier_outlook(account=account, now=now) if account.tier_id else None,
    )


def company_ledger_entries(*, company: Company):
    """The company's ledger entries, newest first; the only queryset member pages list entries from.

    With what the history shows of each entry: who caused it (``created_by``, ``purchase``)
    and ``balance_after``, the company's spendable balance right after it — stored on the
    entry when it was written, so it is right on page N and under any filter and costs
    nothing to read. The order is served by the (account, created, id) index.
    """
    # The account's id first (one small query), not a join or a subquery: with the value the
    # planner knows how many entries the account has and walks the (account, created, id)
    # index in order, so a page reads only its own rows instead of sorting all of them.
    account_id = PointsAccount.objects.filter(company=company).values_list("pk", flat=True).first()
    return (
        LedgerEntry.objects.filter(account_id=account_id)
        .select_related("created_by", "purchase")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class TierLiability:
    tier_name: str
    accounts: int
    balance: int
    pending: int
    shortfall: int
    balance_value: Decimal


@dataclass(frozen=True)
class PointsLiability:
    """The club's outstanding points and what they are worth, for staff."""

    currency: str
    point_value: Decimal
    accounts: int
    balance: int
    pending: int
    shortfall: int
    balance_value: Decimal
    pending_value: Decimal
    shortfall_value: Decimal
    by_tier: list[TierLiability]

    @property
    def total_points(self) -> int:
        """Spendable plus pending: what the club owes once the return windows close."""
        return self.balance + self.pending

    @property
    def total_value(self) -> Decimal:
        return self.balance_value + self.pending_value


def points_liability(*, rules: ProgrammeRules, accounts: QuerySet[PointsAccount] | None = None) -> PointsLiability:
    """Outstanding points (balance), pending points and shortfall of ``accounts`` (default:
    the whole club), with their money value at ``rules.point_value``, in total and per tier.
    One query, grouped by tier."""

    accounts = PointsAccount.objects.all() if accounts is None else accounts
    rows = list(
        accounts.order_by()
        .values("tier__name", "tier__qualifying_points")
        .annotate(
            accounts=Count("pk"),
            balance_sum=Coalesce(Sum("balance"), 0),
            pending_sum=Coalesce(Sum("pending"), 0),
            shortfall_sum=Coalesce(Sum("shortfall"), 0),
        )
        .order_by(F("tier__qualifying_points").asc(nulls_first=True))
    )
    by_tier = [
        TierLiability(
            tier_name=row["tier__name"] or "",
            accounts=row["accounts"],
            balance=row["balance_sum"],
            pending=row["pending_sum"],
            shortfall=row["shortfall_sum"],
            balance_value=points_value(points=row["balance_sum"], rules=rules),
        )
        for row in rows
    ]
    balance = sum(row.balance for row in by_tier)
    pending = sum(row.pending for row in by_tier)
    shortfall = sum(row.shortfall for row in by_tier)
    return PointsLiability(
        currency=rules.currency,
        point_value=rules.point_value,
        accounts=sum(row.accounts for row in by_tier),
        balance=balance,
        pending=pending,
        shortfall=shortfall,
        balance_value=points_value(points=balance, rules=rules),
        pending_value=points_value(points=pending, rules=rules),
        shortfall_value=points_value(points=shortfall, rules=rules),
        by_tier=by_tier,
    )


# --- Tier outlook: downgrades are announced ahead of the yearly evaluation -------------------


def next_tier_evaluation(*, now: datetime) -> datetime:
    """The moment of the first yearly tier evaluation after ``now``: the beat entry
    ``rewards-evaluate-tiers-yearly`` (``POINTS_TIER_DOWNGRADE_MONTH``/``_DAY`` at
    ``POINTS_EXPIRE_HOUR``:30, local time), the only run that may downgrade."""
    zone = timezone.get_current_timezone()

    def evaluation_in(year: int) -> datetime:
        return datetime(
            year,
            settings.POINTS_TIER_DOWNGRADE_MONTH,
            settings.POINTS_TIER_DOWNGRADE_DAY,
            settings.POINTS_EXPIRE_HOUR,
            30,
            tzinfo=zone,
        )

    year = timezone.localtime(now).year
    candidate = evaluation_in(year)
    return candidate if candidate > now else evaluation_in(year + 1)


@dataclass(frozen=True)
class TierOutlook:
    """Where a company's tier is heading at the next yearly evaluation, if it buys nothing more.

    ``qualifying_points_at_evaluation`` counts the purchases already recorded that will still
    be inside the 12-month window at ``evaluation_at``. ``points_to_keep_tier`` is what it
    still has to earn by then to keep ``tier`` (0 when the tier is safe or there is none).
    """

    account_id: int
    company_id: int
    tier: Tier | None
    evaluation_at: datetime
    qualifying_points_at_evaluation: int
    tier_at_evaluation: Tier | None
    points_to_keep_tier: int

    @property
    def evaluation_on(self) -> date:
        return timezone.localdate(self.evaluation_at)

    @property
    def downgrade_expected(self) -> bool:
        return self.tier is not None and (
            self.tier_at_evaluation is None or self.tier_at_evaluation.qualifying_points < self.tier.qualifying_points
        )


def _qualifying_at(evaluation_at: datetime, account_ref, company_ref) -> Subquery:
    """Σ net points of earns and returns whose purchase falls in the 12 months before
    ``evaluation_at`` (as ``qualifying_points`` counts them), for the account ``account_ref``
    of the company ``company_ref`` (its purchases are read by their company index)."""
    return Subquery(
        LedgerEntry.objects.filter(
            account_id=account_ref,
            kind__in=[EntryKind.EARN, EntryKind.REVERSAL],
            purchase__company_id=company_ref,
            purchase__occurred_at__gt=evaluation_at - relativedelta(months=12),
            purchase__occurred_at__lte=evaluation_at,
        )
        .order_by()
        .values("account_id")
        .annotate(total=Sum(_NET))
        .values("total")
    )


def _outlook(
    *, account_id: int, company_id: int, tier: Tier | None, qualifying: int, evaluation_at: datetime, tiers: list[Tier]
) -> TierOutlook:
    reached = [candidate for candidate in tiers if candidate.qualifying_points <= qualifying]
    tier_at_evaluation = reached[-1] if reached else None
    if tier is not None and (
        tier_at_evaluation is None or tier_at_evaluation.qualifying_points < tier.qualifying_points
    ):
        # Upgrades are immediate, so only a downgrade (or keeping the tier) is ahead.
        points_to_keep = max(0, tier.qualifying_points - qualifying)
    else:
        points_to_keep = 0
        if (
            tier is not None
            and tier_at_evaluation is not None
            and tier_at_evaluation.qualifying_points > tier.qualifying_points
        ):
            tier_at_evaluation = tier  # not yet upgraded (the daily run will): never shown as a loss
    return TierOutlook(
        account_id=account_id,
        company_id=company_id,
        tier=tier,
        evaluation_at=evaluation_at,
        qualifying_points_at_evaluation=qualifying,
        tier_at_evaluation=tier_at_evaluation,
        points_to_keep_tier=points_to_keep,
    )


def tier_outlook(*, account: PointsAccount, now: datetime | None = None) -> TierOutlook:
    """The tier ``account`` would have at the next yearly evaluation from the purchases
    recorded so far, and the points it still needs to keep its current tier.

    For the dashboard ("earn N more points by DATE to stay Gold"). Two queries (tiers,
    qualifying points at the evaluation) whatever the size of the ledger.
    """
    now = now or timezone.now()
    evaluation_at = next_tier_evaluation(now=now)
    tiers = list(Tier.objects.order_by("qualifying_points"))
    tier = next((candidate for candidate in tiers if candidate.pk == account.tier_id), None)
    qualifying = qualifying_points_between(
        account_id=account.pk,
        company_id=account.company_id,
        start=evaluation_at - relativedelta(months=12),
        end=evaluation_at,
    )
    return _outlook(
        account_id=account.pk,
        company_id=account.company_id,
        tier=tier,
        qualifying=qualifying,
        evaluation_at=evaluation_at,
        tiers=tiers,
    )


def tier_downgrades_expected(*, now: datetime) -> list[TierOutlook]:
    """``tier_outlook`` of every account that would drop a tier at the next yearly evaluation,
    by account id. Two queries whatever the number of accounts."""
    evaluation_at = next_tier_evaluation(now=now)
    tiers = list(Tier.objects.order_by("qualifying_points"))
    tiers_by_pk = {tier.pk: tier for tier in tiers}
    rows = (
        PointsAccount.objects.filter(tier__isnull=False)
        .annotate(qualifying=Coalesce(_qualifying_at(evaluation_at, OuterRef("pk"), OuterRef("company_id")), 0))
        .filter(qualifying__lt=F("tier__qualifying_points"))
        .order_by("pk")
        .values_list("pk", "company_id", "tier_id", "qualifying")
    )
    return [
        _outlook(
            account_id=account_id,
            company_id=company_id,
            tier=tiers_by_pk[tier_id],
            qualifying=qualifying,
            evaluation_at=evaluation_at,
            tiers=tiers,
        )
        for account_id, company_id, tier_id, qualifying in rows
    ]


# --- The reward catalogue and redemptions (rewards.redemptions.services writes them) --------------------


def purchase_sources() -> list[str]:
    """The distinct ``Purchase.source`` values (a handful: "erp", "api", …), read by skipping
    through the unique (source, external_id) index — one index probe per source — instead
    of a ``SELECT DISTINCT`` over every purchase. For the admin's source filter and for
    searching a purchase by its reference on that index. One query."""
    table = Purchase._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH RECURSIVE sources(source) AS (
                    SELECT (SELECT source FROM {table} ORDER BY source LIMIT 1)
                    UNION ALL
                    SELECT (SELECT p.source FROM {table} p WHERE p.source > s.source ORDER BY p.source LIMIT 1)
                    FROM sources s WHERE s.source IS NOT NULL
                )
                SELECT source FROM sources WHERE source IS NOT NULL"""
        )
        return [source for (source,) in cursor.fetchall()]
