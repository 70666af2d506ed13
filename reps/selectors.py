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
    DecimalField,
    F,
    OuterRef,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from members.models import Company, User
from members.selectors import staff_companies
from messaging.models import Message
from messaging.selectors import unread_messages_count
from rewards.ledger.selectors import EXPIRY_WARNING_DAYS, points_by_month, points_expiring_by_account
from rewards.models import PointsAccount
from rewards.redemptions.selectors import company_redemptions

from .models import GoodwillAward, GoodwillBudget, StaffNote
from .services import month_of

MONEY = DecimalField(max_digits=20, decimal_places=2)


def rep_accounts(*, user: User) -> QuerySet[Company]:
    """The accounts ``user`` works with (a rep's own; every company for a club admin), each
    annotated with what "My accounts" shows and sorts by:

    ``balance`` (0 without an account), ``tier`` via ``points_account__tier``,
    ``last_purchase_at`` (the latest purchase, credit notes left out), ``purchases_recent`` and
    ``purchases_before`` (net amounts in the last 90 days and the 90 before, in the base
    currency: other currencies at their reporting rate), ``trend``
    (percent change between them, None when there was nothing before) and ``unread`` (messages
    from the company that its rep has not read). One query per page.

    The purchase figures are read from ``AccountActivity`` (``reps.activity``), recomputed
    from the purchases every few minutes, so sorting and filtering on them is a join, not an
    aggregate over every purchase of every account in scope.
    """
    return (
        staff_companies(user=user)
        .select_related("sales_rep", "points_account__tier")
        .annotate(
            balance=Coalesce(F("points_account__balance"), 0),
            last_purchase_at=F("activity__last_purchase_at"),
            purchases_recent=Coalesce(F("activity__purchases_recent"), Value(Decimal("0")), output_field=MONEY),
            purchases_before=Coalesce(F("activity__purchases_before"), Value(Decimal("0")), output_field=MONEY),
            trend=F("activity__trend"),
            unread=unread_messages_count(
                messages=Message.objects.filter(thread__company_id=OuterRef("pk")),
                reader="sales_rep_id",
                group_by="thread__company_id",
            ),
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
