"""The account summary, the monthly chart, and ``manage.py check_ledger``."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import CommandError, call_command

from rewards.ledger.selectors import account_summary, points_by_month
from rewards.models import PointsAccount
from tests.factories import CompanyFactory

from .factories import NOW, TierFactory
from .helpers import earn, redeem

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def test_given_balance_pending_and_expiring_points_when_summarised_then_member_sees_each_with_dates(account):
    TierFactory(name="Silver", qualifying_points=1000)
    gold = TierFactory(name="Gold", qualifying_points=5000)
    old = NOW - relativedelta(months=24) + 30 * DAY  # expires in 30 days
    earn(account.company, 400, at=old, release=True)
    earn(account.company, 900, at=NOW - 20 * DAY, release=True)
    earn(account.company, 300, at=NOW - 2 * DAY)
    redeem(account, 100, key="order-1", at=NOW - DAY)

    summary = account_summary(company=account.company, now=NOW)

    assert summary.balance == 1200
    assert (summary.balance_value, summary.currency) == (Decimal("60.00"), "SEK")
    assert summary.pending == 300
    assert [(item.on, item.points) for item in summary.pending_releases] == [(date(2026, 6, 27), 300)]
    assert [(item.on, item.points) for item in summary.expiring] == [(date(2026, 7, 15), 300)], (
        "400 minus the 100 spent"
    )
    assert summary.tier.name == "Silver"
    assert summary.qualifying_points == 1200, "the purchase 23 months ago no longer qualifies"
    assert (summary.next_tier, summary.points_to_next_tier) == (gold, 3800)


def test_given_company_without_account_when_summarised_then_empty_summary(rules):
    summary = account_summary(company=CompanyFactory(), now=NOW)

    assert (summary.balance, summary.pending, summary.expiring) == (0, 0, [])


@pytest.mark.parametrize("entries", [3, 600])
def test_given_many_entries_when_summarised_then_query_count_is_fixed(account, django_assert_num_queries, entries):
    for n in range(entries):
        earn(account.company, 10, at=NOW - relativedelta(months=23) + n * DAY, release=n % 2 == 0)
    earn(account.company, 10, at=NOW - DAY)  # pending: the summary reads its release date
    redeem(account, 5, key="order-1", at=NOW)

    with django_assert_num_queries(7):
        account_summary(company=account.company, now=NOW)
    with django_assert_num_queries(1):
        points_by_month(account=account, now=NOW)


def test_given_a_year_of_activity_when_chart_is_read_then_twelve_months_of_earned_and_spent(account):
    earn(account.company, 100, at=NOW - relativedelta(months=13))
    earn(account.company, 200, at=NOW - relativedelta(months=2), release=True)
    redeem(account, 50, key="order-1", at=NOW - relativedelta(months=1))

    months = points_by_month(account=account, now=NOW)

    assert len(months) == 12
    assert months[0].month == date(2025, 7, 1) and months[-1].month == date(2026, 6, 1)
    assert [(m.earned, m.spent) for m in months[-3:]] == [(200, 0), (0, 50), (0, 0)]
    assert sum(m.earned for m in months) == 200


def test_given_consistent_ledger_when_checked_then_success(account, capsys):
    earn(account.company, 100, at=NOW, release=True)

    call_command("check_ledger")

    assert "Every account matches" in capsys.readouterr().out


def test_given_balance_out_of_step_with_entries_when_checked_then_mismatch_printed_and_command_fails(account, capsys):
    earn(account.company, 100, at=NOW, release=True)
    PointsAccount.objects.filter(pk=account.pk).update(balance=101)

    with pytest.raises(CommandError, match="1 account"):
        call_command("check_ledger")

    assert f"account {account.pk} " in capsys.readouterr().out
