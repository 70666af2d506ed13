"""Insights' snapshots: the per-company-and-day summary (``CompanyDay``, summed per month in
``CompanyMonth``) and each day's company standings (``SegmentSnapshot``), written only here.

* ``rebuild()`` (the ``insights_rebuild`` command) recomputes every ``CompanyDay`` row from
  the purchases and the ledger, and today's standings (and those of the days the pages
  compare with).
* ``refresh()`` (beat, every few minutes) is incremental: it recomputes exactly the
  (company, day) pairs of the purchases and ledger entries written since its watermarks
  (a late purchase updates its own day) and the months of those days, so it costs what was
  written, not what exists.
* ``CompanyFirstOrder`` is rewritten with the days: every company's by ``rebuild()``, the
  touched companies' by ``refresh()``.
* ``standings_snapshot(day)`` (beat, nightly) writes every company's standing as of the
  start of ``day`` from ``CompanyDay``.

Every write is idempotent (a second run writes the same rows) and serialised: the
``SummaryState`` row is locked for the whole write.

The summary is PostgreSQL's (its SQL reads local days with ``AT TIME ZONE``). On SQLite, the
zero-setup demo's database, ``rebuild`` and ``refresh`` write nothing: the pages then read
the purchases and the ledger live, which a demo-sized club answers at once, and the
standings are taken from the same live computation. The summary is computed in SQL
(``INSERT … SELECT``): at 3 000 000 purchases a Python loop would carry every row through
the process."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from rewards.ledger.selectors import points_expiring_by_account
from rewards.models import EntryKind, LedgerEntry, PointsAccount, Purchase
from rewards.purchases.selectors import net_amount_in_base_sql, reporting_fingerprint, reporting_rates

from .models import (
    REPURCHASE_DAYS,
    CompanyDay,
    CompanyFirstOrder,
    CompanyMonth,
    ExpiringPoints,
    SegmentSnapshot,
    SnapshotDay,
    SummaryState,
)

# Ids may commit out of order (a transaction that took id N can commit after one that took
# N + 1): every refresh reads again this many ids below its watermark. Re-reading is free of
# harm (the pairs are recomputed from scratch).
REREAD_IDS = 10_000
BATCH_SIZE = 5000
# The days the pages compare today's standings with (segment movement, lifetime value).
COMPARED_DAYS = (30, 90, 365)

_COLUMNS = (
    "company_id, day, purchases, orders, order_value, net_revenue, first_order_at, last_order_at,"
    " points_earned, points_redeemed, points_expired, points_net"
)


def _summary_sql(*, touched: bool, amount: str) -> str:
    """``INSERT … SELECT`` of the summary rows: every pair, or (``touched``) only the pairs in
    the temporary table ``insights_touched``, read through the purchase index on
    ``(company, occurred_at)`` and the ledger's ``created_at`` index. ``amount`` is the SQL of
    a purchase's amount in the base currency (``net_amount_in_base_sql``)."""
    tz = "%(tz)s"
    local_day = "(({col}) AT TIME ZONE " + tz + ")::date"
    if touched:
        purchase_from = (
            "insights_touched t JOIN rewards_purchase p ON p.company_id = t.company_id"
            f" AND p.occurred_at >= (t.day::timestamp AT TIME ZONE {tz})"
            f" AND p.occurred_at < ((t.day + 1)::timestamp AT TIME ZONE {tz})"
        )
        entry_from = (
            "insights_touched t JOIN rewards_pointsaccount a ON a.company_id = t.company_id"
            " JOIN rewards_ledgerentry e ON e.account_id = a.id"
            f" AND e.created_at >= (t.day::timestamp AT TIME ZONE {tz})"
            f" AND e.created_at < ((t.day + 1)::timestamp AT TIME ZONE {tz})"
        )
    else:
        purchase_from = "rewards_purchase p"
        entry_from = "rewards_ledgerentry e JOIN rewards_pointsaccount a ON a.id = e.account_id"
    purchase_day = local_day.format(col="p.occurred_at")
    entry_day = local_day.format(col="e.created_at")
    return f"""
        INSERT INTO insights_companyday ({_COLUMNS})
        SELECT COALESCE(p.company_id, l.company_id), COALESCE(p.day, l.day),
               COALESCE(p.purchases, 0), COALESCE(p.orders, 0), COALESCE(p.order_value, 0),
               COALESCE(p.net_revenue, 0), p.first_order_at, p.last_order_at,
               COALESCE(l.earned, 0), COALESCE(l.redeemed, 0), COALESCE(l.expired, 0), COALESCE(l.net, 0)
        FROM (
            SELECT p.company_id, {purchase_day} AS day,
                   COUNT(*) AS purchases,
                   COUNT(*) FILTER (WHERE p.original_id IS NULL) AS orders,
                   COALESCE(SUM({amount}) FILTER (WHERE p.original_id IS NULL), 0) AS order_value,
                   SUM({amount}) AS net_revenue,
                   MIN(p.occurred_at) FILTER (WHERE p.original_id IS NULL) AS first_order_at,
                   MAX(p.occurred_at) FILTER (WHERE p.original_id IS NULL) AS last_order_at
            FROM {purchase_from}
            GROUP BY 1, 2
        ) p
        FULL OUTER JOIN (
            SELECT a.company_id, {entry_day} AS day,
                   COALESCE(SUM(e.points + e.pending_points) FILTER (WHERE e.kind = '{EntryKind.EARN}'), 0) AS earned,
                   COALESCE(-SUM(e.points) FILTER (
                       WHERE e.kind = '{EntryKind.REDEEM}' OR (e.kind = '{EntryKind.REVERSAL}' AND r.kind = '{EntryKind.REDEEM}')
                   ), 0) AS redeemed,
                   COALESCE(-SUM(e.points) FILTER (
                       WHERE e.kind = '{EntryKind.EXPIRE}' OR (e.kind = '{EntryKind.REVERSAL}' AND r.kind = '{EntryKind.EXPIRE}')
                   ), 0) AS expired,
                   SUM(e.points + e.pending_points - e.shortfall_points) AS net
            FROM {entry_from}
            LEFT JOIN rewards_ledgerentry r ON r.id = e.reverses_id
            GROUP BY 1, 2
        ) l ON l.company_id = p.company_id AND l.day = p.day
    """


def _months_sql(*, touched: bool) -> str:
    """``INSERT … SELECT`` of the month rows from the day rows: every month, or (``touched``)
    only the company-months of the pairs in ``insights_touched``."""
    month = "date_trunc('month', d.day)::date"
    where = ""
    if touched:
        where = (
            f" WHERE (d.company_id, {month}) IN (SELECT DISTINCT company_id, date_trunc('month', day)::date"
            " FROM insights_touched)"
        )
    return f"""
        INSERT INTO insights_companymonth (company_id, month, {_COLUMNS.split(", ", 2)[2]})
        SELECT d.company_id, {month}, SUM(d.purchases), SUM(d.orders), SUM(d.order_value),
               SUM(d.net_revenue), MIN(d.first_order_at), MAX(d.last_order_at),
               SUM(d.points_earned), SUM(d.points_redeemed), SUM(d.points_expired), SUM(d.points_net)
        FROM insights_companyday d{where}
        GROUP BY 1, 2
    """


def _first_orders_sql(*, touched: bool) -> str:
    """``INSERT … SELECT`` of the ``CompanyFirstOrder`` rows from the summary: every company's
    first order (its month rows), and whether a day of its orders holds another order after
    the first and no later than ``REPURCHASE_DAYS`` after it (a day row holds its orders'
    first and last time; probed through the ``(company, day)`` key). Every company that has
    ordered, or (``touched``) only the companies in ``insights_touched``."""
    where = " AND company_id IN (SELECT company_id FROM insights_touched)" if touched else ""
    return f"""
        INSERT INTO {CompanyFirstOrder._meta.db_table} (company_id, first_order_at, came_back)
        SELECT f.company_id, f.first_order_at, EXISTS (
            SELECT 1 FROM insights_companyday d
            WHERE d.company_id = f.company_id AND d.orders > 0
              AND d.day >= (f.first_order_at AT TIME ZONE %(tz)s)::date
              AND d.day <= (f.first_order_at AT TIME ZONE %(tz)s)::date + %(repurchase_days)s + 1
              AND d.last_order_at > f.first_order_at
              AND d.first_order_at <= f.first_order_at + %(repurchase_days)s * INTERVAL '1 day'
        )
        FROM (
            SELECT company_id, MIN(first_order_at) AS first_order_at FROM insights_companymonth
            WHERE orders > 0{where} GROUP BY company_id
        ) f
    """


def _locked_state(now: datetime, *, create: bool = True) -> tuple[SummaryState | None, bool]:
    """The summary's state row, locked: one writer at a time. Without a row, the first writer
    creates it (``create``; a concurrent first writer waits on the table lock). The
    standings do not create it: the row says the summary was built (``summary_ready``), and
    standings taken before the first build would make every page read an empty summary."""
    state = SummaryState.objects.select_for_update().first()
    if state is not None or not supported():
        return state, False
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE insights_summarystate IN EXCLUSIVE MODE")
    state = SummaryState.objects.select_for_update().first()
    if state is not None or not create:
        return state, False
    return SummaryState.objects.create(refreshed_at=now, rebuilt_at=now), True


def _first_order_params() -> dict:
    return {"tz": settings.TIME_ZONE, "repurchase_days": REPURCHASE_DAYS}


def supported() -> bool:
    """Whether this database can hold the summary: it is written in PostgreSQL's SQL (``AT
    TIME ZONE``, ``LOCK TABLE``, temporary tables). On SQLite (the zero-setup mode) there is
    none, and every Insights page computes from the purchases and the ledger."""
    return connection.vendor == "postgresql"


def _high_water() -> tuple[int, int]:
    return (
        Purchase.objects.aggregate(top=Max("pk"))["top"] or 0,
        LedgerEntry.objects.aggregate(top=Max("pk"))["top"] or 0,
    )


def rebuild(*, now: datetime | None = None, standings: bool = True) -> int:
    """Recompute every ``CompanyDay`` row from scratch (and, with ``standings``, today's
    standings and those of the compared days). Returns the number of summary rows (none on
    SQLite: see the module docstring)."""
    now = now or timezone.now()
    if not supported():
        if standings:
            _standings_of_compared_days(now)
        return 0
    with transaction.atomic():
        state, _created = _locked_state(now)
        purchase_pk, entry_pk = _high_water()
        rates = reporting_rates()
        amount, rate_params = net_amount_in_base_sql("p", rates)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {CompanyFirstOrder._meta.db_table}")
            cursor.execute("DELETE FROM insights_companymonth")
            cursor.execute("DELETE FROM insights_companyday")
            cursor.execute(_summary_sql(touched=False, amount=amount), {"tz": settings.TIME_ZONE, **rate_params})
            rows = cursor.rowcount
            cursor.execute(_months_sql(touched=False))
            cursor.execute(_first_orders_sql(touched=False), _first_order_params())
        state.purchase_pk, state.entry_pk = purchase_pk, entry_pk
        state.refreshed_at = state.rebuilt_at = now
        state.reporting_rates = reporting_fingerprint(rates)
        state.save()
    if standings:
        _standings_of_compared_days(now)
    _analyse()
    return rows


def _standings_of_compared_days(now: datetime) -> None:
    today = timezone.localdate(now)
    for days in (0, *COMPARED_DAYS):
        standings_snapshot(day=today - timedelta(days=days), now=now)


def _analyse() -> None:
    """Fresh planner statistics for the tables just rewritten: until autovacuum gets to them,
    PostgreSQL plans with the old row counts (the cohorts page took 7 s instead of 68 ms at
    4 million company-days, scanning every row for a day that had none). Outside a
    transaction (the command, the task) also a ``VACUUM``, which marks the new rows visible
    to all: until then no read is index-only, and the overview's month sums read every row
    (34 ms instead of 7 at 10 000 companies). Inside one (a test's) only the ``ANALYZE``."""
    if connection.vendor == "postgresql":
        tables = ", ".join(
            model._meta.db_table
            for model in (CompanyDay, CompanyMonth, CompanyFirstOrder, SegmentSnapshot, SnapshotDay)
        )
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}" if connection.in_atomic_block else f"VACUUM (ANALYZE) {tables}")


def refresh(*, now: datetime | None = None) -> int:
    """Recompute the (company, day) pairs of the purchases and ledger entries written since
    the last refresh (a full ``rebuild`` the first time, and after staff changed a reporting
    rate: every stored revenue is at the old one). Returns the pairs recomputed."""
    now = now or timezone.now()
    if not supported():
        return 0
    stored = SummaryState.objects.values_list("reporting_rates", flat=True).first()
    if stored is None:
        return rebuild(now=now, standings=False)
    rates = reporting_rates()
    if stored != reporting_fingerprint(rates):
        return rebuild(now=now)
    amount, rate_params = net_amount_in_base_sql("p", rates)
    with transaction.atomic():
        state, _created = _locked_state(now)
        purchase_pk, entry_pk = _high_water()
        params = {
            **rate_params,
            "tz": settings.TIME_ZONE,
            "p_from": max(state.purchase_pk - REREAD_IDS, 0),
            "p_to": purchase_pk,
            "e_from": max(state.entry_pk - REREAD_IDS, 0),
            "e_to": entry_pk,
        }
        with connection.cursor() as cursor:
            # (Dropped first: inside an outer transaction, a test's, the last one is still there.)
            cursor.execute("DROP TABLE IF EXISTS pg_temp.insights_touched")
            cursor.execute("CREATE TEMPORARY TABLE insights_touched (company_id bigint, day date) ON COMMIT DROP")
            cursor.execute(
                "INSERT INTO insights_touched SELECT DISTINCT company_id, (occurred_at AT TIME ZONE %(tz)s)::date"
                " FROM rewards_purchase WHERE id > %(p_from)s AND id <= %(p_to)s"
                " UNION SELECT a.company_id, (e.created_at AT TIME ZONE %(tz)s)::date FROM rewards_ledgerentry e"
                " JOIN rewards_pointsaccount a ON a.id = e.account_id WHERE e.id > %(e_from)s AND e.id <= %(e_to)s",
                params,
            )
            pairs = cursor.rowcount
            cursor.execute(
                "DELETE FROM insights_companyday d USING insights_touched t"
                " WHERE d.company_id = t.company_id AND d.day = t.day"
            )
            cursor.execute(_summary_sql(touched=True, amount=amount), params)
            cursor.execute(
                "DELETE FROM insights_companymonth m USING (SELECT DISTINCT company_id,"
                " date_trunc('month', day)::date AS month FROM insights_touched) t"
                " WHERE m.company_id = t.company_id AND m.month = t.month"
            )
            cursor.execute(_months_sql(touched=True))
            cursor.execute(
                f"DELETE FROM {CompanyFirstOrder._meta.db_table}"
                " WHERE company_id IN (SELECT company_id FROM insights_touched)"
            )
            cursor.execute(_first_orders_sql(touched=True), _first_order_params())
        state.purchase_pk, state.entry_pk, state.refreshed_at = purchase_pk, entry_pk, now
        state.save(update_fields=["purchase_pk", "entry_pk", "refreshed_at"])
    return pairs


def day_start(day: date) -> datetime:
    """The start of ``day`` in the club's time zone (an aware datetime)."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time()), timezone.get_default_timezone())


def standings_snapshot(*, day: date | None = None, now: datetime | None = None) -> int:
    """Every buying company's standing as of the start of ``day`` (today by default), from
    ``CompanyDay`` (without a summary, as on SQLite: from the purchases): replaces the day's
    rows in one transaction (idempotent; companies that never bought are not stored).
    Returns the number of rows."""
    from .selectors import _live_values, values_from_days

    now = now or timezone.now()
    day = day or timezone.localdate(now)
    taken_at = day_start(day)
    if SummaryState.objects.exists():
        values = values_from_days(at=taken_at)
    else:
        values = _live_values(user=None, now=taken_at, filters=None, suspended=True)
    rows = [_standing_row(day, taken_at, value) for value in values]
    # Points about to expire are known for the day the snapshot runs (today's balances), not
    # for the past days the pages compare with.
    counted = day == timezone.localdate(now)
    expiring = _expiring_rows(day, taken_at) if counted else []
    with transaction.atomic():
        _locked_state(now, create=False)  # one writer at a time (two runs of the same day would collide)
        SegmentSnapshot.objects.filter(day=day).delete()
        SegmentSnapshot.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        ExpiringPoints.objects.filter(day=day).delete()
        ExpiringPoints.objects.bulk_create(expiring, batch_size=BATCH_SIZE)
        SnapshotDay.objects.update_or_create(
            day=day,
            defaults={
                "taken_at": taken_at,
                "companies": len(rows),
                "written_at": now,
                "expiring_counted": counted,
                "facts_stored": True,
            },
        )
    return len(rows)


def _standing_row(day: date, taken_at: datetime, value) -> SegmentSnapshot:
    """A company's standing as of ``taken_at`` with what the pages work out from it, by the
    same functions the pages use without a snapshot (``insights.lifetime``,
    ``insights.behaviour``): the tenure, yearly value and prediction base, the usual gap, the
    days overdue (when later than usual), declining spend and slipping away."""
    from .behaviour import declining, overdue_days
    from .lifetime import prediction_base, yearly_value

    tenure = (taken_at - value.first_order_at).days if value.first_order_at else 0
    late = overdue_days(value, taken_at)
    return SegmentSnapshot(
        day=day,
        company_id=value.company_id,
        segment=value.segment,
        first_order_at=value.first_order_at,
        last_order_at=value.last_order_at,
        orders_total=value.orders_total,
        orders_365=value.orders_365,
        revenue_total=value.revenue_total,
        revenue_365=value.revenue_365,
        revenue_recent=value.revenue_recent,
        revenue_before=value.revenue_before,
        tenure_days=tenure,
        yearly_value=yearly_value(revenue_to_date=value.revenue_total, tenure_days=tenure),
        prediction_base=prediction_base(
            revenue_365=value.revenue_365, revenue_to_date=value.revenue_total, tenure_days=tenure
        ),
        usual_gap_days=value.usual_gap_days,
        overdue_days=late[0] if late else None,
        declining=declining(revenue_recent=value.revenue_recent, revenue_before=value.revenue_before),
        slipping=bool(value.slipping_reason),
    )


def _expiring_rows(day: date, taken_at: datetime) -> list[ExpiringPoints]:
    """Every company's points that expire unused in the at-risk list's window after
    ``taken_at``, as ``points_expiring_by_account`` counts them (the window added in UTC, as
    the page adds it to the snapshot's moment read from the database)."""
    from .behaviour import EXPIRING_WITHIN_DAYS

    start = taken_at.astimezone(UTC)
    expiring = points_expiring_by_account(now=start, until=start + timedelta(days=EXPIRING_WITHIN_DAYS))
    companies = dict(PointsAccount.objects.filter(pk__in=list(expiring)).values_list("pk", "company_id"))
    return [
        ExpiringPoints(
            day=day, company_id=companies[account_id], points=sum(item.points for item in days), last_day=days[-1].on
        )
        for account_id, days in expiring.items()
        if account_id in companies
    ]


def nightly(*, now: datetime | None = None) -> int:
    """The nightly run: bring the summary up to date, then today's standings."""
    now = now or timezone.now()
    refresh(now=now)
    return standings_snapshot(now=now)


__all__ = ["CompanyDay", "CompanyMonth", "nightly", "rebuild", "refresh", "standings_snapshot", "supported"]
