"""Cohorts: companies grouped by the month of their first order, and in each following month
the share of the cohort that ordered and the revenue it kept.

* a company's *cohort* is the local calendar month of its first order ever (credit notes
  are not orders); suspended companies are left out;
* month *n* of a cohort is the n-th calendar month after the cohort's month (month 0 is the
  cohort's own month, where every company ordered by definition);
* *still buying* in month n: the share of the cohort's companies with an order in it;
* *revenue kept* in month n: the cohort's net revenue in it (credit notes deducted) as a
  share of its net revenue in month 0;
* months that have not begun yet are empty; the current month is counted so far.

A fixed number of queries whatever the number of companies and purchases.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, Exists, Min, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from members.models import CompanyStatus, User
from rewards.models import Purchase
from rewards.purchases.selectors import net_amount_in_base

from .models import CompanyDay, SegmentSnapshot, SnapshotDay
from .periods import Period, _add_months
from .scope import Filters, scope_q
from .selectors import ZERO, _share, summary_ready

COHORT_MONTHS = 12


@dataclass
class CohortCell:
    offset: int
    buying: int = 0
    revenue: Decimal = ZERO
    share: Decimal | None = None
    revenue_kept: Decimal | None = None


@dataclass
class Cohort:
    month: date
    companies: int
    cells: list[CohortCell | None] = field(default_factory=list)  # None: the month has not begun

    @property
    def first_revenue(self) -> Decimal:
        return self.cells[0].revenue if self.cells and self.cells[0] else ZERO


def _months_between(first: date, later: date) -> int:
    return (later.year - first.year) * 12 + later.month - first.month


def _local_month(moment) -> date:
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment) if timezone.is_aware(moment) else moment
        moment = moment.date()
    return moment.replace(day=1)


def cohort_grid(
    *, user: User, months: int = COHORT_MONTHS, now: datetime | None = None, filters: Filters | None = None
) -> list[Cohort]:
    """The last ``months`` cohorts (oldest first), each with ``months`` cells (see the
    module's definitions). At most five queries (one: whether the summary is built)."""
    now = now or timezone.now()
    this_month = Period.containing("month", timezone.localdate(now)).start
    first_month = _add_months(this_month, -(months - 1))
    start = Period("month", first_month, this_month).bounds()[0]
    scope = scope_q(user=user, path="company", filters=filters)
    if summary_ready():
        cohort_of, monthly = _from_summary(scope, first_month=first_month)
    else:
        cohort_of, monthly = _from_purchases(scope, start=start, now=now)
    if not cohort_of:
        return []
    buying: dict[tuple[date, int], int] = defaultdict(int)
    revenue: dict[tuple[date, int], Decimal] = defaultdict(lambda: ZERO)
    for row in monthly:
        cohort = cohort_of.get(row["company_id"])
        if cohort is None:
            continue
        offset = _months_between(cohort, _local_month(row["month"]))
        if offset < 0:
            continue  # a credit note dated before the first order: not a month of the cohort
        revenue[(cohort, offset)] += row["revenue"] or ZERO
        if row["orders"]:
            buying[(cohort, offset)] += 1
    sizes: dict[date, int] = defaultdict(int)
    for cohort in cohort_of.values():
        sizes[cohort] += 1
    grid = []
    for index in range(months):
        month = _add_months(first_month, index)
        size = sizes.get(month, 0)
        cells: list[CohortCell | None] = []
        for offset in range(months):
            if _add_months(month, offset) > this_month:
                cells.append(None)
                continue
            cells.append(CohortCell(offset, buying[(month, offset)], revenue[(month, offset)]))
        base = cells[0].revenue if cells and cells[0] else ZERO
        for cell in cells:
            if cell is not None:
                cell.share = _share(cell.buying, size)
                cell.revenue_kept = (cell.revenue * 100 / base).quantize(Decimal("0.1")) if base > 0 else None
        grid.append(Cohort(month, size, cells))
    return grid


def heat(share: Decimal | None) -> int:
    """The shade (0–5) of a cell for ``share`` in % (the table says the figure; the shade
    only helps the eye)."""
    if share is None or share <= 0:
        return 0
    return min(5, int(share // 20) + 1)


def _from_summary(scope: Q, *, first_month: date) -> tuple[dict[int, date], list[dict]]:
    """The cohorts' companies and their months from the summaries: a company's first order
    is read from the latest standings snapshot (one row per company that has bought), and
    for companies that snapshot has not seen ordering, from their ``CompanyDay`` rows since
    its day; the months from ``CompanyDay``. Four queries, none over every company-day."""
    day = SnapshotDay.objects.order_by("-day").values_list("day", flat=True).first()
    if day is None:
        return _from_days(scope, first_month=first_month)
    start = Period("month", first_month, first_month).bounds()[0]
    ordered = SegmentSnapshot.objects.filter(day=day, first_order_at__isnull=False)
    firsts = (
        ordered.filter(scope, first_order_at__gte=start)
        .exclude(company__status=CompanyStatus.SUSPENDED)
        .values_list("company_id", "first_order_at")
    )
    cohort_of = {company_id: _local_month(first) for company_id, first in firsts}
    since = (
        CompanyDay.objects.filter(scope, day__gte=day, orders__gt=0)
        .exclude(company__status=CompanyStatus.SUSPENDED)
        .exclude(company_id__in=ordered.values("company_id"))
        .order_by()
        .values("company_id")
        .annotate(first=Min("first_order_at"))
    )
    cohort_of.update({row["company_id"]: _local_month(row["first"]) for row in since})
    if not cohort_of:
        return {}, []
    return cohort_of, _months_from_days(list(cohort_of), first_month=first_month)


def _months_from_days(company_ids: list[int], *, first_month: date) -> list[dict]:
    return list(
        CompanyDay.objects.filter(company_id__in=company_ids, day__gte=first_month)
        .annotate(month=TruncMonth("day"))
        .order_by()
        .values("company_id", "month")
        .annotate(revenue=Sum("net_revenue"), orders=Sum("orders"))
    )


def _from_days(scope: Q, *, first_month: date) -> tuple[dict[int, date], list[dict]]:
    """The same from ``CompanyDay`` alone (no standings snapshot yet): a company's first
    order falls in the window when it ordered in it and on no day before it."""
    ordered_before = CompanyDay.objects.filter(company_id=OuterRef("company_id"), day__lt=first_month, orders__gt=0)
    firsts = (
        CompanyDay.objects.filter(scope, day__gte=first_month, orders__gt=0)
        .exclude(company__status=CompanyStatus.SUSPENDED)
        .exclude(Exists(ordered_before))
        .order_by()
        .values("company_id")
        .annotate(first=Min("first_order_at"))
    )
    cohort_of = {row["company_id"]: _local_month(row["first"]) for row in firsts}
    if not cohort_of:
        return {}, []
    return cohort_of, _months_from_days(list(cohort_of), first_month=first_month)


def _from_purchases(scope: Q, *, start: datetime, now: datetime) -> tuple[dict[int, date], list[dict]]:
    """The same from the purchases (before the summary is built). Two queries."""
    orders = Q(original__isnull=True)
    firsts = (
        Purchase.objects.filter(scope, orders)
        .exclude(company__status=CompanyStatus.SUSPENDED)
        .order_by()
        .values("company_id")
        .annotate(first=Min("occurred_at"))
        .filter(first__gte=start, first__lt=now)
    )
    cohort_of = {row["company_id"]: _local_month(row["first"]) for row in firsts}
    if not cohort_of:
        return {}, []
    monthly = (
        Purchase.objects.filter(company_id__in=firsts.values("company_id"), occurred_at__gte=start, occurred_at__lt=now)
        .annotate(month=TruncMonth("occurred_at"))
        .order_by()
        .values("company_id", "month")
        .annotate(revenue=Sum(net_amount_in_base()), orders=Count("pk", filter=orders))
    )
    return cohort_of, list(monthly)
