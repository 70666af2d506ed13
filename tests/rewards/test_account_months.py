"""The ledger summed per account and month (``rewards.ledger.months``): kept by every write,
read by the tier rule's 12 months and the dashboard's chart, repaired by a command."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewards.ledger.months import (
    QUALIFYING_MANY_SQL,
    account_months_mismatches,
    account_months_rebuild,
    month_of,
    month_start,
    qualifying_many_params,
    qualifying_points_between,
)
from rewards.ledger.selectors import points_by_month
from rewards.ledger.services import (
    points_account_for_company,
    points_earn_for_purchase,
    points_release_pending,
    purchase_return,
)
from rewards.models import AccountMonth, EntryKind, LedgerEntry
from tests.factories import CompanyFactory

from .factories import CreditNoteFactory, PurchaseFactory
from .helpers import give_points, redeem

BASE = datetime(2025, 1, 1, tzinfo=UTC)
SPAN = int(timedelta(days=800).total_seconds())
# Instants a window or a purchase can sit exactly on: local month starts and a microsecond
# either side of them (timestamps are microseconds).
EDGES = [
    month_start(month_of(BASE) + relativedelta(months=offset)) + timedelta(microseconds=shift)
    for offset in range(1, 26, 5)
    for shift in (-1, 0, 1)
]


def _from_entries(account, start, end) -> int:
    """The tier rule summed over the entries, as it was before the months existed."""
    return LedgerEntry.objects.filter(
        account=account,
        kind__in=[EntryKind.EARN, EntryKind.REVERSAL],
        purchase__occurred_at__gt=start,
        purchase__occurred_at__lte=end,
    ).aggregate(total=Coalesce(Sum(F("points") + F("pending_points") - F("shortfall_points")), 0))["total"]


moments = st.one_of(
    st.integers(min_value=0, max_value=SPAN).map(lambda seconds: BASE + timedelta(seconds=seconds)),
    st.sampled_from(EDGES),
)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    purchases=st.lists(st.tuples(moments, st.integers(min_value=1, max_value=900), st.booleans()), max_size=12),
    windows=st.lists(st.tuples(moments, st.integers(min_value=0, max_value=SPAN)), min_size=1, max_size=6),
)
def test_qualifying_points_read_from_months_equal_the_entries(rules, purchases, windows):
    """Whatever the purchase times (month edges included) and the window, the months plus the
    partial ends give what summing the entries gives; returns count by the credit note's date.
    On PostgreSQL the many-accounts form (the import's tier check) gives each account the same,
    and another account's purchases at the same moments never count for it."""
    with transaction.atomic():
        account = points_account_for_company(company=CompanyFactory())
        other = points_account_for_company(company=CompanyFactory())
        for at, amount, _returned in purchases[::2]:
            points_earn_for_purchase(
                purchase=PurchaseFactory(company=other.company, net_amount=Decimal(amount * 3), occurred_at=at), now=at
            )
        for at, amount, returned in purchases:
            purchase = PurchaseFactory(company=account.company, net_amount=Decimal(amount), occurred_at=at)
            points_earn_for_purchase(purchase=purchase, now=at)
            if returned:
                credit_at = at + timedelta(days=20)
                purchase_return(
                    credit_note=CreditNoteFactory(
                        original=purchase, net_amount=-Decimal(amount) / 2, occurred_at=credit_at
                    ),
                    now=credit_at,
                )
        windows = [*windows, (EDGES[3], SPAN), (EDGES[4], 0)]
        for start, length in windows:
            end = start + timedelta(seconds=length)
            assert qualifying_points_between(
                account_id=account.pk, company_id=account.company_id, start=start, end=end
            ) == _from_entries(account, start, end), (start, end)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        QUALIFYING_MANY_SQL,
                        qualifying_many_params(account_ids=[account.pk, other.pk], start=start, end=end),
                    )
                    many = dict(cursor.fetchall())
                for each in (account, other):
                    assert many.get(each.pk, 0) == _from_entries(each, start, end), (each, start, end)
        assert account_months_mismatches() == []
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_chart_months_come_from_the_rows_the_writes_keep(rules):
    company = CompanyFactory()
    account = points_account_for_company(company=company)
    march = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    purchase = PurchaseFactory(company=company, net_amount=Decimal("1000"), occurred_at=march)
    points_earn_for_purchase(purchase=purchase, now=march)
    points_release_pending(now=march + timedelta(days=30))
    redeem(account, 300, key="m1", at=datetime(2026, 5, 2, 9, 0, tzinfo=UTC))
    # A late import: a February purchase written in May counts for February's tier points,
    # for May on the chart.
    late = PurchaseFactory(
        company=company, net_amount=Decimal("200"), occurred_at=datetime(2026, 2, 20, 9, 0, tzinfo=UTC)
    )
    points_earn_for_purchase(purchase=late, now=datetime(2026, 5, 3, 9, 0, tzinfo=UTC))

    months = {row.month.month: row for row in AccountMonth.objects.filter(account=account)}
    assert (months[2].qualifying_points, months[2].earned) == (200, 0)
    assert (months[3].qualifying_points, months[3].earned) == (1000, 1000)
    assert (months[5].qualifying_points, months[5].earned, months[5].spent) == (0, 200, -300)
    chart = {
        row.month.month: (row.earned, row.spent) for row in points_by_month(account=account, now=march.replace(month=6))
    }
    assert chart[3] == (1000, 0) and chart[5] == (200, 300) and chart[2] == (0, 0)


@pytest.mark.django_db
def test_check_ledger_reports_a_wrong_month_and_the_rebuild_repairs_it(rules):
    company = CompanyFactory()
    account = points_account_for_company(company=company)
    at = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    points_earn_for_purchase(
        purchase=PurchaseFactory(company=company, net_amount=Decimal("500"), occurred_at=at), now=at
    )
    give_points(account, 50)  # an adjustment: in no month's sums
    AccountMonth.objects.filter(account=account).update(qualifying_points=F("qualifying_points") + 7)
    AccountMonth.objects.create(account=account, month=datetime(2026, 1, 1).date(), earned=3)

    with pytest.raises(CommandError, match="2\\+ account months do not match"):
        call_command("check_ledger", stdout=io.StringIO())

    out = io.StringIO()
    call_command("rebuild_account_months", "--batch", "1", stdout=out)
    assert "1 account months written" in out.getvalue()
    assert account_months_mismatches() == []
    call_command("check_ledger", stdout=io.StringIO())
    assert account_months_rebuild() == 1  # twice: the same rows
    assert list(AccountMonth.objects.values_list("qualifying_points", "earned", "spent")) == [(500, 500, 0)]
