"""Insights' snapshots (``insights.snapshots``): the per-company-and-day summary and the
company standings give the same answers as the live computation, are idempotent (run twice,
same rows) and incremental (a late purchase or ledger entry updates its own day), and the
pages read them with a query count that does not grow with the club."""

from __future__ import annotations

import threading
from dataclasses import asdict
from datetime import date
from decimal import Decimal

import pytest
from django.db import close_old_connections
from django.utils import timezone

from insights import snapshots, tasks
from insights.models import CompanyDay, CompanyFirstOrder, CompanyMonth, SegmentSnapshot, SnapshotDay, SummaryState
from insights.periods import QUARTER, YEAR, Period
from insights.selectors import (
    _live_values,
    company_values,
    insights_now,
    period_figures,
    periods_figures,
    summary_ready,
)
from rewards.models import EntryKind, PointsAccount
from tests.factories import StaffFactory
from tests.insights import test_behaviour, test_figures
from tests.insights.test_behaviour import COUNTED_URLS, _club
from tests.insights.test_figures import MARCH, at, buy, entry

# The constructed clubs of the figures and behaviour tests (fixtures).
club, rules, survey = test_figures.club, test_figures.rules, test_behaviour.survey

# The summary is PostgreSQL's (insights.snapshots); on SQLite the pages read live, which
# tests/insights/test_views.py covers on both databases.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.usefixtures("require_postgres")]


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


SUMS = [
    "purchases",
    "orders",
    "order_value",
    "net_revenue",
    "first_order_at",
    "last_order_at",
    "points_earned",
    "points_redeemed",
    "points_expired",
    "points_net",
]


def summary_rows():
    return list(CompanyDay.objects.order_by("company_id", "day").values_list("company_id", "day", *SUMS))


def month_rows():
    return list(CompanyMonth.objects.order_by("company_id", "month").values_list("company_id", "month", *SUMS))


def first_order_rows():
    return list(
        CompanyFirstOrder.objects.order_by("company_id").values_list("company_id", "first_order_at", "came_back")
    )


def months_summed_from_days():
    """``CompanyMonth``'s rows as the days' rows sum them, worked out here in Python."""
    months = {}
    for company_id, day, *figures in summary_rows():
        key = (company_id, day.replace(day=1))
        if key not in months:
            months[key] = list(figures)
            continue
        total = months[key]
        for index, value in enumerate(figures):
            if SUMS[index] == "first_order_at":  # the earliest
                total[index] = min(filter(None, (total[index], value)), default=None)
            elif SUMS[index] == "last_order_at":  # the latest
                total[index] = max(filter(None, (total[index], value)), default=None)
            else:
                total[index] += value
    return [(*key, *figures) for key, figures in sorted(months.items())]


def figures_dict(figures):
    values = asdict(figures)
    values.pop("period")
    return values


def test_the_summary_gives_the_hand_computed_march_figures(club, club_admin, rules):
    live = period_figures(period=MARCH, user=club_admin, rules=rules, summary=False)
    snapshots.rebuild(now=at(date(2026, 8, 1)))
    summed = period_figures(period=MARCH, user=club_admin, rules=rules, summary=True)
    assert figures_dict(summed) == figures_dict(live)
    # The hand-computed answers of tests/insights/test_figures.py, from the summary.
    assert (summed.active, summed.repeat_buyers, summed.orders) == (3, 1, 4)
    assert (summed.order_value, summed.net_revenue) == (Decimal("2500"), Decimal("2300"))
    assert (summed.points_earned, summed.points_redeemed, summed.points_expired) == (100, 40, 10)
    for period in (MARCH.previous(), Period.containing(YEAR, date(2026, 3, 1))):
        assert figures_dict(period_figures(period=period, user=club_admin, rules=rules, summary=True)) == figures_dict(
            period_figures(period=period, user=club_admin, rules=rules, summary=False)
        )
    a = club["a"]
    march_3 = CompanyDay.objects.get(company=a, day=date(2026, 3, 3))
    assert (march_3.orders, march_3.order_value, march_3.points_earned) == (1, Decimal("1000"), 100)
    # The credit note's day: a purchase but no order.
    march_25 = CompanyDay.objects.get(company=a, day=date(2026, 3, 25))
    assert (march_25.purchases, march_25.orders, march_25.net_revenue, march_25.last_order_at) == (
        1,
        0,
        Decimal("-200"),
        None,
    )


def test_rebuild_and_refresh_are_idempotent(club):
    snapshots.rebuild(now=at(date(2026, 8, 1)))
    first, months, firsts = summary_rows(), month_rows(), first_order_rows()
    assert first and months and firsts
    assert months == months_summed_from_days()
    snapshots.rebuild(now=at(date(2026, 8, 1)))
    assert (summary_rows(), month_rows(), first_order_rows()) == (first, months, firsts)
    assert snapshots.refresh() >= 0
    assert (summary_rows(), month_rows(), first_order_rows()) == (first, months, firsts)
    snapshots.refresh()
    assert (summary_rows(), month_rows(), first_order_rows()) == (first, months, firsts)


def test_first_orders_and_their_return_follow_late_purchases(club):
    """Each company's first order and whether another followed within 90 days (the overview's
    first-time buyers), worked out by hand from the club's purchases; a late purchase
    before the first order, or inside the 90 days, changes them at the next refresh."""
    snapshots.rebuild(now=at(date(2026, 8, 1)))
    a, b, c, d = (club[key] for key in "abcd")
    expected = [
        (a.pk, at(date(2026, 1, 10)), True),  # back on 3 March, 52 days later (the credit note is no order)
        (b.pk, at(date(2026, 3, 10)), True),  # back on 15 April
        (c.pk, at(date(2026, 3, 5)), False),  # next order on 4 July: 121 days later
        (d.pk, at(date(2026, 3, 2)), False),  # suspended: kept (the pages leave it out when they read)
    ]
    assert first_order_rows() == expected
    buy(b, 90, date(2026, 2, 1))  # imported late: B's first order is now in February
    buy(c, 80, date(2026, 5, 20))  # 76 days after C's first
    snapshots.refresh()
    expected[1] = (b.pk, at(date(2026, 2, 1)), True)  # back on 10 March
    expected[2] = (c.pk, at(date(2026, 3, 5)), True)
    assert first_order_rows() == expected
    snapshots.rebuild()
    assert first_order_rows() == expected  # the same rows as a rebuild from scratch


def test_a_late_purchase_and_a_late_entry_update_their_day(club, rules):
    snapshots.rebuild(now=at(date(2026, 8, 1)))
    a = club["a"]
    buy(a, 250, date(2026, 3, 3)).__class__.objects.filter(net_amount=250).update(
        occurred_at=at(date(2026, 3, 3), 18)
    )  # a second order the same day, imported late
    account = PointsAccount.objects.get(company=a)
    entry(account, EntryKind.EXPIRE, date(2026, 4, 30), points=-5)
    pairs = snapshots.refresh()
    assert pairs >= 2  # the two touched days (and the ids re-read below the watermark)
    day = CompanyDay.objects.get(company=a, day=date(2026, 3, 3))
    assert (day.orders, day.order_value, day.last_order_at) == (2, Decimal("1250"), at(date(2026, 3, 3), 18))
    assert CompanyDay.objects.get(company=a, day=date(2026, 4, 30)).points_expired == 5
    march = CompanyMonth.objects.get(company=a, month=date(2026, 3, 1))
    assert (march.orders, march.order_value, march.net_revenue) == (3, Decimal("1750"), Decimal("1550"))
    assert CompanyMonth.objects.get(company=a, month=date(2026, 4, 1)).points_net == -5
    incremental = (summary_rows(), month_rows())
    assert incremental[1] == months_summed_from_days()
    snapshots.rebuild()
    assert (summary_rows(), month_rows()) == incremental  # the same rows as a rebuild from scratch


@pytest.mark.django_db(transaction=True)
def test_rebuilds_running_at_once_write_the_rows_of_one(club):
    snapshots.rebuild(now=at(date(2026, 8, 1)))
    expected = summary_rows()
    CompanyDay.objects.all().delete()
    errors = []

    def run():
        try:
            snapshots.rebuild()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert summary_rows() == expected


@pytest.mark.parametrize(
    "period",
    [
        Period.custom(date(2026, 3, 11), date(2026, 4, 30)),  # B's first order, 10 March, is before it
        Period.custom(date(2026, 2, 1), date(2026, 3, 7)),  # C's first order, 5 March, is in it
        Period.custom(date(2026, 3, 4), date(2026, 4, 14)),  # B back on 15 April: after the period
        Period.custom(date(2026, 1, 10), date(2026, 7, 4)),  # whole and partial months at both ends
        Period.custom(date(2026, 2, 2), date(2026, 2, 27)),  # nothing bought
    ],
    ids=str,
)
def test_custom_periods_from_the_summary_equal_the_live_figures(club, club_admin, rules, period):
    """A custom period reads the day rows of its partial months and the month rows between."""
    live = period_figures(period=period, user=club_admin, rules=rules, summary=False)
    snapshots.rebuild(now=at(date(2026, 8, 1)))
    assert figures_dict(period_figures(period=period, user=club_admin, rules=rules, summary=True)) == figures_dict(live)


def test_several_periods_at_once_from_the_summary_equal_the_live_figures(
    club, club_admin, rules, django_assert_max_num_queries
):
    """The overview reads its periods together (month rows and day rows, one month and
    several, in one pass each): each period's figures are those it has alone, and live."""
    periods = [
        MARCH,
        MARCH.previous(),
        Period.containing(QUARTER, date(2026, 3, 1)),
        Period.custom(date(2026, 3, 4), date(2026, 4, 14)),
        Period.containing(YEAR, date(2026, 3, 1)),
        Period.custom(date(2026, 2, 2), date(2026, 2, 27)),
    ]
    live = [figures_dict(f) for f in periods_figures(periods=periods, user=club_admin, rules=rules, summary=False)]
    snapshots.rebuild(now=at(date(2026, 8, 1)))
    # Whether the summary is built; five for the outstanding points at the periods' ends;
    # three for logins, activities and reward orders; one for the members and first-time
    # buyers; one for the suspended companies; two for each of the two tables: fourteen for
    # six periods, as for two.
    with django_assert_max_num_queries(14):
        together = periods_figures(periods=periods, user=club_admin, rules=rules, summary=True)
    assert [figures_dict(f) for f in together] == live
    alone = [figures_dict(period_figures(period=p, user=club_admin, rules=rules, summary=True)) for p in periods]
    assert alone == live
    # By hand (suspended D left out): the first quarter, A's three orders (one credited), B's
    # and C's first; the year, B and C back as well.
    quarter, year = live[2], live[4]
    assert (quarter["active"], quarter["repeat_buyers"], quarter["orders"]) == (3, 1, 5)
    assert (quarter["order_value"], quarter["net_revenue"]) == (Decimal("2800"), Decimal("2600"))
    assert (year["active"], year["repeat_buyers"], year["orders"]) == (3, 3, 7)


def test_the_liability_from_the_summary_equals_the_ledger_with_entries_after_the_refresh(club, club_admin):
    from insights.models import SummaryState
    from insights.selectors import outstanding_at

    moments = [
        at(date(2026, 2, 1), 0),  # a month's start: month rows only
        at(date(2026, 3, 1), 0),
        at(date(2026, 3, 11), 0),  # a day's start inside a month: day rows, then month rows
        at(date(2026, 3, 28), 0),
        at(date(2026, 3, 12), 9),  # not a day's start: the ledger
        at(date(2026, 4, 1), 0),
    ]
    live = outstanding_at(moments, user=club_admin)
    assert live[at(date(2026, 3, 1), 0)] == 100 and live[at(date(2026, 4, 1), 0)] == 150
    snapshots.rebuild(now=at(date(2026, 8, 1)))
    assert outstanding_at(moments, user=club_admin) == live
    # Entries written after the summary's last refresh are read from the ledger.
    account = PointsAccount.objects.get(company=club["a"])
    entry(account, EntryKind.ADJUST, date(2026, 3, 15), points=7)
    PointsAccount.objects.filter(pk=account.pk).update(balance=57)
    assert SummaryState.objects.get().entry_pk < account.entries.order_by("-pk").first().pk
    assert outstanding_at(moments, user=club_admin) == {
        moment: points + (7 if moment > at(date(2026, 3, 15)) else 0) for moment, points in live.items()
    }


@pytest.mark.parametrize("day", [date(2026, 3, 21), date(2026, 7, 5), date(2026, 9, 1), date(2027, 5, 1)])
def test_the_standings_equal_the_live_computation(club, day):
    snapshots.rebuild(now=at(day), standings=False)
    written = snapshots.standings_snapshot(day=day, now=at(day))
    moment = snapshots.day_start(day)
    live = sorted(_live_values(user=None, now=moment, filters=None), key=lambda value: value.company_id)
    # The suspended company is stored (the pages leave it out when they read).
    assert written == len(live) + 1
    assert SnapshotDay.objects.get(day=day).taken_at == moment
    read = company_values(user=None, now=moment)
    assert [asdict(value) for value in read] == [asdict(value) for value in live]
    assert SegmentSnapshot.objects.filter(day=day).count() == written


def test_the_pages_read_today_s_standings_once_taken(club):
    assert insights_now() <= timezone.now()  # no snapshot today: live
    snapshots.nightly()
    today = SnapshotDay.objects.get(day=timezone.localdate())
    assert insights_now() == today.taken_at == snapshots.day_start(timezone.localdate())
    assert snapshots.nightly() == today.companies  # idempotent


def test_query_counts_from_the_snapshots_are_the_same_for_10_and_1000_companies(client, club_admin, survey):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rep = StaffFactory(group="Sales reps")
    client.force_login(club_admin)
    _club(10, rep, survey)
    snapshots.rebuild()
    few = {}
    for url in COUNTED_URLS:
        client.get(url)  # warm the per-process caches (site, branding)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        few[url] = len(queries.captured_queries)
        assert any("insights_" in query["sql"] for query in queries.captured_queries), url
    _club(990, rep, survey)
    snapshots.rebuild()
    for url in COUNTED_URLS:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        assert len(queries.captured_queries) == few[url], url


def test_cohorts_from_the_summary_equal_the_live_grid(club_admin, monkeypatch):
    from insights import cohorts
    from insights.cohorts import cohort_grid

    def live_grid():
        with monkeypatch.context() as patched:
            patched.setattr(cohorts, "summary_ready", lambda: False)
            return [asdict(cohort) for cohort in cohort_grid(user=club_admin, now=now)]

    from tests.factories import CompanyFactory
    from tests.insights.test_behaviour import buy as buy_days_ago

    now = timezone.now()
    old, first, second = CompanyFactory(), CompanyFactory(), CompanyFactory()
    buy_days_ago(old, 500, 600, now=now)  # ordered before the window: no cohort
    buy_days_ago(old, 200, 40, now=now)
    original = buy_days_ago(first, 1000, 150, now=now)
    buy_days_ago(first, 400, 100, now=now)
    buy_days_ago(first, -100, 90, original=original, now=now)
    buy_days_ago(second, 300, 70, now=now)
    buy_days_ago(second, 300, 10, now=now)
    live = cohort_grid(user=club_admin, now=now)
    snapshots.rebuild(now=now)
    summed = cohort_grid(user=club_admin, now=now)
    assert sum(cohort.companies for cohort in summed) == 2
    assert [asdict(cohort) for cohort in summed] == [asdict(cohort) for cohort in live]

    # A first order after last night's standings (read from the company-days since), and
    # the grid without any standings snapshot (from the company-days alone): the same grid.
    newcomer = CompanyFactory()
    buy_days_ago(newcomer, 250, 1 / 86400, now=now)  # a second ago: after last night, before now
    snapshots.refresh(now=now)
    live = live_grid()
    assert sum(cohort["companies"] for cohort in live) == 3
    assert [asdict(cohort) for cohort in cohort_grid(user=club_admin, now=now)] == live
    SnapshotDay.objects.all().delete()
    assert [asdict(cohort) for cohort in cohort_grid(user=club_admin, now=now)] == live


@pytest.mark.parametrize("metric", ["members", "active", "inactive", "repeat", "first_time"])
def test_the_companies_behind_a_figure_from_the_summary_equal_the_live_ones(club, club_admin, metric):
    from insights.selectors import drilldown_companies

    def rows():
        return [
            (company.pk, company.period_orders, company.period_revenue, company.last_order_at)
            for company in drilldown_companies(metric=metric, period=MARCH, user=club_admin)
        ]

    live = rows()
    snapshots.rebuild(now=at(date(2026, 8, 1)))
    assert rows() == live


@pytest.mark.parametrize("days", [30, 90, 365])
def test_the_segment_movement_reads_the_snapshots_across_summer_time(club, club_admin, monkeypatch, days):
    """90 days before 7 December is 8 September, in summer time: the movement reads that
    day's standings, not the purchases (an hour off, it read every purchase of the club)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from insights import lifetime, selectors

    today = date(2026, 12, 7)
    snapshots.rebuild(now=at(today))  # the standings of today and of 30, 90 and 365 days before
    moment = SnapshotDay.objects.get(day=today).taken_at  # as the pages read it: in UTC
    with CaptureQueriesContext(connection) as queries:
        read = lifetime.segment_movement(user=club_admin, days=days, now=moment)
    assert not [query for query in queries.captured_queries if "rewards_purchase" in query["sql"]]
    monkeypatch.setattr(selectors, "_snapshot_at", lambda moment: None)
    assert read == lifetime.segment_movement(user=club_admin, days=days, now=moment)
    assert sum(read[1].values()) == 3  # A, B and C have ordered (D is suspended)


def test_the_at_risk_list_reads_the_points_expiring_from_today_s_standings(club_admin, rules, monkeypatch):
    """The nightly standings count every company's points about to expire (a company that
    never bought included); the at-risk list then reads them instead of the ledger, with
    the same result."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from insights import behaviour
    from members.models import Company
    from rewards.models import LedgerEntry
    from tests.factories import CompanyFactory

    now = timezone.now()
    for index, (name, points, in_days, bought) in enumerate(
        [("Saver", 300, 12, True), ("Gift only", 80, 3, False), ("Later", 500, 45, True), ("Spent", 200, 5, True)]
    ):
        company = CompanyFactory(name=name)
        if bought:
            buy(company, 100, timezone.localdate(now) - timedelta(days=400))
        balance = 0 if name == "Spent" else points
        account = PointsAccount.objects.create(company=company, balance=balance)
        LedgerEntry.objects.create(
            account=account,
            kind=EntryKind.ADJUST if not bought else EntryKind.EARN,
            points=points,
            created_at=now - timedelta(days=700),
            expires_at=now + timedelta(days=in_days),
            idempotency_key=f"lot-{index}",
        )
    suspended = Company.objects.get(name="Saver")
    snapshots.nightly(now=now)
    moment = insights_now()
    with CaptureQueriesContext(connection) as queries:
        read = behaviour.at_risk_accounts(user=club_admin, rules=rules, now=moment, reason=behaviour.EXPIRING)
    assert not [query for query in queries.captured_queries if "rewards_ledgerentry" in query["sql"]]
    names = dict(Company.objects.values_list("pk", "name"))
    assert sorted(names[row.company_id] for row in read) == ["Gift only", "Saver"]
    monkeypatch.setattr(behaviour, "_expiring_from_snapshot", lambda **kwargs: None)
    live = behaviour.at_risk_accounts(user=club_admin, rules=rules, now=moment, reason=behaviour.EXPIRING)
    assert [(row.company_id, row.facts) for row in read] == [(row.company_id, row.facts) for row in live]
    monkeypatch.undo()
    suspended.status = "suspended"
    suspended.save(update_fields=["status"])
    left = behaviour.at_risk_accounts(user=club_admin, rules=rules, now=moment, reason=behaviour.EXPIRING)
    assert [names[row.company_id] for row in left] == ["Gift only"]


def test_where_the_summary_cannot_be_kept_the_periodic_jobs_do_nothing(club, monkeypatch):
    """On SQLite (``make run``) the summary's SQL does not run: the beat jobs leave it alone
    instead of failing every 10 minutes, and the pages compute live."""
    monkeypatch.setattr(snapshots, "supported", lambda: False)

    assert tasks.refresh_summary() == 0 and tasks.snapshot_segments() == 0
    assert not SummaryState.objects.exists() and not summary_ready()
