"""Each company's purchase activity for "My accounts" (``AccountActivity``), recomputed
from the purchases in set-based statements so the list sorts and filters on columns.

Before this, every page view of the list aggregated the purchases of every account in
scope (the latest one, the net amounts of two 90-day windows) to sort by trend or filter
"falling": seconds per view at 10 000 companies and millions of purchases.

The figures are *derived*, never written by hand, and kept fresh by two jobs:

- ``account_activity_catch_up`` (beat, every few minutes): recomputes the companies with
  a purchase newer than an earlier run saw — by purchase id, read from the primary key.
  It starts from a run at least ``CATCH_UP_OVERLAP`` old, so a purchase whose transaction
  committed after a run had already read the newest id is picked up by the next runs;
- ``account_activity_rebuild`` (nightly, and ``manage.py rebuild_account_activity``):
  recomputes every company, which also slides the 90-day windows forward.

Amounts are in the club's base currency: a purchase in another currency counts at that
currency's reporting rate, rounded to cents per purchase (``rewards.purchases.selectors``,
as Insights and campaign results add revenue), so the trend, the sorting and the "falling"
filter compare like with like across accounts. Each run records the rates it used
(``AccountActivityRun.reporting_rates``); when the newest run's are not today's (a club
admin changed a rate, another base currency; runs from before amounts were converted have
none) the next catch-up recomputes every company.

Nothing in the earn path changes: the purchase services and the CSV import write what
they wrote, and the figures follow within one catch-up interval. Credit notes are
purchases, so they are picked up the same way; expiries and reversals move points, not
purchase amounts, and the list reads the balance live from the points account.

On PostgreSQL the figures come from one set-based statement (``_REFRESH_SQL``); on SQLite,
the zero-setup mode and ``make test`` without ``DATABASE_URL``, from grouped aggregates of
the ORM written with ``bulk_create`` (``_refresh_portable``) to the same definitions. A test
holds the two to the same rows on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.db import connection, transaction
from django.db.models import DecimalField, Max, Q, Sum
from django.utils import timezone

from members.models import Company
from rewards.models import Purchase
from rewards.purchases.selectors import (
    net_amount_in_base,
    net_amount_in_base_sql,
    reporting_fingerprint,
    reporting_rates,
)

from .models import AccountActivity, AccountActivityRun

TREND_DAYS = 90
CATCH_UP_OVERLAP = timedelta(minutes=15)
RUNS_KEPT = timedelta(days=2)
TREND_LIMIT = 10**15  # a per cent figure the column holds; a near-zero "before" cannot overflow it
MONEY = DecimalField(max_digits=20, decimal_places=2)  # as the AccountActivity columns
# One run at a time (pg_advisory_xact_lock key; any constant unique to this job).
_LOCK_KEY = 7_300_001

_REFRESH_SQL = """
INSERT INTO {activity} (company_id, last_purchase_at, purchases_recent, purchases_before, trend, computed_at)
SELECT c.id, latest.occurred_at, sums.recent, sums.before,
       CASE WHEN sums.before > 0 THEN
           LEAST(GREATEST(ROUND((sums.recent - sums.before) * 100 / sums.before, 2), -%(limit)s), %(limit)s)
       END,
       %(now)s
FROM {company} c
LEFT JOIN LATERAL (
    SELECT p.occurred_at FROM {purchase} p
    WHERE p.company_id = c.id AND p.original_id IS NULL
    ORDER BY p.occurred_at DESC LIMIT 1
) latest ON TRUE
CROSS JOIN LATERAL (
    SELECT COALESCE(SUM({amount}) FILTER (WHERE p.occurred_at >= %(recent_start)s), 0) AS recent,
           COALESCE(SUM({amount}) FILTER (WHERE p.occurred_at < %(recent_start)s), 0) AS before
    FROM {purchase} p
    WHERE p.company_id = c.id AND p.occurred_at >= %(before_start)s AND p.occurred_at < %(now)s
) sums
{where}
ORDER BY c.id
ON CONFLICT (company_id) DO UPDATE SET
    last_purchase_at = EXCLUDED.last_purchase_at,
    purchases_recent = EXCLUDED.purchases_recent,
    purchases_before = EXCLUDED.purchases_before,
    trend = EXCLUDED.trend,
    computed_at = EXCLUDED.computed_at
"""


def _refresh(*, company_ids: list[int] | None, now: datetime, rates: dict[str, Decimal]) -> int:
    """Recompute the rows of ``company_ids`` (every company when None) as of ``now``, amounts
    in the base currency at ``rates`` (``reporting_rates``); returns how many rows were written."""
    if connection.vendor == "postgresql":
        return _refresh_sql(company_ids=company_ids, now=now, rates=rates)
    return _refresh_portable(company_ids=company_ids, now=now, rates=rates)


def _refresh_sql(*, company_ids: list[int] | None, now: datetime, rates: dict[str, Decimal]) -> int:
    """PostgreSQL: one statement. Rows are written in company-id order, so two runs cannot
    deadlock."""
    recent_start = now - timedelta(days=TREND_DAYS)
    amount, rate_params = net_amount_in_base_sql("p", rates)
    sql = _REFRESH_SQL.format(
        activity=AccountActivity._meta.db_table,
        company=Company._meta.db_table,
        purchase=Purchase._meta.db_table,
        amount=amount,
        where="" if company_ids is None else "WHERE c.id = ANY(%(ids)s)",
    )
    params = {
        **rate_params,
        "now": now,
        "recent_start": recent_start,
        "before_start": recent_start - timedelta(days=TREND_DAYS),
        "limit": TREND_LIMIT,
        "ids": list(company_ids or []),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


_PORTABLE_BATCH = 500  # ids per IN (...) and rows per INSERT: well under SQLite's variable limit
_CENT = Decimal("0.01")


def _trend(recent: Decimal, before: Decimal) -> Decimal | None:
    """The SQL's trend: the percent change rounded to cents half away from zero (as ROUND of
    a numeric), clamped to +-TREND_LIMIT; None when there was nothing before."""
    if before <= 0:
        return None
    with localcontext() as context:
        context.prec = 50
        change = ((recent - before) * 100 / before).quantize(_CENT, rounding=ROUND_HALF_UP)
    return min(max(change, Decimal(-TREND_LIMIT)), Decimal(TREND_LIMIT))


def _refresh_portable(*, company_ids: list[int] | None, now: datetime, rates: dict[str, Decimal]) -> int:
    """Any database (SQLite): the same rows as ``_REFRESH_SQL`` from two grouped aggregates
    per batch of companies (the latest purchase that is not a credit note; the net amounts in
    the base currency of the two ``TREND_DAYS`` windows before ``now``), written with one
    upsert per batch."""
    recent_start = now - timedelta(days=TREND_DAYS)
    before_start = recent_start - timedelta(days=TREND_DAYS)
    amount = net_amount_in_base(rates=rates)
    companies = Company._base_manager.order_by("pk")
    if company_ids is None:
        ids = list(companies.values_list("pk", flat=True))
    else:
        wanted = sorted(set(company_ids))
        ids = []
        for start in range(0, len(wanted), _PORTABLE_BATCH):
            batch = wanted[start : start + _PORTABLE_BATCH]
            ids += companies.filter(pk__in=batch).values_list("pk", flat=True)
    fields = ["last_purchase_at", "purchases_recent", "purchases_before", "trend", "computed_at"]
    for start in range(0, len(ids), _PORTABLE_BATCH):
        batch = ids[start : start + _PORTABLE_BATCH]
        purchases = Purchase._base_manager.filter(company_id__in=batch).order_by().values("company_id")
        latest = dict(
            purchases.filter(original__isnull=True).annotate(at=Max("occurred_at")).values_list("company_id", "at")
        )
        sums = {
            company_id: (recent, before)
            for company_id, recent, before in purchases.filter(occurred_at__gte=before_start, occurred_at__lt=now)
            .annotate(
                recent=Sum(amount, filter=Q(occurred_at__gte=recent_start), default=Decimal("0"), output_field=MONEY),
                before=Sum(amount, filter=Q(occurred_at__lt=recent_start), default=Decimal("0"), output_field=MONEY),
            )
            .values_list("company_id", "recent", "before")
        }
        rows = []
        for company_id in batch:
            recent, before = sums.get(company_id, (Decimal("0"), Decimal("0")))
            rows.append(
                AccountActivity(
                    company_id=company_id,
                    last_purchase_at=latest.get(company_id),
                    purchases_recent=recent,
                    purchases_before=before,
                    trend=_trend(recent, before),
                    computed_at=now,
                )
            )
        AccountActivity.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["company"], update_fields=fields
        )
    return len(ids)


def _lock(*, wait: bool) -> bool:
    """One run at a time on PostgreSQL: a transaction-scoped advisory lock. Other databases
    take no lock: SQLite serialises writers on its own and serves the zero-setup mode (one
    process, ``make run``) and the tests, where no two runs overlap; the rows are recomputed,
    never added to, so a second run would only write the same figures again."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
        return cursor.fetchone()[0]


def _newest_purchase_id() -> int:
    return Purchase.objects.aggregate(newest=Max("pk"))["newest"] or 0


def account_activity_rebuild(*, now: datetime | None = None) -> int:
    """Recompute every company's ``AccountActivity`` as of ``now`` at today's reporting
    rates; returns how many rows. One transaction, one statement for the figures; waits for
    a running catch-up."""
    now = now or timezone.now()
    with transaction.atomic():
        _lock(wait=True)
        upto = _newest_purchase_id()
        rates = reporting_rates()
        count = _refresh(company_ids=None, now=now, rates=rates)
        AccountActivityRun.objects.create(
            started_at=now,
            upto_purchase_id=upto,
            companies=count,
            full=True,
            reporting_rates=reporting_fingerprint(rates),
        )
        AccountActivityRun.objects.filter(started_at__lt=now - RUNS_KEPT).delete()
    return count


def account_activity_catch_up(*, now: datetime | None = None) -> int:
    """Recompute the companies with a purchase newer than the run that started at least
    ``CATCH_UP_OVERLAP`` ago (the oldest kept run when none is that old); everything when
    there was no run yet or the newest run's amounts are at other reporting rates (or in
    another base currency) than today's. Returns how many rows. Skips, returning 0, while
    another run holds the lock. Safe to run twice: it only recomputes."""
    now = now or timezone.now()
    with transaction.atomic():
        if not _lock(wait=False):
            return 0
        rates = reporting_rates()
        fingerprint = reporting_fingerprint(rates)
        runs = AccountActivityRun.objects.order_by("-started_at", "-pk")
        newest = runs.values_list("reporting_rates", flat=True).first()
        base = runs.filter(started_at__lte=now - CATCH_UP_OVERLAP).first() or runs.order_by("started_at", "pk").first()
        upto = _newest_purchase_id()
        if base is None or newest != fingerprint:
            base = None  # every stored amount is at other rates (or none was computed yet)
            count = _refresh(company_ids=None, now=now, rates=rates)
        else:
            company_ids = list(
                Purchase.objects.filter(pk__gt=base.upto_purchase_id)
                .order_by()
                .values_list("company_id", flat=True)
                .distinct()
            )
            count = _refresh(company_ids=company_ids, now=now, rates=rates) if company_ids else 0
        AccountActivityRun.objects.create(
            started_at=now, upto_purchase_id=upto, companies=count, full=base is None, reporting_rates=fingerprint
        )
        AccountActivityRun.objects.filter(started_at__lt=now - RUNS_KEPT).delete()
    return count


def account_activity_as_of() -> datetime | None:
    """When the figures were last recomputed (None: never, or only by runs from before the
    amounts were in the base currency, which recorded no rates). One query."""
    return (
        AccountActivityRun.objects.exclude(reporting_rates={})
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
