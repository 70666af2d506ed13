"""Lifetime value: what each company has been worth, what it is likely to be worth in the next
12 months, and how companies moved between value segments.

*Historical* (per company that has ordered; net revenue, credit notes deducted):

* **revenue to date**: all its net revenue;
* **tenure**: days since its first order;
* **yearly value**: revenue to date ÷ tenure in years, with a tenure of at least one year
  (a company of a few weeks is not extrapolated), in whole currency units.

*Predicted 12-month value* = **base** × **segment retention**:

* **base**: the company's net revenue of the last 365 days; for a company whose first
  order is less than 365 days ago, its revenue to date scaled to a year
  (× 365 ÷ tenure, with a tenure of at least 90 days); never below zero;
* **segment retention** ``k``: how much revenue the companies of the company's value
  segment kept last year — take the companies that were in that segment 365 days ago, and
  divide their net revenue of the last 365 days by their net revenue of the 365 days before
  (what they were worth when they were in that segment); kept between 0 and 1.5; 1 when the
  segment had no revenue a year ago (no evidence either way); the product is rounded to
  whole currency units.

Why not a library: the BG/NBD and Gamma-Gamma models (``lifetimes``, ``btyd``) are the
usual choice, but ``lifetimes`` is in maintenance mode, ``btyd`` is archived and supports
Python 3.8–3.9 only, and their successor ``pymc-marketing`` brings PyMC, PyTensor and
pandas (a compiler tool chain and hundreds of megabytes) to a web portal for a figure a club
admin must be able to explain. This method is explainable in one sentence, computed from the
club's own history, and checked by hand in ``tests/insights/test_lifetime.py``.

Two queries (the companies' buying today and a year ago), whatever the number of companies.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Case, Count, F, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Round

from members.models import CompanyStatus, User
from members.selectors import staff_sees_every_company

from .models import SegmentSnapshot
from .scope import Filters, scope_q
from .selectors import (
    CENT,
    MONEY,
    NEVER,
    SEGMENTS,
    YEAR_DAYS,
    ZERO,
    CompanyValue,
    Standing,
    StoredRows,
    _snapshot_at,
    company_standings,
    company_values,
    days_before,
    insights_now,
    standings_with_facts,
    stored_segment_movement,
)

MIN_TENURE_FOR_BASE = 90
WHOLE = Decimal("1")  # estimates in whole currency units: cents would be false precision
MAX_RETENTION = Decimal("1.5")
MOVEMENT_DAYS = (30, 90, 365)


@dataclass
class Lifetime:
    company_id: int
    segment: str
    first_order_at: datetime | None
    revenue_to_date: Decimal
    revenue_365: Decimal
    tenure_days: int
    yearly_value: Decimal
    base: Decimal
    retention: Decimal
    predicted_12m: Decimal


def yearly_value(*, revenue_to_date: Decimal, tenure_days: int) -> Decimal:
    return (revenue_to_date * YEAR_DAYS / max(tenure_days, YEAR_DAYS)).quantize(WHOLE)


def prediction_base(*, revenue_365: Decimal, revenue_to_date: Decimal, tenure_days: int) -> Decimal:
    if tenure_days >= YEAR_DAYS:
        base = revenue_365
    else:
        base = revenue_to_date * YEAR_DAYS / max(tenure_days, MIN_TENURE_FOR_BASE)
    return max(base, ZERO).quantize(CENT)


def segment_retention(
    *, then: list[CompanyValue] | list[Standing], now_values: dict[int, CompanyValue]
) -> dict[str, Decimal]:
    """``k`` per segment (see the module's definitions): for the companies in each segment
    a year ago, their revenue of the last 365 days over their revenue of the 365 days
    before. Pure."""
    before: dict[str, Decimal] = defaultdict(lambda: ZERO)
    after: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for value in then:
        before[value.segment] += value.revenue_365
        later = now_values.get(value.company_id)
        after[value.segment] += later.revenue_365 if later else ZERO
    return retention_from_sums(before=before, after=after)


def retention_from_sums(*, before: dict[str, Decimal], after: dict[str, Decimal]) -> dict[str, Decimal]:
    """``k`` per segment from each segment's revenue a year ago (``before``) and the same
    companies' revenue since (``after``). Pure."""
    result = {}
    for segment in SEGMENTS:
        spent = before.get(segment, ZERO)
        if spent <= 0:
            result[segment] = Decimal("1")
        else:
            kept = after.get(segment, ZERO) / spent
            result[segment] = min(max(kept, ZERO), MAX_RETENTION).quantize(Decimal("0.01"))
    return result


def predicted(base: Decimal, retention: Decimal) -> Decimal:
    """The predicted 12-month value from its base and the segment's retention. Pure."""
    return (base * retention).quantize(WHOLE)


@dataclass(frozen=True)
class SegmentValue:
    key: str
    label: str
    companies: int
    revenue_to_date: Decimal
    yearly_value: Decimal
    retention: Decimal
    predicted_12m: Decimal

    @property
    def average_predicted(self) -> Decimal | None:
        return (self.predicted_12m / self.companies).quantize(WHOLE) if self.companies else None


def lifetime_values(
    *, user: User, now: datetime | None = None, filters: Filters | None = None
) -> tuple[list[Lifetime], list[SegmentValue], dict[str, Decimal]]:
    """Every company in ``user``'s scope that has ordered, with its historical and
    predicted value (biggest predicted first); the totals per segment; and the retention
    ``k`` of each segment. Two queries. The retention is the whole club's (a rep's handful
    of accounts is too few to estimate it), the companies are ``user``'s."""
    now = now or insights_now()
    today = company_values(user=None, now=now)
    then = company_standings(user=None, now=days_before(now, YEAR_DAYS))
    retention = segment_retention(then=then, now_values={value.company_id: value for value in today})
    visible = None
    if user is not None and (not staff_sees_every_company(user) or (filters and filters.active)):
        visible = {standing.company_id for standing in company_standings(user=user, now=now, filters=filters)}
    rows = []
    for value in today:
        if visible is not None and value.company_id not in visible:
            continue
        tenure = (now - value.first_order_at).days if value.first_order_at else 0
        base = prediction_base(revenue_365=value.revenue_365, revenue_to_date=value.revenue_total, tenure_days=tenure)
        k = retention.get(value.segment, Decimal("1"))
        rows.append(
            Lifetime(
                company_id=value.company_id,
                segment=value.segment,
                first_order_at=value.first_order_at,
                revenue_to_date=value.revenue_total,
                revenue_365=value.revenue_365,
                tenure_days=tenure,
                yearly_value=yearly_value(revenue_to_date=value.revenue_total, tenure_days=tenure),
                base=base,
                retention=k,
                predicted_12m=predicted(base, k),
            )
        )
    rows.sort(key=lambda row: (-row.predicted_12m, row.company_id))
    totals: dict[str, list] = {}
    for row in rows:
        entry = totals.setdefault(row.segment, [0, ZERO, ZERO, ZERO])
        entry[0] += 1
        entry[1] += row.revenue_to_date
        entry[2] += row.yearly_value
        entry[3] += row.base
    return rows, _segment_values(totals, retention), retention


def _segment_values(totals: dict[str, list], retention: dict[str, Decimal]) -> list[SegmentValue]:
    """The per-segment lines from each segment's [companies, revenue to date, yearly value,
    sum of the bases]: the segment's prediction is its bases' sum times its retention,
    rounded once (not the sum of the rounded company figures)."""
    lines = []
    for key in [*(key for key in SEGMENTS if key != NEVER), *([NEVER] if NEVER in totals else [])]:
        count, to_date, yearly, base = totals.get(key, [0, ZERO, ZERO, ZERO])
        k = retention.get(key, Decimal("1"))
        lines.append(SegmentValue(key, str(SEGMENTS[key][0]), count, to_date, yearly, k, predicted(base, k)))
    return lines


def stored_lifetime_values(
    *, user: User, now: datetime | None = None, filters: Filters | None = None
) -> tuple[StoredRows, list[SegmentValue], dict[str, Decimal]] | None:
    """``lifetime_values`` read from the standings snapshot taken at ``now``, which holds each
    company's tenure, yearly value and prediction base: the companies as a ``StoredRows``
    (biggest predicted first, sorted and paged in SQL), the per-segment lines and the
    retention. Four queries and one per page read, whatever the number of companies. None
    when there is no such snapshot with those facts, or none of a year earlier to take the
    retention from (the page then calls ``lifetime_values``)."""
    now = now or insights_now()
    day = standings_with_facts(now)
    then_day = _snapshot_at(days_before(now, YEAR_DAYS)) if day else None
    if day is None or then_day is None:
        return None
    later = SegmentSnapshot.objects.filter(day=day, company_id=OuterRef("company_id")).values("revenue_365")
    sums = (
        SegmentSnapshot.objects.filter(day=then_day)
        .exclude(company__status=CompanyStatus.SUSPENDED)
        .annotate(later=Coalesce(Subquery(later), Value(ZERO), output_field=MONEY))
        .order_by()
        .values("segment")
        .annotate(before=Sum("revenue_365"), after=Sum("later"))
    )
    sums = list(sums)
    retention = retention_from_sums(
        before={row["segment"]: row["before"] for row in sums}, after={row["segment"]: row["after"] for row in sums}
    )
    k = Case(
        *(When(segment=key, then=Value(value)) for key, value in retention.items()),
        default=Value(Decimal("1")),
        output_field=MONEY,
    )
    standings = (
        SegmentSnapshot.objects.filter(scope_q(user=user, path="company", filters=filters), day=day)
        .exclude(company__status=CompanyStatus.SUSPENDED)
        .annotate(retention=k, order_value=Round(F("prediction_base") * k))
    )
    totals = {
        row["segment"]: [row["companies"], row["to_date"], row["yearly"], row["base"]]
        for row in standings.order_by()
        .values("segment")
        .annotate(
            companies=Count("pk"), to_date=Sum("revenue_total"), yearly=Sum("yearly_value"), base=Sum("prediction_base")
        )
    }
    fields = (
        "company_id",
        "segment",
        "first_order_at",
        "revenue_total",
        "revenue_365",
        "tenure_days",
        "yearly_value",
        "prediction_base",
        "retention",
    )

    def make(row) -> Lifetime:
        company_id, segment, first, to_date, revenue_365, tenure, yearly, base, retention_k = row
        return Lifetime(
            company_id=company_id,
            segment=segment,
            first_order_at=first,
            revenue_to_date=to_date,
            revenue_365=revenue_365,
            tenure_days=tenure,
            yearly_value=yearly,
            base=base,
            retention=retention_k,
            predicted_12m=predicted(base, retention_k),
        )

    rows = StoredRows(standings.order_by("-order_value", "company_id").values_list(*fields), make)
    return rows, _segment_values(totals, retention), retention


def segment_movement(
    *, user: User, days: int, now: datetime | None = None, filters: Filters | None = None
) -> tuple[list[str], dict]:
    """How the companies in ``user``'s scope moved between value segments from ``days`` ago
    to today: ``{(segment then, segment now): companies}`` (companies that had not ordered
    then count as "never ordered" then). Two queries."""
    now = now or insights_now()
    counted = stored_segment_movement(user=user, then=days_before(now, days), now=now, filters=filters)
    if counted is not None:
        return list(SEGMENTS), counted
    today = {
        standing.company_id: standing.segment for standing in company_standings(user=user, now=now, filters=filters)
    }
    earlier = company_standings(user=user, now=days_before(now, days), filters=filters)
    then = {standing.company_id: standing.segment for standing in earlier}
    moves: dict[tuple[str, str], int] = defaultdict(int)
    for company_id, segment in today.items():
        moves[(then.get(company_id, NEVER), segment)] += 1
    return list(SEGMENTS), dict(moves)
