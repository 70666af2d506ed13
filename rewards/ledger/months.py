"""The ledger summed per account and month (``rewards.models.AccountMonth``), so the member
dashboard, the rep's account page and the tier check after every earn stop summing a year of
entries.

What it guarantees: after every commit, each account's rows equal the sums of its entries
that ``account_months_expected`` computes from the ledger (``manage.py check_ledger`` compares
them; ``manage.py rebuild_account_months`` rewrites them). Two writers keep them:

* ``account_months_add`` — called by ``rewards.ledger.services._write`` in the entry's
  transaction, under the account's row lock, so two writes to one account never race;
* ``ACCOUNT_MONTHS_IMPORT_SQL`` — the set-based import's chunk (PostgreSQL), under the same
  account locks.

Months are calendar months in the club's time zone (``settings.TIME_ZONE``), whatever the
reader's. The rules summed are the ledger's own: ``qualifying_points`` is what
``rewards.ledger.services.qualifying_points`` counts (earns and reversals with a purchase, by
the purchase's date); ``earned``/``spent`` are what ``points_by_month`` shows (by the date the
entry was written).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from rewards.models import AccountMonth, EntryKind, LedgerEntry, PointsAccount, Purchase

_NET = F("points") + F("pending_points") - F("shortfall_points")
_QUALIFYING, _EARNED, _SPENT = 0, 1, 2

# What each column sums, as filters on ``LedgerEntry`` (the one definition; the Python
# deltas below and the import's SQL follow it, and ``account_months_mismatches`` holds them
# to it).
QUALIFYING_ENTRIES = Q(kind__in=[EntryKind.EARN, EntryKind.REVERSAL], purchase__isnull=False)
EARNED_ENTRIES = Q(kind=EntryKind.EARN) | Q(kind=EntryKind.REVERSAL, purchase__isnull=False)
SPENT_ENTRIES = Q(kind=EntryKind.REDEEM) | Q(kind=EntryKind.REVERSAL, reverses__kind=EntryKind.REDEEM)


def month_of(moment: datetime) -> date:
    """The first day of ``moment``'s month in the club's time zone."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date().replace(day=1)


def month_start(month: date) -> datetime:
    """Midnight at the start of ``month`` in the club's time zone."""
    return timezone.make_aware(datetime.combine(month, time.min), timezone.get_default_timezone())


def _entry_deltas(entry: LedgerEntry) -> dict[date, list[int]]:
    deltas: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    net = entry.net_points
    with_purchase = entry.purchase_id is not None
    if net and entry.kind in (EntryKind.EARN, EntryKind.REVERSAL) and with_purchase:
        if LedgerEntry.purchase.is_cached(entry):  # the earn passes its purchase: no query
            occurred_at = entry.purchase.occurred_at
        else:
            occurred_at = Purchase.objects.values_list("occurred_at", flat=True).get(pk=entry.purchase_id)
        deltas[month_of(occurred_at)][_QUALIFYING] += net
    if net and (entry.kind == EntryKind.EARN or (entry.kind == EntryKind.REVERSAL and with_purchase)):
        deltas[month_of(entry.created_at)][_EARNED] += net
    if entry.points and (
        entry.kind == EntryKind.REDEEM
        or (entry.kind == EntryKind.REVERSAL and entry.reverses_id and entry.reverses.kind == EntryKind.REDEEM)
    ):
        deltas[month_of(entry.created_at)][_SPENT] += entry.points
    return deltas


_UPSERT_SQL = """
INSERT INTO {month} (account_id, month, qualifying_points, earned, spent) VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (account_id, month) DO UPDATE SET
    qualifying_points = {month}.qualifying_points + excluded.qualifying_points,
    earned = {month}.earned + excluded.earned,
    spent = {month}.spent + excluded.spent
"""


def account_months_add(entry: LedgerEntry) -> None:
    """Add a just-written ``entry`` to its account's months (at most two upserts: the
    purchase's month and the entry's). The caller holds the account's row lock, in the
    entry's transaction, so the rows move exactly once per entry."""
    deltas = _entry_deltas(entry)
    if not deltas:
        return
    sql = _UPSERT_SQL.format(month=AccountMonth._meta.db_table)
    with connection.cursor() as cursor:
        for month, (qualifying, earned, spent) in sorted(deltas.items()):
            cursor.execute(sql, [entry.account_id, month, qualifying, earned, spent])


# The set-based import's share (PostgreSQL; ``rewards.purchases.imports``): the chunk's earns,
# just inserted from ``purchase_import_new`` with ``created_at = %(now)s``, added to their
# accounts' months in one statement, under the chunk's account locks. An earn's net points
# are its pending points (``n.points``).
ACCOUNT_MONTHS_IMPORT_SQL = f"""
INSERT INTO {AccountMonth._meta.db_table} (account_id, month, qualifying_points, earned, spent)
SELECT d.account_id, d.month, SUM(d.qualifying), SUM(d.earned), 0
FROM (
    SELECT n.account_id, date_trunc('month', p.occurred_at AT TIME ZONE %(time_zone)s)::date AS month,
           n.points AS qualifying, 0 AS earned
    FROM purchase_import_new n JOIN {Purchase._meta.db_table} p ON p.id = n.purchase_id
    UNION ALL
    SELECT n.account_id, date_trunc('month', %(now)s::timestamptz AT TIME ZONE %(time_zone)s)::date, 0, n.points
    FROM purchase_import_new n
) d
GROUP BY d.account_id, d.month
ON CONFLICT (account_id, month) DO UPDATE SET
    qualifying_points = {AccountMonth._meta.db_table}.qualifying_points + EXCLUDED.qualifying_points,
    earned = {AccountMonth._meta.db_table}.earned + EXCLUDED.earned
"""


def account_months_expected(
    *, account_ids: Iterable[int] | None = None, entry_model=LedgerEntry
) -> dict[tuple[int, date], list[int]]:
    """Every (account, month) with what its row must hold, summed from the entries (three
    grouped queries). ``account_ids`` limits it to those accounts."""
    entries = entry_model.objects.all()
    if account_ids is not None:
        entries = entries.filter(account_id__in=list(account_ids))
    tz = timezone.get_default_timezone()
    expected: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for column, condition, field, value in (
        (_QUALIFYING, QUALIFYING_ENTRIES, "purchase__occurred_at", _NET),
        (_EARNED, EARNED_ENTRIES, "created_at", _NET),
        (_SPENT, SPENT_ENTRIES, "created_at", F("points")),
    ):
        rows = (
            entries.filter(condition)
            .annotate(month=TruncMonth(field, tzinfo=tz))
            .values("account_id", "month")
            .annotate(total=Sum(value))
            .order_by()
        )
        for row in rows:
            month = row["month"]
            if isinstance(month, datetime):
                month = timezone.localtime(month, tz).date()
            if row["total"]:
                expected[(row["account_id"], month)][column] += row["total"]
    return expected


def account_months_mismatches(*, limit: int = 20) -> list[dict]:
    """Rows that differ from their entries (a missing row counts as zeros), at most ``limit``."""
    expected = account_months_expected()
    stored = {
        (row.account_id, row.month): [row.qualifying_points, row.earned, row.spent]
        for row in AccountMonth.objects.all().iterator(chunk_size=5000)
    }
    wrong = []
    for key in sorted(set(expected) | set(stored)):
        want, have = expected.get(key, [0, 0, 0]), stored.get(key, [0, 0, 0])
        if want != have:
            wrong.append({"account_id": key[0], "month": key[1], "expected": want, "stored": have})
            if len(wrong) >= limit:
                break
    return wrong


def account_months_rebuild(*, batch: int = 500, apps=None) -> int:
    """Rewrite every account's months from its entries, ``batch`` accounts per transaction
    under their row locks (so a write to one of them waits for that batch only, never for the
    whole run). Returns the number of rows written. Safe to run twice or beside live writes.

    ``apps`` is a migration's model registry (the backfill of the migration that made the table).
    """
    account_model = apps.get_model("rewards", "PointsAccount") if apps else PointsAccount
    month_model = apps.get_model("rewards", "AccountMonth") if apps else AccountMonth
    entry_model = apps.get_model("rewards", "LedgerEntry") if apps else LedgerEntry
    account_ids = list(account_model.objects.order_by("pk").values_list("pk", flat=True))
    written = 0
    for start in range(0, len(account_ids), batch):
        chunk = account_ids[start : start + batch]
        with transaction.atomic():
            list(account_model.objects.filter(pk__in=chunk).order_by("pk").select_for_update().values_list("pk"))
            month_model.objects.filter(account_id__in=chunk).delete()
            rows = [
                month_model(account_id=account_id, month=month, qualifying_points=q, earned=e, spent=s)
                for (account_id, month), (q, e, s) in account_months_expected(
                    account_ids=chunk, entry_model=entry_model
                ).items()
                if q or e or s
            ]
            month_model.objects.bulk_create(rows, batch_size=2000)
            written += len(rows)
    return written


# Σ qualifying points of an account's purchases with start < occurred_at ≤ end: the whole
# months in between from its months, the two partial months at the ends from its entries
# (through the purchases' (company, occurred_at) index). A scalar subquery, so the tier check
# after every earn stays one statement (``rewards.ledger.services._TARGET_TIER_SQL``).
QUALIFYING_SQL = f"""(
    COALESCE((SELECT SUM(m.qualifying_points) FROM {AccountMonth._meta.db_table} m
              WHERE m.account_id = %s AND m.month >= %s AND m.month < %s), 0)
    + COALESCE((SELECT SUM(e.points + e.pending_points - e.shortfall_points)
                FROM {LedgerEntry._meta.db_table} e JOIN {Purchase._meta.db_table} p ON p.id = e.purchase_id
                WHERE e.account_id = %s AND e.kind IN (%s, %s) AND p.company_id = %s
                  AND ((p.occurred_at > %s AND p.occurred_at <= %s)
                       OR (p.occurred_at >= %s AND p.occurred_at <= %s))), 0)
)"""

_ONE_MICROSECOND = timedelta(microseconds=1)


def _qualifying_window(start: datetime, end: datetime) -> tuple[date, date, datetime, datetime, datetime]:
    """The window (start, end] cut for ``QUALIFYING_SQL``: the whole months [from, to) read
    from the months, and the head (start, head_end] and tail [tail_start, end] read from the
    entries."""
    first_month, last_month = month_of(start), month_of(end)
    whole_from = first_month + relativedelta(months=1)
    if last_month < whole_from:  # one month: all of it from the entries
        return last_month, last_month, end, end + _ONE_MICROSECOND, end
    # timestamps are microseconds
    return whole_from, last_month, month_start(whole_from) - _ONE_MICROSECOND, month_start(last_month), end


def qualifying_sql_params(*, account_id: int, company_id: int, start: datetime, end: datetime) -> list:
    """The parameters of ``QUALIFYING_SQL`` for the window (start, end]."""
    whole_from, whole_to, head_end, tail_start, tail_end = _qualifying_window(start, end)
    moment, day = connection.ops.adapt_datetimefield_value, connection.ops.adapt_datefield_value
    return [
        account_id,
        day(whole_from),
        day(whole_to),
        account_id,
        EntryKind.EARN.value,
        EntryKind.REVERSAL.value,
        company_id,
        moment(start),
        moment(head_end),
        moment(tail_start),
        moment(tail_end),
    ]


# ``QUALIFYING_SQL`` for many accounts in one statement (PostgreSQL: the set-based import's
# tier check): ``(account_id, points)`` for each account of ``%(accounts)s`` (an array) with
# qualifying points in the window. The same cut of the window, the same entries; the
# partial months through the purchases' (company, occurred_at) index, company by company.
# Parameters: ``qualifying_many_params``.
QUALIFYING_MANY_SQL = f"""
SELECT q.account_id, SUM(q.points) AS points FROM (
    SELECT m.account_id, m.qualifying_points AS points FROM {AccountMonth._meta.db_table} m
    WHERE m.account_id = ANY(%(accounts)s) AND m.month >= %(whole_from)s AND m.month < %(whole_to)s
    UNION ALL
    SELECT e.account_id, e.points + e.pending_points - e.shortfall_points
    FROM {PointsAccount._meta.db_table} a
    JOIN {Purchase._meta.db_table} p ON p.company_id = a.company_id
    JOIN {LedgerEntry._meta.db_table} e ON e.purchase_id = p.id AND e.account_id = a.id
    WHERE a.id = ANY(%(accounts)s) AND e.kind IN (%(earn)s, %(reversal)s)
      AND ((p.occurred_at > %(start)s AND p.occurred_at <= %(head_end)s)
           OR (p.occurred_at >= %(tail_start)s AND p.occurred_at <= %(tail_end)s))
) q
GROUP BY q.account_id
"""


def qualifying_many_params(*, account_ids: list[int], start: datetime, end: datetime) -> dict:
    """The parameters of ``QUALIFYING_MANY_SQL`` for these accounts and the window (start, end]."""
    whole_from, whole_to, head_end, tail_start, tail_end = _qualifying_window(start, end)
    return {
        "accounts": list(account_ids),
        "whole_from": whole_from,
        "whole_to": whole_to,
        "earn": EntryKind.EARN.value,
        "reversal": EntryKind.REVERSAL.value,
        "start": start,
        "head_end": head_end,
        "tail_start": tail_start,
        "tail_end": tail_end,
    }


def qualifying_points_between(*, account_id: int, company_id: int, start: datetime, end: datetime) -> int:
    """Net qualifying points of the account's purchases made in (start, end]. One query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + QUALIFYING_SQL,
            qualifying_sql_params(account_id=account_id, company_id=company_id, start=start, end=end),
        )
        return int(cursor.fetchone()[0] or 0)
