"""What companies do against what they say, and the accounts a rep should call.

*Behaviour* (``behaviour_for``, checked in order, on net revenue with credit notes deducted):

* **never ordered**: no order yet;
* **stopped**: no order in the last ``STOPPED_DAYS`` (180) days;
* **slows down**: the last order is 91–180 days ago, or the net revenue of the last 180
  days is below ``KEEP_SHARE`` (75 %) of the 180 days before;
* **keeps buying**: everything else (an order in the last 90 days and revenue held).

*Satisfaction* is each company's latest survey score of the last 365 days
(``campaigns.selectors.latest_nps_answers``): 9–10 promoter, 7–8 passive, 0–6 detractor.

*At risk* (``at_risk_accounts``): a company with one or more of these reasons —
**overdue** (at least 3 orders and no order for more than 1.5 times its own usual gap, and
at least 14 days more than the gap, last order within the year), **detractor** (latest
score 0–6), **points expiring** (points that lapse unused in the next 30 days, FIFO as the
nightly expiry does it), **declining spend** (net revenue of the last 180 days below 75 % of
the 180 days before).

Every read is a fixed number of queries, scoped to the companies the person may see.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property

from django.db.models import F, FilteredRelation, Q, Value
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.selectors import LatestAnswer, latest_nps_answers
from core.formatting import format_money, format_points
from members.models import Company, CompanyStatus, User
from members.selectors import staff_sees_every_company
from rewards.ledger.selectors import points_expiring_by_account
from rewards.models import PointsAccount, ProgrammeRules

from .models import ExpiringPoints, SnapshotDay
from .scope import Filters, scope_q
from .selectors import (
    BEHAVIOUR_WINDOW_DAYS,
    MONEY,
    YEAR_DAYS,
    ZERO,
    CompanyValue,
    StoredRows,
    company_values,
    insights_now,
    standings_with_facts,
)

KEEPS, SLOWING, STOPPED, NEVER_ORDERED = "keeps", "slowing", "stopped", "never"
BEHAVIOURS = {
    KEEPS: (gettext_lazy("Keeps buying"), gettext_lazy("Ordered in the last 90 days and revenue held.")),
    SLOWING: (
        gettext_lazy("Slows down"),
        gettext_lazy(
            "Last order 91 to 180 days ago, or net revenue of the last 180 days below three quarters of the 180 days before."
        ),
    ),
    STOPPED: (gettext_lazy("Stopped"), gettext_lazy("No order in the last 180 days.")),
    NEVER_ORDERED: (gettext_lazy("Never ordered"), gettext_lazy("No order yet.")),
}
CELL_TITLES = {
    KEEPS: gettext_lazy("%(group)s who keep buying"),
    SLOWING: gettext_lazy("%(group)s who slow down"),
    STOPPED: gettext_lazy("%(group)s who stopped buying"),
    NEVER_ORDERED: gettext_lazy("%(group)s who never ordered"),
}
PROMOTERS, PASSIVES, DETRACTORS = "promoters", "passives", "detractors"
NPS_GROUPS = {
    PROMOTERS: (gettext_lazy("Promoters"), gettext_lazy("Latest score 9 or 10.")),
    PASSIVES: (gettext_lazy("Passives"), gettext_lazy("Latest score 7 or 8.")),
    DETRACTORS: (gettext_lazy("Detractors"), gettext_lazy("Latest score 0 to 6.")),
}
RECENT_DAYS = 90
STOPPED_DAYS = BEHAVIOUR_WINDOW_DAYS
KEEP_SHARE = Decimal("0.75")
ANSWERS_WITHIN_DAYS = YEAR_DAYS
OVERDUE_FACTOR = Decimal("1.5")
OVERDUE_MIN_DAYS = 14
EXPIRING_WITHIN_DAYS = 30


def behaviour_for(*, recency_days: int | None, revenue_recent: Decimal, revenue_before: Decimal) -> str:
    """The behaviour of a company (see the module's definitions). Pure."""
    if recency_days is None:
        return NEVER_ORDERED
    if recency_days > STOPPED_DAYS:
        return STOPPED
    if recency_days > RECENT_DAYS:
        return SLOWING
    if declining(revenue_recent=revenue_recent, revenue_before=revenue_before):
        return SLOWING
    return KEEPS


def declining(*, revenue_recent: Decimal, revenue_before: Decimal) -> bool:
    return revenue_before > 0 and revenue_recent < revenue_before * KEEP_SHARE


def nps_group(score: int) -> str:
    if score >= 9:
        return PROMOTERS
    if score >= 7:
        return PASSIVES
    return DETRACTORS


def _recency(value: CompanyValue | None, now: datetime) -> int | None:
    if value is None or value.last_order_at is None:
        return None
    return (now - value.last_order_at).days


def company_behaviour(value: CompanyValue | None, now: datetime) -> str:
    if value is None:
        return NEVER_ORDERED
    return behaviour_for(
        recency_days=_recency(value, now), revenue_recent=value.revenue_recent, revenue_before=value.revenue_before
    )


# --- Satisfied is not loyal ----------------------------------------------------------------------


@dataclass
class Cell:
    nps: str
    behaviour: str
    companies: int = 0
    revenue_365: Decimal = ZERO


@dataclass
class SatisfactionRow:
    key: str
    label: str
    definition: str
    cells: list[Cell]

    @property
    def companies(self) -> int:
        return sum(cell.companies for cell in self.cells)

    @property
    def revenue_365(self) -> Decimal:
        return sum((cell.revenue_365 for cell in self.cells), ZERO)


@dataclass
class Answered:
    """A company that answered, with its latest score, behaviour and buying."""

    company_id: int
    answer: LatestAnswer
    nps: str
    behaviour: str
    value: CompanyValue | None

    @property
    def revenue_365(self) -> Decimal:
        return self.value.revenue_365 if self.value else ZERO

    @property
    def last_order_at(self) -> datetime | None:
        return self.value.last_order_at if self.value else None


def answered_companies(*, user: User, now: datetime | None = None, filters: Filters | None = None) -> list[Answered]:
    """Every company in ``user``'s scope with a survey score in the last 365 days, with its
    NPS group and behaviour, biggest revenue of the last year first. Two queries."""
    now = now or insights_now()
    answers = latest_nps_answers(
        since=now - timedelta(days=ANSWERS_WITHIN_DAYS),
        visible_to=user,
        where=filters.q("company") if filters else None,
    )
    if not answers:
        return []
    values = {
        value.company_id: value
        for value in company_values(user=user, now=now, filters=filters, company_ids=answers.keys())
    }
    rows = [
        Answered(
            company_id,
            answer,
            nps_group(answer.score),
            company_behaviour(values.get(company_id), now),
            values.get(company_id),
        )
        for company_id, answer in answers.items()
    ]
    rows.sort(key=lambda row: (-row.revenue_365, row.company_id))
    return rows


def satisfaction_grid(
    *, user: User, now: datetime | None = None, filters: Filters | None = None
) -> tuple[list[SatisfactionRow], int]:
    """Promoters, passives and detractors against keeps buying, slows down, stopped and never
    ordered: companies and net revenue of the last 365 days in each cell; and the number of
    companies that answered. Two queries."""
    answered = answered_companies(user=user, now=now, filters=filters)
    cells = {(nps, behaviour): Cell(nps, behaviour) for nps in NPS_GROUPS for behaviour in BEHAVIOURS}
    for row in answered:
        cell = cells[(row.nps, row.behaviour)]
        cell.companies += 1
        cell.revenue_365 += row.revenue_365
    grid = [
        SatisfactionRow(key, str(label), str(definition), [cells[(key, behaviour)] for behaviour in BEHAVIOURS])
        for key, (label, definition) in NPS_GROUPS.items()
    ]
    return grid, len(answered)


def satisfaction_cell(
    *, nps: str, behaviour: str, user: User, now: datetime | None = None, filters: Filters | None = None
) -> list[Answered]:
    """The companies behind one cell of the grid (e.g. promoters who stopped buying)."""
    return [
        row
        for row in answered_companies(user=user, now=now, filters=filters)
        if row.nps == nps and row.behaviour == behaviour
    ]


# --- At risk -------------------------------------------------------------------------------------

OVERDUE, DETRACTOR, EXPIRING, DECLINING = "overdue", "detractor", "expiring", "declining"
RISK_REASONS = {
    OVERDUE: gettext_lazy("Later than usual"),
    DETRACTOR: gettext_lazy("Detractor"),
    EXPIRING: gettext_lazy("Points expiring unused"),
    DECLINING: gettext_lazy("Declining spend"),
}


@dataclass
class AtRisk:
    """An account with a reason to call. ``facts`` holds each reason's figures; the sentences
    (``reasons``) are written when read, so a list of thousands formats only the page shown,
    in the reader's language."""

    company_id: int
    revenue_365: Decimal
    last_order_at: datetime | None
    rules: ProgrammeRules | None = None
    facts: dict[str, dict] = field(default_factory=dict)  # kind → the sentence's figures

    @cached_property
    def reasons(self) -> dict[str, str]:
        """Kind → the sentence, in ``RISK_REASONS``' order."""
        return {kind: _sentence(kind, self.facts[kind], self.rules) for kind in RISK_REASONS if kind in self.facts}

    @property
    def reason_text(self) -> str:
        return " ".join(self.reasons.values())


def _sentence(kind: str, facts: dict, rules: ProgrammeRules | None) -> str:
    currency = rules.currency if rules else ""
    if kind == OVERDUE:
        return _("Usually orders every %(gap)d days; no order for %(days)d days.") % facts
    if kind == DECLINING:
        recent, before = facts["recent"], facts["before"]
        return _(
            "Net revenue of the last 180 days %(recent)s, down %(down)s %% from %(before)s in the 180 days before."
        ) % {
            "recent": format_money(recent, currency),
            "before": format_money(before, currency),
            "down": ((before - recent) * 100 / before).quantize(Decimal("1")),
        }
    if kind == DETRACTOR:
        return _("Scored %(score)d out of 10 on %(day)s.") % {
            "score": facts["score"],
            "day": formats.date_format(timezone.localtime(facts["answered_at"])),
        }
    points = facts["points"]
    value = (Decimal(points) * (rules.point_value if rules else ZERO)).quantize(Decimal("0.01"))
    return _("%(points)s (%(value)s) expire unused by %(day)s.") % {
        "points": format_points(points),
        "value": format_money(value, currency),
        "day": formats.date_format(facts["on"]),
    }


def overdue_days(value: CompanyValue, now: datetime) -> tuple[int, int] | None:
    """(days since the last order, usual gap) when the company orders later than its own
    rhythm (see the module's definitions), else None. Pure."""
    recency = _recency(value, now)
    gap = value.usual_gap_days
    if recency is None or gap is None or recency > YEAR_DAYS:
        return None
    if recency > gap * OVERDUE_FACTOR and recency >= gap + OVERDUE_MIN_DAYS:
        return recency, gap
    return None


def at_risk_accounts(
    *, user: User, rules: ProgrammeRules, now: datetime | None = None, reason: str = "", filters: Filters | None = None
) -> list[AtRisk]:
    """The accounts in ``user``'s scope with a reason to call (the module's definitions),
    each with every reason that applies as a sentence; biggest revenue of the last year
    first. ``reason`` keeps only the accounts with that reason. At most seven queries (the
    points expiring from the standings snapshot taken at ``now``, else from the ledger); the reasons'
    sentences are written when read (``AtRisk.reasons``)."""
    now = now or insights_now()
    values = {value.company_id: value for value in company_values(user=user, now=now, filters=filters)}
    answers = latest_nps_answers(
        since=now - timedelta(days=ANSWERS_WITHIN_DAYS),
        visible_to=user,
        where=filters.q("company") if filters else None,
    )
    expiring = _expiring_from_snapshot(now=now, scope=scope_q(user=user, path="company", filters=filters))
    if expiring is None:
        expiring = _expiring_live(user=user, now=now, filters=filters)
    found: dict[int, AtRisk] = {}

    def facts(company_id: int) -> dict[str, dict]:
        if company_id not in found:
            value = values.get(company_id)
            found[company_id] = AtRisk(
                company_id, value.revenue_365 if value else ZERO, value.last_order_at if value else None, rules
            )
        return found[company_id].facts

    for company_id, value in values.items():
        late = overdue_days(value, now)
        if late:
            facts(company_id)[OVERDUE] = {"days": late[0], "gap": late[1]}
        if declining(revenue_recent=value.revenue_recent, revenue_before=value.revenue_before):
            facts(company_id)[DECLINING] = {"recent": value.revenue_recent, "before": value.revenue_before}
    for company_id, answer in answers.items():
        if nps_group(answer.score) == DETRACTORS:
            facts(company_id)[DETRACTOR] = {"score": answer.score, "answered_at": answer.answered_at}
    for company_id, (points, last_day) in expiring.items():
        facts(company_id)[EXPIRING] = {"points": points, "on": last_day}
    rows = [row for row in found.values() if not reason or reason in row.facts]
    rows.sort(key=lambda row: (-row.revenue_365, row.company_id))
    return rows


def stored_at_risk_accounts(
    *, user: User, rules: ProgrammeRules, now: datetime | None = None, reason: str = "", filters: Filters | None = None
) -> StoredRows | None:
    """``at_risk_accounts`` read from the standings snapshot taken at ``now``, which holds each
    company's days overdue and declining spend and its points expiring: one query filters,
    sorts and pages the accounts in SQL (biggest revenue of the last year first), so a page
    of 50 builds 50 rows, not the club's thousands. Four queries and one per page read (the
    answers are read as ``at_risk_accounts`` reads them: they change during the day). None
    when there is no such snapshot with those facts (the page then calls
    ``at_risk_accounts``)."""
    now = now or insights_now()
    day = standings_with_facts(now, expiring=True)
    if day is None:
        return None
    answers = latest_nps_answers(
        since=now - timedelta(days=ANSWERS_WITHIN_DAYS),
        visible_to=user,
        where=filters.q("company") if filters else None,
    )
    detractors = {company_id: answer for company_id, answer in answers.items() if nps_group(answer.score) == DETRACTORS}
    conditions = {
        OVERDUE: Q(standing__overdue_days__isnull=False),
        DECLINING: Q(standing__declining=True),
        DETRACTOR: Q(pk__in=sorted(detractors)),
        EXPIRING: Q(expiring__points__isnull=False),
    }
    if reason:
        condition = conditions[reason]
    else:
        condition = Q()
        for each in conditions.values():
            condition |= each
    revenue = Coalesce(F("standing__revenue_365"), Value(ZERO), output_field=MONEY)
    accounts = (
        Company.objects.filter(scope_q(user=user, filters=filters))
        .exclude(status=CompanyStatus.SUSPENDED)
        .annotate(
            standing=FilteredRelation("insights_standing", condition=Q(insights_standing__day=day)),
            expiring=FilteredRelation("insights_expiring", condition=Q(insights_expiring__day=day)),
        )
        .filter(condition)
        .annotate(revenue=revenue)
        .order_by(F("revenue").desc(), "pk")
        .values_list(
            "pk",
            "revenue",
            "standing__last_order_at",
            "standing__overdue_days",
            "standing__usual_gap_days",
            "standing__declining",
            "standing__revenue_recent",
            "standing__revenue_before",
            "expiring__points",
            "expiring__last_day",
        )
    )

    def make(row) -> AtRisk:
        company_id, revenue_365, last, overdue, gap, is_declining, recent, before, points, last_day = row
        account = AtRisk(company_id, revenue_365, last, rules)
        if overdue is not None:
            account.facts[OVERDUE] = {"days": overdue, "gap": gap}
        if is_declining:
            account.facts[DECLINING] = {"recent": recent, "before": before}
        if company_id in detractors:
            answer = detractors[company_id]
            account.facts[DETRACTOR] = {"score": answer.score, "answered_at": answer.answered_at}
        if points is not None:
            account.facts[EXPIRING] = {"points": points, "on": last_day}
        return account

    return StoredRows(accounts, make)


def _expiring_from_snapshot(*, now: datetime, scope) -> dict[int, tuple[int, date]] | None:
    """Company → (points expiring unused, the last day) as the standings snapshot taken at
    ``now`` counted them, or None when no snapshot taken then counted them. Two queries."""
    day = SnapshotDay.objects.filter(taken_at=now, expiring_counted=True).values_list("day", flat=True).first()
    if day is None:
        return None
    rows = (
        ExpiringPoints.objects.filter(scope, day=day)
        .exclude(company__status=CompanyStatus.SUSPENDED)
        .values_list("company_id", "points", "last_day")
    )
    return {company_id: (points, last_day) for company_id, points, last_day in rows}


def _expiring_live(*, user: User, now: datetime, filters: Filters | None) -> dict[int, tuple[int, date]]:
    """The same from the ledger (no snapshot at ``now``). Three queries."""
    accounts = dict(
        PointsAccount.objects.filter(scope_q(user=user, path="company", filters=filters))
        .exclude(company__status=CompanyStatus.SUSPENDED)
        .values_list("pk", "company_id")
    )
    # Only the accounts in scope (a rep's, or the filtered ones); the whole club needs no list.
    everyone = staff_sees_every_company(user) and not (filters and filters.active)
    expiring = points_expiring_by_account(
        now=now, until=now + timedelta(days=EXPIRING_WITHIN_DAYS), account_ids=None if everyone else list(accounts)
    )
    return {
        accounts[account_id]: (sum(item.points for item in days), days[-1].on)
        for account_id, days in expiring.items()
        if account_id in accounts
    }


def with_companies(rows: Iterable, attribute: str = "company_id") -> list:
    """``rows`` with ``company`` set to their company (sales rep selected). One query."""
    rows = list(rows)
    companies = Company.objects.select_related("sales_rep").in_bulk([getattr(row, attribute) for row in rows])
    for row in rows:
        row.company = companies.get(getattr(row, attribute))
    return [row for row in rows if row.company is not None]
