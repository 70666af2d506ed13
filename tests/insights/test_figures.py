"""Insights' figures on a small club built by hand, each answer worked out in the test.

March 2026 (the period), companies:

* A: first order 10 Jan (300); in March orders of 1 000 (3rd) and 500 (20th) and a credit
  note of −200 (25th) against the first one;
* B: first order ever 10 March (400), again 15 April (100): back within 90 days;
* C: first order ever 5 March (600), again 1 July (121 days later): not back in time;
* D: suspended today, ordered 1 000 on 2 March: left out of every company figure;
* E: joined 15 March, never ordered; F: joined in 2025, never ordered;
* G: joined 2 April: not a member in March.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from insights.periods import CUSTOM, MONTH, QUARTER, YEAR, Period
from insights.selectors import (
    AT_RISK,
    CHAMPIONS,
    HIBERNATING,
    LOST,
    LOYAL,
    NEVER,
    NEW,
    PROMISING,
    drilldown_companies,
    outstanding_at,
    period_figures,
    segment_for,
)
from members.models import CompanyStatus
from rewards.models import EntryKind, LedgerEntry, PointsAccount, ProgrammeRules, Purchase
from tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db

MARCH = Period.containing(MONTH, date(2026, 3, 14))


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour), timezone.get_current_timezone())


def buy(company, amount, day, original=None, *, currency="SEK"):
    return Purchase.objects.create(
        company=company,
        source="erp",
        external_id=f"{company.pk}-{day.isoformat()}-{amount}",
        occurred_at=at(day),
        net_amount=Decimal(amount),
        currency=currency,
        original=original,
    )


def entry(account, kind, day, *, points=0, pending=0, reverses=None, key=""):
    return LedgerEntry.objects.create(
        account=account,
        kind=kind,
        points=points,
        pending_points=pending,
        created_at=at(day),
        reverses=reverses,
        expires_at=at(day) + timedelta(days=700) if points > 0 else None,
        idempotency_key=key or f"{account.pk}-{kind}-{day.isoformat()}-{points}-{pending}",
    )


@pytest.fixture
def rules():
    rules = ProgrammeRules.current()
    rules.point_value = Decimal("0.05")
    rules.save()
    return rules


@pytest.fixture
def club(rules):
    old = at(date(2025, 6, 1))
    a = CompanyFactory(name="A", created_at=old)
    b = CompanyFactory(name="B", created_at=old)
    c = CompanyFactory(name="C", created_at=old)
    d = CompanyFactory(name="D", created_at=old, status=CompanyStatus.SUSPENDED, suspension_reason="Unpaid")
    e = CompanyFactory(name="E", created_at=at(date(2026, 3, 15)))
    f = CompanyFactory(name="F", created_at=old)
    g = CompanyFactory(name="G", created_at=at(date(2026, 4, 2)))
    first = buy(a, 300, date(2026, 1, 10))
    buy(a, 1000, date(2026, 3, 3))
    buy(a, 500, date(2026, 3, 20))
    buy(a, -200, date(2026, 3, 25), original=first)
    buy(b, 400, date(2026, 3, 10))
    buy(b, 100, date(2026, 4, 15))
    buy(c, 600, date(2026, 3, 5))
    buy(c, 700, date(2026, 7, 4))
    buy(d, 1000, date(2026, 3, 2))
    contact = MembershipFactory(company=a).user
    contact.last_login = at(date(2026, 3, 5))
    contact.save(update_fields=["last_login"])
    # A's points: 100 pending from an earn in March; 100 adjusted in February, 60 redeemed
    # and 20 of that given back in March, 10 expired in March: balance 50, pending 100.
    account = PointsAccount.objects.create(company=a, balance=50, pending=100)
    entry(account, EntryKind.ADJUST, date(2026, 2, 1), points=100)
    entry(account, EntryKind.EARN, date(2026, 3, 3), pending=100)
    redeem = entry(account, EntryKind.REDEEM, date(2026, 3, 10), points=-60)
    entry(account, EntryKind.REVERSAL, date(2026, 3, 12), points=20, reverses=redeem)
    entry(account, EntryKind.EXPIRE, date(2026, 3, 28), points=-10)
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g}


def test_march_figures(club, club_admin, rules):
    figures = period_figures(period=MARCH, user=club_admin, rules=rules)
    assert figures.members == 5  # A, B, C, E, F (D suspended, G joined in April)
    assert figures.never_bought == 2  # E, F
    assert figures.active == 3  # A, B, C
    assert figures.inactive == 2
    assert figures.active_share == Decimal("60.0")
    assert figures.repeat_buyers == 1  # A
    assert figures.repurchase_rate == Decimal("33.3")
    assert figures.orders == 4
    assert figures.order_value == Decimal("2500")
    assert figures.net_revenue == Decimal("2300")  # the credit note deducted
    assert figures.frequency == Decimal("1.33")
    assert figures.average_order_value == Decimal("625.00")
    assert figures.revenue_per_active == Decimal("766.67")
    assert figures.first_time == 2  # B, C
    assert figures.first_time_back == 1  # B
    assert figures.first_time_back_rate == Decimal("50.0")
    assert figures.logged_in == 1
    assert figures.points_earned == 100
    assert figures.points_redeemed == 40  # 60 less the 20 given back
    assert figures.points_expired == 10
    assert figures.redemption_rate == Decimal("40.0")
    assert figures.points_outstanding == 150
    assert figures.liability == Decimal("7.50")
    assert figures.earned_value == Decimal("5.00")


def test_outstanding_at_a_past_moment_takes_off_what_came_later(club, club_admin):
    end_of_february = at(date(2026, 3, 1), 0)
    assert outstanding_at([end_of_february], user=club_admin)[end_of_february] == 100


def test_february_and_an_empty_period(club, club_admin, rules):
    february = period_figures(period=MARCH.previous(), user=club_admin, rules=rules)
    # E joined in March.
    assert (february.members, february.active, february.orders, february.first_time) == (4, 0, 0, 0)
    assert february.active_share == Decimal("0.0")
    assert february.repurchase_rate is None and february.average_order_value is None
    assert february.points_earned == 0 and february.points_outstanding == 100
    assert not february.has_data


@pytest.mark.parametrize(
    ("metric", "names"),
    [
        ("members", {"A", "B", "C", "E", "F"}),
        ("active", {"A", "B", "C"}),
        ("inactive", {"E", "F"}),
        ("never", {"E", "F"}),
        ("repeat", {"A"}),
        ("first_time", {"B", "C"}),
        ("first_time_back", {"B"}),
        ("first_time_not_back", {"C"}),
    ],
)
def test_the_companies_behind_each_figure(club, club_admin, metric, names):
    companies = list(drilldown_companies(metric=metric, period=MARCH, user=club_admin))
    assert {company.name for company in companies} == names
    if metric == "active":
        by_name = {company.name: company for company in companies}
        assert by_name["A"].period_orders == 2
        assert by_name["A"].period_revenue == Decimal("1300")


def test_a_rep_counts_only_their_accounts(club, rep, company, rules):
    # The rep's company (from tests/conftest.py) ordered twice in March; A, B, C are not theirs.
    company.created_at = at(date(2025, 1, 1))
    company.save(update_fields=["created_at"])
    buy(company, 100, date(2026, 3, 4))
    buy(company, 50, date(2026, 3, 6))
    figures = period_figures(period=MARCH, user=rep, rules=rules)
    assert (figures.members, figures.active, figures.repeat_buyers, figures.orders) == (1, 1, 1, 2)
    assert figures.net_revenue == Decimal("150")
    assert figures.points_outstanding == 0  # A's points are not the rep's
    assert {c.name for c in drilldown_companies(metric="active", period=MARCH, user=rep)} == {company.name}


# --- Periods ----------------------------------------------------------------------------------------


def test_periods_and_their_comparisons():
    assert MARCH.previous() == Period(MONTH, date(2026, 2, 1), date(2026, 3, 1))
    assert MARCH.year_earlier() == Period(MONTH, date(2025, 3, 1), date(2025, 4, 1))
    january = Period.containing(MONTH, date(2026, 1, 31))
    assert january.previous() == Period(MONTH, date(2025, 12, 1), date(2026, 1, 1))
    q1 = Period.containing(QUARTER, date(2026, 2, 10))
    assert (q1.start, q1.end, q1.previous().start) == (date(2026, 1, 1), date(2026, 4, 1), date(2025, 10, 1))
    assert Period.containing(YEAR, date(2026, 6, 1)).previous().start == date(2025, 1, 1)
    custom = Period.custom(date(2024, 2, 20), date(2024, 2, 29))
    assert custom.days == 10 and custom.previous() == Period(CUSTOM, date(2024, 2, 10), date(2024, 2, 20))
    assert custom.year_earlier() == Period(CUSTOM, date(2023, 2, 20), date(2023, 3, 1))


# --- Segments at their boundaries ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recency", "first", "orders", "segment"),
    [
        (None, None, 0, NEVER),
        (5, 90, 1, NEW),
        (5, 91, 6, CHAMPIONS),
        (30, 400, 6, CHAMPIONS),
        (31, 400, 6, LOYAL),
        (30, 400, 5, LOYAL),
        (90, 400, 3, LOYAL),
        (90, 400, 2, PROMISING),
        (91, 400, 9, AT_RISK),
        (180, 400, 1, AT_RISK),
        (181, 400, 1, HIBERNATING),
        (365, 400, 1, HIBERNATING),
        (366, 400, 0, LOST),
    ],
)
def test_segment_boundaries(recency, first, orders, segment):
    assert segment_for(recency_days=recency, first_days=first, orders_365=orders) == segment
