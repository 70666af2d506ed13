"""Reads for the rep workspace. Fixed query counts, however many accounts or entries.

"My accounts" is one annotated query per page (each figure a correlated subquery, so no
per-row queries and no row multiplication from joins), plus two queries for the points
expiring on that page's accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from members.models import Company, User
from members.selectors import staff_companies
from messaging.models import Message
from messaging.selectors import unread_messages_count
from rewards.ledger.selectors import EXPIRY_WARNING_DAYS, points_by_month, points_expiring_by_account
from rewards.models import PointsAccount, Purchase
from rewards.redemptions.selectors import company_redemptions

from .models import GoodwillAward, GoodwillBudget, StaffNote
from .services import month_of

TREND_DAYS = 90
MONEY = DecimalField(max_digits=15, decimal_places=2)


def _purchases_between(start: datetime, end: datetime) -> Coalesce:
    """Net purchase amount (credit notes subtract) of the outer company in [start, end)."""
    total = (
        Purchase.objects.filter(company_id=OuterRef("pk"), occurred_at__gte=start, occurred_at__lt=end)
        .order_by()
        .values("company_id")
        .annotate(total=Sum("net_amount"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=MONEY), Value(Decimal("0")), output_field=MONEY)


def rep_accounts(*, user: User, now: datetime | None = None) -> QuerySet[Company]:
    """The accounts ``user`` works with (a rep's own; every company for a club admin), each
    annotated with what "My accounts" shows and sorts by:

    ``balance`` (0 without an account), ``tier`` via ``points_account__tier``,
    ``last_purchase_at`` (the latest purchase, credit notes left out), ``purchases_recent`` and
    ``purchases_before`` (net amounts in the last 90 days and the 90 before), ``trend``
    (percent change between them, None when there was nothing before) and ``unread`` (messages
    from the company that its rep has not read). One query per page.
    """
    now = now or timezone.now()
    recent_start = now - timedelta(days=TREND_DAYS)
    before_start = recent_start - timedelta(days=TREND_DAYS)
    last_purchase = (
        Purchase.objects.filter(company_id=OuterRef("pk"), original__isnull=True)
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    return (
        staff_companies(user=user)
        .select_related("sales_rep", "points_account__tier")
        .annotate(
            balance=Coalesce(F("points_account__balance"), 0),
            last_purchase_at=Subquery(last_purchase),
            purchases_recent=_purchases_between(recent_start, now),
            purchases_before=_purchases_between(before_start, recent_start),
            unread=unread_messages_count(
                messages=Message.objects.filter(thread__company_id=OuterRef("pk")),
                reader="sales_rep_id",
                group_by="thread__company_id",
            ),
        )
        .annotate(
            trend=Case(
                When(
                    purchases_before__gt=0,
                    then=ExpressionWrapper(
                        (F("purchases_recent") - F("purchases_before")) * Value(Decimal("100")) / F("purchases_before"),
                        output_field=MONEY,
                    ),
                ),
                default=None,
                output_field=MONEY,
            )
        )
    )


def accounts_expiring(*, companies: list[Company], now: datetime | None = None) -> dict[int, int]:
    """Points each company will lose in the next ``EXPIRY_WARNING_DAYS`` days unless spent
    (FIFO, as the nightly expiry computes it), for one page of accounts: company id ->
    points. Two queries, whatever the page size."""
    now = now or timezone.now()
    account_ids = {
        company.points_account.pk: company.pk
        for company in companies
        if getattr(company, "points_account", None) is not None
    }
    if not account_ids:
        return {}
    expiring = points_expiring_by_account(
        now=now, until=now + timedelta(days=EXPIRY_WARNING_DAYS), account_ids=list(account_ids)
    )
    return {account_ids[account_id]: sum(item.points for item in items) for account_id, items in expiring.items()}


def account_months(*, company: Company, now: datetime | None = None):
    """Points earned and spent per month over 12 months (``rewards.ledger.selectors.points_by_month``);
    empty without an account. Two queries."""
    account = PointsAccount.objects.filter(company=company).only("pk").first()
    return points_by_month(account=account, now=now) if account else []


def staff_notes(*, company: Company, limit: int = 20) -> list[StaffNote]:
    """The company's newest staff notes with their authors. One query."""
    return list(StaffNote.objects.filter(company=company).select_related("author")[:limit])


# --- Recent redemptions ---------------------------------------------------------------------------


def recent_redemptions(*, company: Company, limit: int = 5) -> list:
    """The company's latest reward orders with their status and who placed them, newest
    first (``rewards.ledger.selectors.company_redemptions``). One query."""
    return list(company_redemptions(company=company)[:limit])


# --- Goodwill -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoodwillStatus:
    """A rep's goodwill budget for one month: ``points`` (0 when none is set), what is given."""

    month: datetime
    points: int
    awarded: int
    is_set: bool

    @property
    def left(self) -> int:
        return max(0, self.points - self.awarded)

    @property
    def used_percent(self) -> int:
        return min(100, round(self.awarded * 100 / self.points)) if self.points else 0


def goodwill_status(*, rep: User, now: datetime | None = None) -> GoodwillStatus:
    """What ``rep`` may still give this month. One query: the month's row, or the latest
    earlier one (budgets carry over until a club admin changes them)."""
    month = month_of(now or timezone.now())
    budget = GoodwillBudget.objects.filter(rep=rep, month__lte=month).order_by("-month").first()
    if budget is None:
        return GoodwillStatus(month=month, points=0, awarded=0, is_set=False)
    awarded = budget.awarded if budget.month == month else 0
    return GoodwillStatus(month=month, points=budget.points, awarded=awarded, is_set=True)


def goodwill_awards(*, company: Company, limit: int = 10) -> list[GoodwillAward]:
    """The company's latest goodwill gifts with who gave them. One query."""
    return list(GoodwillAward.objects.filter(company=company).select_related("rep")[:limit])
