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
from insights.models import CompanyDay, SegmentSnapshot, SnapshotDay, SummaryState
from insights.periods import YEAR, Period
from insights.selectors import _live_values, company_values, insights_now, period_figures, summary_ready
from rewards.models import EntryKind, PointsAccount
from tests.factories import StaffFactory
from tests.insights import test_behaviour, test_figures
from tests.insights.test_behaviour import COUNTED_URLS, _club
from tests.insights.test_figures import MARCH, at, buy, entry

# The constructed clubs of the figures and behaviour tests (fixtures).
club, rules, survey = test_figures.club, test_figures.rules, test_behaviour.survey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def summary_rows():
    return list(
        CompanyDay.objects.order_by("company_id", "day").values_list(
            "company_id",
            "day",
            "purchases",
            "orders",
            "order_value",
            "net_revenue",
            "first_order_at",
            "last_order_at",
            "points_earned",
            "points_redeemed",
            "points_expired",
        )
    )


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
    first = summary_rows()
    assert first
    snapshots.rebuild(now=at(date(2026, 8, 1)))
    assert summary_rows() == first
    assert snapshots.refresh() >= 0
    assert summary_rows() == first
    snapshots.refresh()
    assert summary_rows() == first


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
    incremental = summary_rows()
    snapshots.rebuild()
    assert summary_rows() == incremental  # the same rows as a rebuild from scratch


@pytest.mark.postgres
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


def test_where_the_summary_cannot_be_kept_the_periodic_jobs_do_nothing(club, monkeypatch):
    """On SQLite (``make run``) the summary's SQL does not run: the beat jobs leave it alone
    instead of failing every 10 minutes, and the pages compute live."""
    monkeypatch.setattr(snapshots, "supported", lambda: False)

    assert tasks.refresh_summary() == 0 and tasks.snapshot_segments() == 0
    assert not SummaryState.objects.exists() and not summary_ready()
