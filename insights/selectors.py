"""Reads for Insights: the programme's figures for a period, the companies behind each figure,
value segments and the campaigns side by side.

Every figure is a set-based aggregate: the number of queries is fixed, whatever the number
of companies, purchases and ledger entries (``tests/insights`` asserts it with many rows).
Every read is restricted to the companies the person may see (``members.selectors
.staff_company_q``): the whole club for club admins and Marketing, a rep's own accounts.

Definitions (also on the "How we measure" page, ``templates/insights/definitions.html``):

* an *order* is a purchase that is not a credit note; *net revenue* is the sum of purchases
  and credit notes (credit notes are negative) by ``occurred_at``;
* *member companies* were created before the period ends and are not suspended today;
  companies suspended today are left out of every company figure (their points stay in
  the liability: the club still owes them);
* *active* companies placed at least one order in the period; *repeat buyers* at least two;
* a *first-time buyer*'s first order ever falls in the period; they *came back within 90
  days* if another order followed within 90 days of the first (for the last 90 days of a
  recent period that window is not over yet);
* *points earned* are the net points of earn entries (purchases with campaign extras,
  activities); *redeemed* are the points of reward orders less the orders reversed;
  *expired* are the points that lapsed (breakage); *outstanding* is the net value of every
  entry made before the period ends (balance + pending − shortfall); all valued at today's
  point value.

Indexes: the ledger reads use ``LedgerEntry.created_at`` (indexed); the purchase reads
use ``rewards_purchase_period`` (``occurred_at, company, original, net_amount``: the period
aggregates read the index alone) and ``rewards_purchase_company_time`` (``company,
occurred_at``), both from ``rewards`` migration 0009 (``bench/insights_bench.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from django.db.models import (
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import ActivityCompletion, Campaign, CampaignStatus
from campaigns.selectors import campaign_results
from members.models import Company, CompanyStatus, User
from rewards.models import (
    RETURNED_STATUSES,
    EntryKind,
    LedgerEntry,
    PointsAccount,
    ProgrammeRules,
    Purchase,
    Redemption,
)
from rewards.purchases.selectors import net_amount_in_base

from .models import (
    REPURCHASE_DAYS,
    CompanyDay,
    CompanyMonth,
    SegmentSnapshot,
    SnapshotDay,
    SummaryState,
)
from .periods import Period, _add_months
from .scope import Filters, scope_q

MONEY = DecimalField(max_digits=17, decimal_places=2)
ZERO = Decimal("0")
CENT = Decimal("0.01")
LIABILITY_MONTHS = 12
CAMPAIGNS_SHOWN = 8


def _share(part: int, whole: int) -> Decimal | None:
    """``part / whole`` as a percentage with one decimal, or None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


def _ratio(amount, count: int, places: Decimal = CENT) -> Decimal | None:
    if not count:
        return None
    return (Decimal(amount) / count).quantize(places)


@dataclass(frozen=True)
class Figures:
    """One period's figures (see the module's definitions)."""

    period: Period
    point_value: Decimal
    members: int = 0
    never_bought: int = 0
    active: int = 0
    repeat_buyers: int = 0
    orders: int = 0
    order_value: Decimal = ZERO  # orders only
    net_revenue: Decimal = ZERO  # orders and credit notes
    first_time: int = 0
    first_time_back: int = 0
    logged_in: int = 0
    activities: int = 0
    reward_orders: int = 0
    points_earned: int = 0
    points_redeemed: int = 0
    points_expired: int = 0
    points_outstanding: int = 0

    def value(self, points: int) -> Decimal:
        return (Decimal(points) * self.point_value).quantize(CENT)

    @property
    def inactive(self) -> int:
        return max(self.members - self.active, 0)

    @property
    def active_share(self) -> Decimal | None:
        return _share(self.active, self.members)

    @property
    def repurchase_rate(self) -> Decimal | None:
        return _share(self.repeat_buyers, self.active)

    @property
    def first_time_back_rate(self) -> Decimal | None:
        return _share(self.first_time_back, self.first_time)

    @property
    def frequency(self) -> Decimal | None:
        return _ratio(self.orders, self.active, Decimal("0.01"))

    @property
    def average_order_value(self) -> Decimal | None:
        return _ratio(self.order_value, self.orders)

    @property
    def revenue_per_active(self) -> Decimal | None:
        return _ratio(self.net_revenue, self.active)

    @property
    def redemption_rate(self) -> Decimal | None:
        """Points redeemed in the period against points earned in it, in %."""
        return _share(self.points_redeemed, self.points_earned)

    @property
    def earned_value(self) -> Decimal:
        return self.value(self.points_earned)

    @property
    def redeemed_value(self) -> Decimal:
        return self.value(self.points_redeemed)

    @property
    def expired_value(self) -> Decimal:
        return self.value(self.points_expired)

    @property
    def liability(self) -> Decimal:
        return self.value(self.points_outstanding)

    @property
    def has_data(self) -> bool:
        return bool(self.orders or self.net_revenue or self.points_earned or self.points_redeemed or self.activities)


def summary_ready() -> bool:
    """Whether the per-company-and-day summary has been built (``insights.snapshots``); the
    period figures read it then, and the purchases and ledger live before (one query)."""
    return SummaryState.objects.exists()


def _purchase_figures(period: Period, scope: Q) -> dict:
    """Active companies, repeat buyers, orders and revenue from the period's purchases: one
    query (a grouped subquery). The summary's are ``_summary_sums``."""
    start, end = period.bounds()
    order = Q(original__isnull=True)
    amount = net_amount_in_base()
    per_company = (
        Purchase.objects.filter(scope, occurred_at__gte=start, occurred_at__lt=end)
        .exclude(company__status=CompanyStatus.SUSPENDED)
        .order_by()
        .values("company_id")
        .annotate(
            company_orders=Count("pk", filter=order),
            company_order_value=Coalesce(Sum(amount, filter=order), Value(ZERO), output_field=MONEY),
            company_net=Coalesce(Sum(amount), Value(ZERO), output_field=MONEY),
        )
    )
    return _per_company_totals(per_company)


def _per_company_totals(per_company: QuerySet) -> dict:
    return per_company.aggregate(
        active=Count("company_id", filter=Q(company_orders__gte=1)),
        repeat_buyers=Count("company_id", filter=Q(company_orders__gte=2)),
        orders=Coalesce(Sum("company_orders"), 0),
        order_value=Coalesce(Sum("company_order_value"), Value(ZERO), output_field=MONEY),
        net_revenue=Coalesce(Sum("company_net"), Value(ZERO), output_field=MONEY),
    )


def _first_orders(scope_company: Q) -> QuerySet[Company]:
    """Companies annotated with ``first_order_at`` (their first order ever)."""
    first = (
        Purchase.objects.filter(company_id=OuterRef("pk"), original__isnull=True)
        .order_by("occurred_at")
        .values("occurred_at")[:1]
    )
    return _companies(scope_company).annotate(first_order_at=Subquery(first, output_field=DateTimeField()))


def _companies(scope_company: Q) -> QuerySet[Company]:
    """The companies every figure counts: in scope and not suspended today."""
    return Company.objects.filter(scope_company).exclude(status=CompanyStatus.SUSPENDED)


def first_time_buyers(period: Period, scope_company: Q) -> QuerySet[Company]:
    """Companies whose first order falls in ``period``, with ``came_back`` (another order
    within ``REPURCHASE_DAYS`` of the first). Only companies that ordered in the period are
    looked at, so the correlated subqueries run for those alone."""
    start, end = period.bounds()
    ordered_in_period = Purchase.objects.filter(
        original__isnull=True, occurred_at__gte=start, occurred_at__lt=end
    ).values("company_id")
    again = Purchase.objects.filter(
        company_id=OuterRef("pk"),
        original__isnull=True,
        occurred_at__gt=OuterRef("first_order_at"),
        occurred_at__lte=ExpressionWrapper(
            OuterRef("first_order_at") + Value(timedelta(days=REPURCHASE_DAYS)), output_field=DateTimeField()
        ),
    )
    return (
        _first_orders(scope_company)
        .filter(pk__in=ordered_in_period)
        .filter(first_order_at__gte=start, first_order_at__lt=end)
        .annotate(came_back=Exists(again))
    )


def _ledger_figures(period: Period, scope: Q) -> dict:
    """Points earned, redeemed (net of reversed orders) and expired in the period: two
    queries over the period's entries (``created_at`` is indexed); the reversals, which are
    few, are read apart so the big aggregate needs no self-join. The summary's are
    ``_summary_sums``."""
    start, end = period.bounds()
    entries = LedgerEntry.objects.filter(scope, created_at__gte=start, created_at__lt=end)
    rows = entries.aggregate(
        earned=Coalesce(Sum(F("points") + F("pending_points"), filter=Q(kind=EntryKind.EARN)), 0),
        redeemed=Coalesce(Sum("points", filter=Q(kind=EntryKind.REDEEM)), 0),
        expired=Coalesce(Sum("points", filter=Q(kind=EntryKind.EXPIRE)), 0),
    )
    reversed_points = dict(
        entries.filter(kind=EntryKind.REVERSAL, reverses__kind__in=[EntryKind.REDEEM, EntryKind.EXPIRE])
        .order_by()
        .values("reverses__kind")
        .annotate(total=Sum("points"))
        .values_list("reverses__kind", "total")
    )
    return {
        "points_earned": rows["earned"],
        "points_redeemed": -rows["redeemed"] - reversed_points.get(EntryKind.REDEEM, 0),
        "points_expired": -rows["expired"] - reversed_points.get(EntryKind.EXPIRE, 0),
    }


def _outstanding_now(scope_account: Q) -> int:
    """Balance + pending − shortfall of every account in scope today (one query over the
    accounts, not the ledger: the buckets equal the sums of their entries)."""
    return PointsAccount.objects.filter(scope_account).aggregate(
        total=Coalesce(Sum(F("balance") + F("pending") - F("shortfall")), 0)
    )["total"]


_NET = F("points") + F("pending_points") - F("shortfall_points")


def _net_since(moments: list[datetime], scope: Q) -> dict[datetime, int]:
    """For each moment, the net points of the entries made at or after it (one query; reads
    only the entries after the earliest moment, through the ``created_at`` index)."""
    if not moments:
        return {}
    earliest = min(moments)
    aggregates = {
        f"m{index}": Coalesce(Sum(_NET, filter=Q(created_at__gte=moment)), 0) for index, moment in enumerate(moments)
    }
    rows = LedgerEntry.objects.filter(scope, created_at__gte=earliest).aggregate(**aggregates)
    return {moment: rows[f"m{index}"] for index, moment in enumerate(moments)}


def _day_of(moment: datetime) -> date | None:
    """The club's local day that ``moment`` starts, or None when it is not a day's start."""
    local = timezone.localtime(moment, timezone.get_default_timezone())
    if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
        return None
    return local.date()


def _net_since_summary(moments: list[datetime], *, scope: Q, entry_scope: Q, entry_pk: int) -> dict[datetime, int]:
    """``_net_since`` from the summary for moments at the start of a day: the months from
    ``CompanyMonth``, the days before a month's end from ``CompanyDay``, and the entries
    written after the summary's watermark (``entry_pk``) from the ledger, through its primary
    key. Three queries at most (two when every moment starts a month), over a row per company
    and month instead of every entry of a year."""
    days = {moment: _day_of(moment) for moment in moments}
    result = _net_since([moment for moment, day in days.items() if day is None], entry_scope)
    summed = {moment: day for moment, day in days.items() if day is not None}
    if not summed:
        return result
    whole_from = {moment: day if day.day == 1 else _add_months(day, 1) for moment, day in summed.items()}
    keys = {moment: f"m{index}" for index, moment in enumerate(summed)}
    # Each month's net once (a dozen rows), added up per moment here: a FILTER per moment
    # tested every company's month a dozen times.
    per_month = (
        CompanyMonth.objects.filter(scope, month__gte=min(whole_from.values()))
        .order_by()
        .values("month")
        .annotate(net=Sum("points_net"))
        .values_list("month", "net")
    )
    net_of_month = dict(per_month)
    months = {keys[m]: sum(net or 0 for month, net in net_of_month.items() if month >= whole_from[m]) for m in summed}
    partial = [moment for moment, day in summed.items() if day.day != 1]
    in_days = {}
    if partial:
        # Only the days of those months (the rest of the year's days hold nothing asked for).
        ranges = {m: Q(day__gte=summed[m], day__lt=whole_from[m]) for m in partial}
        days = _units_in([(summed[m], whole_from[m]) for m in partial], "day")  # read as a list: index-only
        in_days = CompanyDay.objects.filter(scope, day__in=days).aggregate(
            **{keys[m]: Coalesce(Sum("points_net", filter=ranges[m]), 0) for m in partial}
        )
    after = LedgerEntry.objects.filter(entry_scope, pk__gt=entry_pk, created_at__gte=min(summed)).aggregate(
        **{keys[m]: Coalesce(Sum(_NET, filter=Q(created_at__gte=m)), 0) for m in summed}
    )
    for moment, key in keys.items():
        result[moment] = months[key] + in_days.get(key, 0) + after[key]
    return result


def _in_periods(periods: list[Period], field: str) -> tuple[list[Q], Q]:
    """Each period's condition on the moment ``field`` and the condition of any of them."""
    each = []
    for period in periods:
        start, end = period.bounds()
        each.append(Q(**{f"{field}__gte": start, f"{field}__lt": end}))
    return each, _any(each)


def _any(conditions: list[Q]) -> Q:
    combined = Q()
    for condition in conditions:
        combined |= condition
    return combined


def _engagement(periods: list[Period], scope_company: Q, scope: Q) -> list[dict]:
    """Each period's people who logged in, activities completed and reward orders: three
    queries whatever the number of periods."""
    logins, any_login = _in_periods(periods, "last_login")
    done, any_done = _in_periods(periods, "created_at")
    asked, any_asked = _in_periods(periods, "requested_at")
    # Django keeps only a person's latest login: this counts people whose latest login
    # falls in the period, exact for the current period and a floor for older ones.
    logged_in = User.objects.filter(any_login, membership__company__in=_companies(scope_company)).aggregate(
        **{f"p{index}": Count("pk", filter=condition) for index, condition in enumerate(logins)}
    )
    activities = (
        ActivityCompletion.objects.filter(scope, any_done)
        .exclude(status="rejected")
        .exclude(company__status=CompanyStatus.SUSPENDED)
        .aggregate(**{f"p{index}": Count("pk", filter=condition) for index, condition in enumerate(done)})
    )
    reward_orders = (
        Redemption.objects.filter(scope, any_asked)
        .exclude(status__in=RETURNED_STATUSES)
        .exclude(company__status=CompanyStatus.SUSPENDED)
        .aggregate(**{f"p{index}": Count("pk", filter=condition) for index, condition in enumerate(asked)})
    )
    return [
        {"logged_in": logged_in[key], "activities": activities[key], "reward_orders": reward_orders[key]}
        for key in (f"p{index}" for index in range(len(periods)))
    ]


_SUMMED = ("orders", "order_value", "net_revenue", "points_earned", "points_redeemed", "points_expired")


@dataclass(frozen=True)
class _SummaryPart:
    """Part of a period as summary rows of one table: the ``column`` (``month`` or ``day``)
    values it covers, as a condition for SQL and as a test for a row read back."""

    column: str
    condition: Q
    spans: tuple[tuple[date, date], ...]  # [start, end) ranges of ``column``

    def covers(self, value: date) -> bool:
        return any(start <= value < end for start, end in self.spans)


def _whole_months_and_days(period: Period) -> tuple[_SummaryPart | None, _SummaryPart | None]:
    """``period`` as summary rows: its whole months (``CompanyMonth``) and the days before
    the first and after the last of them (``CompanyDay``); None for a part it does not have."""
    first_month = period.start if period.start.day == 1 else _add_months(period.start, 1)
    end_month = period.end.replace(day=1)
    if first_month >= end_month:
        return None, _SummaryPart("day", Q(day__gte=period.start, day__lt=period.end), ((period.start, period.end),))
    day_spans = tuple(
        (start, end) for start, end in ((period.start, first_month), (end_month, period.end)) if start < end
    )
    days = (
        _SummaryPart("day", _any([Q(day__gte=start, day__lt=end) for start, end in day_spans]), day_spans)
        if day_spans
        else None
    )
    months = _SummaryPart("month", Q(month__gte=first_month, month__lt=end_month), ((first_month, end_month),))
    return months, days


def _read_together(parts: list[_SummaryPart]) -> Q:
    """The rows of every one of ``parts`` (of one table), as one list of the months or days
    they cover: PostgreSQL reads a list from the covering ``(month|day, company)`` index
    alone, where ranges OR-ed together made it scan the table (the months) or fetch every
    row from disk (half a million days for a 100-day period: 0.4 s against 0.17 s)."""
    return Q(**{f"{parts[0].column}__in": _units_in([span for part in parts for span in part.spans], parts[0].column)})


def _units_in(spans, column: str) -> list[date]:
    """Every month (``column`` "month") or day in the ``[start, end)`` ``spans``, once, sorted."""
    units = set()
    for start, end in spans:
        unit = start
        while unit < end:
            units.add(unit)
            unit = _add_months(unit, 1) if column == "month" else unit + timedelta(days=1)
    return sorted(units)


def _summary_sums(periods: list[Period], scope: Q) -> list[dict]:
    """Each period's active companies, repeat buyers, orders, revenue (suspended companies
    left out) and points earned, redeemed and expired (every company, as the ledger counts
    them), from the summary, every period at once: its whole months from the month rows and
    any days around them from the day rows (``_whole_months_and_days``).

    Each table is read once, through its ``(month|day, company)`` index alone (an
    index-only scan: every column summed is in it), summed per month or day in the
    database and added up per period here; one aggregate with a ``FILTER`` for each figure
    of each period cost 18 conditions per row. The buyers: counted per month when every
    period is one month (a company has one row in each), else from each company's orders
    per period, so a company buying in two months of a quarter counts once. Suspended
    companies are left out by their ids (read first; a handful), not by a join with every
    company. Two or three queries, four with a period that is not whole months."""
    parts = [_whole_months_and_days(period) for period in periods]
    suspended = list(Company.objects.filter(status=CompanyStatus.SUSPENDED).values_list("pk", flat=True))
    counted = ~Q(company_id__in=suspended) if suspended else Q()
    one_month_each = all(days is None for _months, days in parts) and all(
        _add_months(period.start, 1) == period.end for period in periods
    )
    sums = [{**dict.fromkeys(_SUMMED, 0), "order_value": ZERO, "net_revenue": ZERO} for _period in periods]
    orders_of: dict[int, list[int]] = defaultdict(lambda: [0] * len(periods))
    for model, column, position in ((CompanyMonth, "month", 0), (CompanyDay, "day", 1)):
        ranges = {index: part[position] for index, part in enumerate(parts) if part[position] is not None}
        if not ranges:
            continue
        rows = model.objects.filter(scope, _read_together(list(ranges.values()))).order_by()
        # Count a column the index holds (not the key), so the rows themselves are not read.
        buyers = (
            {
                "active": Count("company_id", filter=counted & Q(orders__gte=1)),
                "repeat_buyers": Count("company_id", filter=counted & Q(orders__gte=2)),
            }
            if one_month_each
            else {}
        )
        # Named apart from the columns: a filter on ``orders`` must read the row's, not the sum.
        per_unit = rows.values(column).annotate(
            total_orders=Coalesce(Sum("orders", filter=counted), 0),
            total_order_value=Coalesce(Sum("order_value", filter=counted), Value(ZERO), output_field=MONEY),
            total_net_revenue=Coalesce(Sum("net_revenue", filter=counted), Value(ZERO), output_field=MONEY),
            total_points_earned=Coalesce(Sum("points_earned"), 0),
            total_points_redeemed=Coalesce(Sum("points_redeemed"), 0),
            total_points_expired=Coalesce(Sum("points_expired"), 0),
            **{f"total_{name}": count for name, count in buyers.items()},
        )
        for row in per_unit:
            for index, part in ranges.items():
                if part.covers(row[column]):
                    for name in (*_SUMMED, *buyers):
                        sums[index][name] = sums[index].get(name, 0) + row[f"total_{name}"]
        if not one_month_each:
            per_company = (
                rows.filter(counted, orders__gt=0)
                .values("company_id")
                .annotate(**{f"orders{index}": Sum("orders", filter=part.condition) for index, part in ranges.items()})
                .values_list("company_id", *(f"orders{index}" for index in ranges))
            )
            for company_id, *orders in per_company:
                company_orders = orders_of[company_id]
                for index, count in zip(ranges, orders, strict=True):
                    company_orders[index] += count or 0
    for figures in sums:
        figures.setdefault("active", 0)
        figures.setdefault("repeat_buyers", 0)
    if not one_month_each:
        for index, figures in enumerate(sums):
            figures["active"] = sum(1 for orders in orders_of.values() if orders[index] >= 1)
            figures["repeat_buyers"] = sum(1 for orders in orders_of.values() if orders[index] >= 2)
    return sums


def _summary_members(periods: list[Period], scope_company: Q) -> list[dict]:
    """Each period's member companies, those that had never ordered by its end, and its
    first-time buyers and those of them who came back within ``REPURCHASE_DAYS``, from the
    companies and their ``CompanyFirstOrder`` (one query, one row per company)."""
    first = "insights_first_order__first_order_at"
    aggregates = {}
    for index, period in enumerate(periods):
        start, end = period.bounds()
        member = Q(created_at__lt=end)
        first_time = Q(**{f"{first}__gte": start, f"{first}__lt": end})
        aggregates |= {
            f"members{index}": Count("pk", filter=member),
            f"never{index}": Count(
                "pk", filter=member & (Q(**{f"{first}__isnull": True}) | Q(**{f"{first}__gte": end}))
            ),
            f"first{index}": Count("pk", filter=first_time),
            f"back{index}": Count("pk", filter=first_time & Q(insights_first_order__came_back=True)),
        }
    row = _companies(scope_company).aggregate(**aggregates)
    return [
        {
            "members": row[f"members{index}"],
            "never_bought": row[f"never{index}"],
            "first_time": row[f"first{index}"],
            "first_time_back": row[f"back{index}"],
        }
        for index in range(len(periods))
    ]


def _member_figures(period: Period, scope_company: Q) -> dict:
    """Member companies at the period's end and those that had never ordered by then, from
    the purchases (the summary's are ``_summary_members``)."""
    _start, end = period.bounds()
    ordered_before_end = Exists(
        Purchase.objects.filter(company_id=OuterRef("pk"), original__isnull=True, occurred_at__lt=end)
    )
    return (
        Company.objects.filter(scope_company, created_at__lt=end)
        .exclude(status=CompanyStatus.SUSPENDED)
        .annotate(has_ordered=ordered_before_end)
        .aggregate(members=Count("pk"), never_bought=Count("pk", filter=Q(has_ordered=False)))
    )


def period_figures(
    *,
    period: Period,
    user: User,
    rules: ProgrammeRules,
    outstanding: int | None = None,
    now: datetime | None = None,
    filters: Filters | None = None,
    summary: bool | None = None,
) -> Figures:
    """One period's figures for the companies ``user`` may see (``periods_figures``)."""
    points = None if outstanding is None else [outstanding]
    return periods_figures(
        periods=[period], user=user, rules=rules, outstanding=points, now=now, filters=filters, summary=summary
    )[0]


def periods_figures(
    *,
    periods: list[Period],
    user: User,
    rules: ProgrammeRules,
    outstanding: list[int] | None = None,
    now: datetime | None = None,
    filters: Filters | None = None,
    summary: bool | None = None,
) -> list[Figures]:
    """Each period's figures for the companies ``user`` may see, in a number of queries that
    grows with neither the club nor, from the summary, the number of periods (about eight;
    ``tests/insights`` counts them): the periods' net points outstanding at their ends
    (``outstanding``, in order) are read when not given (``outstanding_at``), and whether
    the summary is built when ``summary`` is not given. Without the summary (SQLite) each
    period's purchase and member figures are read from the purchases, a few queries per
    period."""
    if summary is None:
        summary = summary_ready()
    scope_company = scope_q(user=user, filters=filters)
    company_scope = scope_q(user=user, path="company", filters=filters)
    if outstanding is None:
        ends = [period.bounds()[1] for period in periods]
        at_ends = outstanding_at(ends, user=user, now=now, filters=filters)
        outstanding = [at_ends[end] for end in ends]
    engagement = _engagement(periods, scope_company, company_scope)
    if summary:
        sums = _summary_sums(periods, company_scope)
        members = _summary_members(periods, scope_company)
    else:
        account_scope = scope_q(user=user, path="account__company", filters=filters)
        sums = [
            {**_purchase_figures(period, company_scope), **_ledger_figures(period, account_scope)} for period in periods
        ]
        members = [
            {
                **_member_figures(period, scope_company),
                **first_time_buyers(period, scope_company).aggregate(
                    first_time=Count("pk"), first_time_back=Count("pk", filter=Q(came_back=True))
                ),
            }
            for period in periods
        ]
    return [
        Figures(
            period=period,
            point_value=rules.point_value,
            **members[index],
            **sums[index],
            **engagement[index],
            points_outstanding=outstanding[index],
        )
        for index, period in enumerate(periods)
    ]


def outstanding_at(
    moments: list[datetime], *, user: User, now: datetime | None = None, filters: Filters | None = None
) -> dict[datetime, int]:
    """Net points outstanding (what the club owes) at each of ``moments``: today's buckets
    less what was booked since, from the summary when it is built (``_net_since_summary``),
    else from the ledger. At most five queries, whatever the number of moments."""
    now = now or timezone.now()
    company_scope = scope_q(user=user, path="company", filters=filters)
    entry_scope = scope_q(user=user, path="account__company", filters=filters)
    current = _outstanding_now(company_scope)
    past = [moment for moment in moments if moment < now]
    entry_pk = SummaryState.objects.values_list("entry_pk", flat=True).first() if past else None
    if entry_pk is None:
        since = _net_since(past, entry_scope)
    else:
        since = _net_since_summary(past, scope=company_scope, entry_scope=entry_scope, entry_pk=entry_pk)
    return {moment: current - since.get(moment, 0) for moment in moments}


@dataclass(frozen=True)
class Comparison:
    """A figure in the chosen period against the previous period and a year earlier."""

    current: Figures
    previous: Figures
    year_ago: Figures


@dataclass(frozen=True)
class LiabilityPoint:
    """What the club owed at the end of ``month`` (for this month: now)."""

    month: date
    points: int
    value: Decimal


@dataclass(frozen=True)
class Overview:
    comparison: Comparison
    liability: list[LiabilityPoint] = field(default_factory=list)
    currency: str = "SEK"


def overview(
    *, period: Period, user: User, rules: ProgrammeRules, now: datetime | None = None, filters: Filters | None = None
) -> Overview:
    """The programme overview: the three periods' figures and the liability at each of the
    last ``LIABILITY_MONTHS`` month ends, in a number of queries that does not grow with the
    club (about 45; ``tests/insights`` compares 10 and 1 000 companies)."""
    now = now or timezone.now()
    periods = [period, period.previous(), period.year_earlier()]
    today = timezone.localdate(now)
    month_starts = [(Period.containing("month", today).start)]
    for _index in range(LIABILITY_MONTHS - 1):
        month_starts.append(Period.containing("month", month_starts[-1] - timedelta(days=1)).start)
    month_starts.reverse()
    zone = timezone.get_current_timezone()
    month_moments = [
        timezone.make_aware(datetime.combine(Period.containing("month", start).end, datetime.min.time()), zone)
        for start in month_starts
    ]
    month_moments = [min(moment, now) for moment in month_moments]
    period_ends = [p.bounds()[1] for p in periods]
    outstanding = outstanding_at(period_ends + month_moments, user=user, now=now, filters=filters)
    figures = periods_figures(
        periods=periods,
        user=user,
        rules=rules,
        outstanding=[outstanding[end] for end in period_ends],
        now=now,
        filters=filters,
    )
    liability = [
        LiabilityPoint(
            month=month,
            points=outstanding[moment],
            value=(Decimal(outstanding[moment]) * rules.point_value).quantize(CENT),
        )
        for month, moment in zip(month_starts, month_moments, strict=True)
    ]
    return Overview(comparison=Comparison(*figures), liability=liability, currency=rules.currency)


# --- The companies behind a figure ------------------------------------------------------------------

DRILLDOWNS = {
    "members": _("Member companies"),
    "active": _("Active companies (ordered in the period)"),
    "inactive": _("Member companies that did not order in the period"),
    "never": _("Member companies that have never ordered"),
    "repeat": _("Repeat buyers (two orders or more in the period)"),
    "first_time": _("First-time buyers"),
    "first_time_back": _("First-time buyers who came back within 90 days"),
    "first_time_not_back": _("First-time buyers who did not come back within 90 days"),
}


def drilldown_companies(
    *, metric: str, period: Period, user: User, filters: Filters | None = None
) -> QuerySet[Company]:
    """The companies behind ``metric`` in ``period`` (a key of ``DRILLDOWNS``), annotated with
    ``period_orders``, ``period_revenue`` and ``last_order_at``, ordered by revenue. The
    caller paginates: one query for the page, one to count."""
    start, end = period.bounds()
    scope_company = scope_q(user=user, filters=filters)
    ordered_in_period = Purchase.objects.filter(
        original__isnull=True, occurred_at__gte=start, occurred_at__lt=end
    ).values("company_id")
    members = _companies(scope_company).filter(created_at__lt=end)
    if metric == "members":
        companies = members
    elif metric == "active":
        companies = _companies(scope_company).filter(pk__in=ordered_in_period)
    elif metric == "inactive":
        companies = members.exclude(pk__in=ordered_in_period)
    elif metric == "never":
        companies = members.exclude(
            pk__in=Purchase.objects.filter(original__isnull=True, occurred_at__lt=end).values("company_id")
        )
    elif metric == "repeat":
        repeat = (
            Purchase.objects.filter(original__isnull=True, occurred_at__gte=start, occurred_at__lt=end)
            .order_by()
            .values("company_id")
            .annotate(n=Count("pk"))
            .filter(n__gte=2)
            .values("company_id")
        )
        companies = _companies(scope_company).filter(pk__in=repeat)
    elif metric in ("first_time", "first_time_back", "first_time_not_back"):
        buyers = first_time_buyers(period, scope_company)
        if metric == "first_time_back":
            buyers = buyers.filter(came_back=True)
        elif metric == "first_time_not_back":
            buyers = buyers.filter(came_back=False)
        companies = Company.objects.filter(pk__in=buyers.values("pk"))
    else:
        raise KeyError(metric)
    return with_period_figures(companies, start=start, end=end)


def _whole_days(start: datetime, end: datetime) -> tuple[date, date] | None:
    """``[start, end)`` as local days when both are the start of a local day."""
    zone = timezone.get_current_timezone()
    days = []
    for moment in (start, end):
        local = timezone.localtime(moment, zone)
        if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
            return None
        days.append(local.date())
    return days[0], days[1]


def with_period_figures(companies: QuerySet[Company], *, start: datetime, end: datetime) -> QuerySet[Company]:
    """``companies`` with ``period_orders``, ``period_revenue`` (in ``[start, end)``) and
    ``last_order_at``, biggest revenue first: from ``CompanyDay`` when the summary is built
    and the bounds are whole days (per company, through its ``(company, day)`` index),
    else from the purchases."""
    days = _whole_days(start, end)
    if days is not None and summary_ready():
        first_day, end_day = days
        period = CompanyDay.objects.filter(company_id=OuterRef("pk"), day__gte=first_day, day__lt=end_day)
        last = CompanyDay.objects.filter(company_id=OuterRef("pk"), orders__gt=0).order_by("-day")
        return (
            companies.select_related("sales_rep")
            .annotate(
                period_orders=Coalesce(
                    Subquery(period.order_by().values("company_id").annotate(n=Sum("orders")).values("n")), 0
                ),
                period_revenue=Coalesce(
                    Subquery(period.order_by().values("company_id").annotate(total=Sum("net_revenue")).values("total")),
                    Value(ZERO),
                    output_field=MONEY,
                ),
                last_order_at=Subquery(last.values("last_order_at")[:1]),
            )
            .order_by("-period_revenue", "name", "pk")
        )
    order = Q(purchases__original__isnull=True)
    in_period = Q(purchases__occurred_at__gte=start, purchases__occurred_at__lt=end)
    return (
        companies.select_related("sales_rep")
        .annotate(
            period_orders=Count("purchases", filter=in_period & order),
            period_revenue=Coalesce(
                Sum(net_amount_in_base("purchases__"), filter=in_period), Value(ZERO), output_field=MONEY
            ),
            last_order_at=Max("purchases__occurred_at", filter=order),
        )
        .order_by("-period_revenue", "name", "pk")
    )


# --- Value segments ---------------------------------------------------------------------------------

NEW, CHAMPIONS, LOYAL, PROMISING, AT_RISK, HIBERNATING, LOST, NEVER = (
    "new",
    "champions",
    "loyal",
    "promising",
    "at_risk",
    "hibernating",
    "lost",
    "never",
)
SEGMENTS = {
    CHAMPIONS: (_("Champions"), _("Ordered in the last 30 days and at least 6 times in the last 365.")),
    LOYAL: (_("Loyal"), _("Ordered in the last 90 days and at least 3 times in the last 365.")),
    PROMISING: (_("Promising"), _("Ordered in the last 90 days, fewer than 3 times in the last 365.")),
    NEW: (_("New"), _("First order in the last 90 days.")),
    AT_RISK: (_("At risk"), _("Last order 91 to 180 days ago.")),
    HIBERNATING: (_("Hibernating"), _("Last order 181 to 365 days ago.")),
    LOST: (_("Lost"), _("No order in the last 365 days.")),
    NEVER: (_("Never ordered"), _("A member company without an order.")),
}
YEAR_DAYS = 365
# Behaviour (keeps buying / slows down / stopped) compares two windows of this many days.
BEHAVIOUR_WINDOW_DAYS = 180


def segment_for(*, recency_days: int | None, first_days: int | None, orders_365: int) -> str:
    """The value segment of a company from the days since its last and first order and its
    orders in the last 365 days (documented in ``SEGMENTS``; checked first to last: a
    company ordering for the first time in the last 90 days is "new" whatever else)."""
    if recency_days is None:
        return NEVER
    if first_days is not None and first_days <= 90:
        return NEW
    if recency_days <= 30 and orders_365 >= 6:
        return CHAMPIONS
    if recency_days <= 90 and orders_365 >= 3:
        return LOYAL
    if recency_days <= 90:
        return PROMISING
    if recency_days <= 180:
        return AT_RISK
    if recency_days <= YEAR_DAYS:
        return HIBERNATING
    return LOST


@dataclass
class CompanyValue:
    """A company's buying as the segments see it."""

    company_id: int
    first_order_at: datetime | None
    last_order_at: datetime | None
    orders_total: int
    orders_365: int
    revenue_365: Decimal
    revenue_total: Decimal
    revenue_recent: Decimal = ZERO  # the last ``BEHAVIOUR_WINDOW_DAYS`` days
    revenue_before: Decimal = ZERO  # the same number of days before those
    segment: str = NEVER
    slipping_reason: str = ""

    @property
    def usual_gap_days(self) -> int | None:
        """The company's own rhythm: the average days between its orders (3 orders or more)."""
        if self.orders_total < 3 or not self.first_order_at or not self.last_order_at:
            return None
        return max(1, (self.last_order_at - self.first_order_at).days // (self.orders_total - 1))


def insights_now() -> datetime:
    """The moment the segment pages are computed at: the start of today when today's
    standings snapshot exists (the pages then read it: "as of last night"), else now (one
    query)."""
    snapshot = SnapshotDay.objects.filter(day=timezone.localdate()).values_list("taken_at", flat=True).first()
    return snapshot or timezone.now()


def days_before(moment: datetime, days: int) -> datetime:
    """``days`` local days before ``moment``: the start of that day when ``moment`` starts a
    day (so a standings snapshot taken then is found across a change of summer time, where
    ``moment - timedelta(days)`` lands an hour off), else ``moment - timedelta(days)``."""
    day = _day_of(moment)
    if day is None:
        return moment - timedelta(days=days)
    zone = timezone.get_default_timezone()
    return timezone.make_aware(datetime.combine(day - timedelta(days=days), datetime.min.time()), zone)


def _snapshot_at(moment: datetime) -> date | None:
    """The day whose standings snapshot is as of exactly ``moment``, if it was written."""
    day = timezone.localdate(moment)
    if SnapshotDay.objects.filter(day=day, taken_at=moment).exists():
        return day
    return None


def standings_with_facts(moment: datetime, *, expiring: bool = False) -> date | None:
    """The day whose standings snapshot is as of exactly ``moment`` and holds the worked-out
    facts (``SegmentSnapshot.tenure_days`` … ``slipping``; with ``expiring``, the points
    expiring too), so a page can sort, count and page them in SQL; None otherwise (the page
    then computes them). One query."""
    day = timezone.localdate(moment)
    found = SnapshotDay.objects.filter(day=day, taken_at=moment, facts_stored=True)
    if expiring:
        found = found.filter(expiring_counted=True)
    return day if found.exists() else None


class StoredRows(Sequence):
    """A query's rows, turned into objects by ``make`` only for the slice read: ``len`` is one
    ``COUNT``, a slice one query. What ``Paginator`` and the exports need of a list of
    thousands without reading the thousands."""

    def __init__(self, queryset, make) -> None:
        self.queryset = queryset
        self.make = make

    @cached_property
    def _count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.make(row) for row in self.queryset[index]]
        return self.make(self.queryset[index])


def _assign(value: CompanyValue, now: datetime) -> CompanyValue:
    recency = (now - value.last_order_at).days if value.last_order_at else None
    first_days = (now - value.first_order_at).days if value.first_order_at else None
    value.segment = segment_for(recency_days=recency, first_days=first_days, orders_365=value.orders_365)
    value.slipping_reason = _slipping_reason(value, recency)
    return value


def company_values(
    *,
    user: User | None,
    now: datetime | None = None,
    filters: Filters | None = None,
    company_ids: Iterable[int] | None = None,
) -> list[CompanyValue]:
    """Every company that has bought, in ``user``'s scope (the whole club for ``None``: the
    nightly snapshot) and among ``company_ids`` when given, with its segment: one query over
    the standings snapshot when one was taken at ``now`` (``insights_now``; two with the
    check), else one grouped query over the purchases; then a company-by-company assignment
    in Python (pure arithmetic, but reading 10 000 rows costs a page 0.1 s: a page about a
    few companies names them)."""
    now = now or insights_now()
    day = _snapshot_at(now)
    if day is not None:
        standings = _stored_standings(day, user=user, filters=filters)
        if company_ids is not None:
            standings = standings.filter(company_id__in=list(company_ids))
        rows = standings.order_by("company_id").values_list(*_STANDING_VALUE_FIELDS)  # tuples: cheaper than models
        return [_standing_value(row, now) for row in rows]
    return _live_values(user=user, now=now, filters=filters, company_ids=company_ids)


_STANDING_VALUE_FIELDS = (
    "company_id",
    "first_order_at",
    "last_order_at",
    "orders_total",
    "orders_365",
    "revenue_365",
    "revenue_total",
    "revenue_recent",
    "revenue_before",
)


def _stored_standings(day: date, *, user: User | None, filters: Filters | None) -> QuerySet[SegmentSnapshot]:
    """The standings of ``day`` in ``user``'s scope and the filters, suspended companies left out."""
    return SegmentSnapshot.objects.filter(scope_q(user=user, path="company", filters=filters), day=day).exclude(
        company__status=CompanyStatus.SUSPENDED
    )


def _standing_value(row: tuple, now: datetime) -> CompanyValue:
    """A ``CompanyValue`` from a standing's ``_STANDING_VALUE_FIELDS``, its segment assigned at ``now``."""
    return _assign(CompanyValue(**dict(zip(_STANDING_VALUE_FIELDS, row, strict=True))), now)


class Standing(NamedTuple):
    """A company's segment and revenue of the last 365 days (``CompanyValue``'s names)."""

    company_id: int
    segment: str
    revenue_365: Decimal


def company_standings(
    *, user: User | None, now: datetime | None = None, filters: Filters | None = None
) -> list[Standing]:
    """``company_values`` reduced to each company's segment and revenue of the last 365 days:
    read as stored in the standings snapshot taken at ``now`` (it holds the segment
    ``company_values`` assigns then, and no dates need parsing: 10 000 companies' dates
    cost the page more than its queries), else from ``company_values``. One query (two with
    the check)."""
    now = now or insights_now()
    day = _snapshot_at(now)
    if day is None:
        return [
            Standing(v.company_id, v.segment, v.revenue_365)
            for v in company_values(user=user, now=now, filters=filters)
        ]
    rows = (
        _stored_standings(day, user=user, filters=filters)
        .order_by("company_id")
        .values_list("company_id", "segment", "revenue_365")
    )
    return [Standing(*row) for row in rows]


def values_from_days(*, at: datetime) -> list[CompanyValue]:
    """Every company's standing as of ``at`` (the start of a local day) from ``CompanyDay``:
    the same figures as the live computation at ``at`` (whole days before it), one query.
    Suspended companies are kept: the pages leave them out when they read."""
    day = timezone.localdate(at)
    recent = Q(day__gte=day - timedelta(days=YEAR_DAYS))
    window_start = day - timedelta(days=BEHAVIOUR_WINDOW_DAYS)
    window = Q(day__gte=window_start)
    window_before = Q(day__gte=window_start - timedelta(days=BEHAVIOUR_WINDOW_DAYS), day__lt=window_start)
    rows = (
        CompanyDay.objects.filter(day__lt=day, purchases__gt=0)
        .order_by()
        .values("company_id")
        .annotate(
            first=Min("first_order_at"),
            last=Max("last_order_at"),
            orders_total=Sum("orders"),
            orders_365=Coalesce(Sum("orders", filter=recent), 0),
            revenue_365=Coalesce(Sum("net_revenue", filter=recent), Value(ZERO), output_field=MONEY),
            revenue_total=Sum("net_revenue"),
            revenue_recent=Coalesce(Sum("net_revenue", filter=window), Value(ZERO), output_field=MONEY),
            revenue_before=Coalesce(Sum("net_revenue", filter=window_before), Value(ZERO), output_field=MONEY),
        )
        .order_by("company_id")
    )
    return [_assign(_value_from_row(row), at) for row in rows]


def _value_from_row(row: dict) -> CompanyValue:
    """A ``CompanyValue`` from a grouped row; its sums in cents (SQLite hands back a sum of
    rounded conversions with nine decimals, which an export would show as they are)."""

    def cents(name: str) -> Decimal:
        return Decimal(row[name] or 0).quantize(CENT)

    return CompanyValue(
        company_id=row["company_id"],
        first_order_at=row["first"],
        last_order_at=row["last"],
        orders_total=row["orders_total"],
        orders_365=row["orders_365"],
        revenue_365=cents("revenue_365"),
        revenue_total=cents("revenue_total"),
        revenue_recent=cents("revenue_recent"),
        revenue_before=cents("revenue_before"),
    )


def _live_values(
    *,
    user: User | None,
    now: datetime,
    filters: Filters | None,
    suspended: bool = False,
    company_ids: Iterable[int] | None = None,
) -> list[CompanyValue]:
    """``company_values`` from the purchases (no snapshot); ``suspended`` keeps the suspended
    companies, as ``values_from_days`` does for the standings."""
    year_ago = now - timedelta(days=YEAR_DAYS)
    order = Q(original__isnull=True)
    recent = Q(occurred_at__gte=year_ago, occurred_at__lt=now)
    window_start = now - timedelta(days=BEHAVIOUR_WINDOW_DAYS)
    window = Q(occurred_at__gte=window_start, occurred_at__lt=now)
    window_before = Q(
        occurred_at__gte=window_start - timedelta(days=BEHAVIOUR_WINDOW_DAYS), occurred_at__lt=window_start
    )
    purchases = Purchase.objects.filter(scope_q(user=user, path="company", filters=filters), occurred_at__lt=now)
    amount = net_amount_in_base()
    if not suspended:
        purchases = purchases.exclude(company__status=CompanyStatus.SUSPENDED)
    if company_ids is not None:
        purchases = purchases.filter(company_id__in=list(company_ids))
    rows = (
        purchases.order_by()
        .values("company_id")
        .annotate(
            first=Min("occurred_at", filter=order),
            last=Max("occurred_at", filter=order),
            orders_total=Count("pk", filter=order),
            orders_365=Count("pk", filter=order & recent),
            revenue_365=Coalesce(Sum(amount, filter=recent), Value(ZERO), output_field=MONEY),
            revenue_total=Coalesce(Sum(amount), Value(ZERO), output_field=MONEY),
            revenue_recent=Coalesce(Sum(amount, filter=window), Value(ZERO), output_field=MONEY),
            revenue_before=Coalesce(Sum(amount, filter=window_before), Value(ZERO), output_field=MONEY),
        )
    )
    return [_assign(_value_from_row(row), now) for row in rows]


def _slipping_reason(value: CompanyValue, recency: int | None) -> str:
    """Why a company that used to buy looks like it is slipping away, or "" (not slipping):
    no order for twice its own usual gap (and within the year), or a regular buyer now at
    risk."""
    if recency is None or recency > YEAR_DAYS:
        return ""
    gap = value.usual_gap_days
    if gap is not None and recency > 2 * gap and recency > 30:
        return str(_("No order for %(days)d days; usually orders every %(gap)d days.") % {"days": recency, "gap": gap})
    if value.segment == AT_RISK and value.orders_total >= 3:
        return str(_("A regular buyer with no order for %(days)d days.") % {"days": recency})
    return ""


@dataclass(frozen=True)
class SegmentRow:
    key: str
    label: str
    definition: str
    companies: int
    revenue_365: Decimal
    revenue_total: Decimal

    @property
    def average_365(self) -> Decimal | None:
        return _ratio(self.revenue_365, self.companies)


def segment_summary(
    *, user: User, now: datetime | None = None, filters: Filters | None = None
) -> tuple[list[SegmentRow], list[CompanyValue]]:
    """The segments with their companies and revenue (never-ordering members included), and
    the companies slipping away. Two queries."""
    values = company_values(user=user, now=now, filters=filters)
    member_count = _companies(scope_q(user=user, filters=filters)).count()
    counts: dict[str, list] = {key: [0, ZERO, ZERO] for key in SEGMENTS}
    for value in values:
        entry = counts[value.segment]
        entry[0] += 1
        entry[1] += value.revenue_365
        entry[2] += value.revenue_total
    counts[NEVER][0] += max(member_count - len(values), 0)
    rows = [SegmentRow(key, str(label), str(definition), *counts[key]) for key, (label, definition) in SEGMENTS.items()]
    slipping = sorted((v for v in values if v.slipping_reason), key=lambda v: -v.revenue_365)
    return rows, slipping


def stored_segment_summary(
    *, user: User, now: datetime | None = None, filters: Filters | None = None, slipping_shown: int = 50
) -> tuple[list[SegmentRow], list[CompanyValue], int] | None:
    """``segment_summary`` from the standings snapshot taken at ``now`` with its facts: the
    segments counted and summed in SQL, the first ``slipping_shown`` companies slipping away
    (biggest revenue of the last year first, with their reasons) and how many slip. Four
    queries, whatever the number of companies; None without such a snapshot."""
    now = now or insights_now()
    day = standings_with_facts(now)
    if day is None:
        return None
    standings = _stored_standings(day, user=user, filters=filters)
    counts: dict[str, list] = {key: [0, ZERO, ZERO] for key in SEGMENTS}
    for row in (
        standings.order_by()
        .values("segment")
        .annotate(companies=Count("pk"), revenue_365=Sum("revenue_365"), revenue_total=Sum("revenue_total"))
    ):
        counts[row["segment"]] = [row["companies"], row["revenue_365"], row["revenue_total"]]
    ordered = sum(entry[0] for entry in counts.values())
    counts[NEVER][0] += max(_companies(scope_q(user=user, filters=filters)).count() - ordered, 0)
    rows = [SegmentRow(key, str(label), str(definition), *counts[key]) for key, (label, definition) in SEGMENTS.items()]
    slipping = standings.filter(slipping=True)
    shown = slipping.order_by("-revenue_365", "company_id").values_list(*_STANDING_VALUE_FIELDS)[:slipping_shown]
    values = [_standing_value(row, now) for row in shown]
    return rows, values, slipping.count()


def stored_segment_movement(
    *, user: User, then: datetime, now: datetime | None = None, filters: Filters | None = None
) -> dict[tuple[str, str], int] | None:
    """How the companies in scope moved from their segment at ``then`` to today's, counted in
    SQL from the two standings snapshots (a company without a standing then was "never
    ordered" then); None unless both were taken. Three queries."""
    now = now or insights_now()
    day, then_day = _snapshot_at(now), _snapshot_at(then)
    if day is None or then_day is None:
        return None
    earlier = SegmentSnapshot.objects.filter(day=then_day, company_id=OuterRef("company_id")).values("segment")
    moves = (
        _stored_standings(day, user=user, filters=filters)
        .annotate(then=Coalesce(Subquery(earlier), Value(NEVER)))
        .order_by()
        .values("then", "segment")
        .annotate(companies=Count("pk"))
    )
    return {(row["then"], row["segment"]): row["companies"] for row in moves}


def slipping_reasons(company_ids: list[int], *, now: datetime) -> dict[int, str]:
    """Why each of ``company_ids`` is slipping away ("" for those that are not), in the
    reader's language: from the standings taken at ``now`` (one query for the ids asked), else
    computed for the whole club."""
    day = _snapshot_at(now)
    if day is None:
        values = company_values(user=None, now=now)
        wanted = set(company_ids)
        return {v.company_id: v.slipping_reason for v in values if v.company_id in wanted}
    rows = SegmentSnapshot.objects.filter(day=day, company_id__in=company_ids).values_list(*_STANDING_VALUE_FIELDS)
    return {value.company_id: value.slipping_reason for value in (_standing_value(row, now) for row in rows)}


def segment_company_ids(
    *, segment: str, user: User, now: datetime | None = None, filters: Filters | None = None
) -> list[int]:
    """The ids of the companies in ``segment`` (or "slipping"), by revenue in the last year
    (from the standings' stored segment and slipping flag in SQL when taken at ``now`` with
    their facts)."""
    now = now or insights_now()
    day = standings_with_facts(now)
    if day is not None:
        standings = _stored_standings(day, user=user, filters=filters)
        chosen = standings.filter(slipping=True) if segment == "slipping" else standings.filter(segment=segment)
        ids = list(chosen.order_by("-revenue_365", "company_id").values_list("company_id", flat=True))
        if segment == NEVER:
            ids += list(
                Company.objects.filter(scope_q(user=user, filters=filters))
                .exclude(status=CompanyStatus.SUSPENDED)
                .exclude(pk__in=Purchase.objects.filter(original__isnull=True).values("company_id"))
                .exclude(pk__in=standings.values("company_id"))
                .order_by("name", "pk")
                .values_list("pk", flat=True)
            )
        return ids
    values = company_values(user=user, now=now, filters=filters)
    if segment == "slipping":
        chosen = [v for v in values if v.slipping_reason]
    else:
        chosen = [v for v in values if v.segment == segment]
    chosen.sort(key=lambda v: (-v.revenue_365, v.company_id))
    ids = [v.company_id for v in chosen]
    if segment == NEVER:
        ordered = {v.company_id for v in values}
        never = (
            Company.objects.filter(scope_q(user=user, filters=filters))
            .exclude(status=CompanyStatus.SUSPENDED)
            .exclude(pk__in=Purchase.objects.filter(original__isnull=True).values("company_id"))
            .order_by("name", "pk")
            .values_list("pk", flat=True)
        )
        ids += [pk for pk in never if pk not in ordered]
    return ids


# --- Campaigns side by side -------------------------------------------------------------------------


def campaigns_side_by_side(*, user: User, rules: ProgrammeRules, now: datetime | None = None) -> list:
    """The latest started campaigns with their results against the hold-out, from
    ``campaigns.selectors.campaign_results`` (four queries per campaign, at most
    ``CAMPAIGNS_SHOWN`` campaigns: the count does not grow with companies or purchases).
    The figures are club-wide: a campaign's hold-out comparison is not split by rep."""
    now = now or timezone.now()
    campaigns = list(
        Campaign.objects.filter(status__in=[CampaignStatus.ACTIVE, CampaignStatus.ENDED], starts_at__lte=now).order_by(
            "-starts_at", "-pk"
        )[:CAMPAIGNS_SHOWN]
    )
    return [campaign_results(campaign=campaign, now=now, rules=rules, weeks=False) for campaign in campaigns]
