"""Satisfied is not loyal, the at-risk list and the cohorts, on small clubs built by hand.

``NOW`` is 30 June 2026 at noon. The survey answers and orders (days before ``NOW``):

* P1: scored 4 300 days ago, then 10 20 days ago (the latest counts: promoter); orders of
  1 000 (10 days ago) and 800 (200 days ago): revenue held → keeps buying; 1 800 this year;
* P2: scored 9; orders of 500 (200 days) and 300 (250 days) → stopped; 800 this year;
* P3: scored 10 but 400 days ago: too old, not counted;
* S1: scored 8; one order of 400 100 days ago → slows down (last order 91–180 days ago);
* D1: scored 3; 1 000 200 days ago, 100 5 days ago and a credit note of −50 3 days ago:
  50 in the last 180 days against 1 000 before → slows down; 1 050 this year;
* D2: scored 6, never ordered → never ordered;
* X: suspended, scored 10, ordered yesterday: left out of everything.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Activity, ActivityCompletion, ActivityKind, CompletionStatus
from insights.behaviour import (
    DECLINING,
    DETRACTOR,
    EXPIRING,
    KEEPS,
    NEVER_ORDERED,
    OVERDUE,
    SLOWING,
    STOPPED,
    at_risk_accounts,
    behaviour_for,
    satisfaction_cell,
    satisfaction_grid,
)
from insights.cohorts import cohort_grid
from members.models import Company, CompanyStatus
from rewards.models import EntryKind, LedgerEntry, PointsAccount, ProgrammeRules, Purchase
from tests.factories import CompanyFactory, StaffFactory

pytestmark = pytest.mark.django_db

# In UTC, so "N days before" is N × 24 hours across daylight saving time too.
NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def buy(company, amount, days_ago, original=None, now=NOW):
    return Purchase.objects.create(
        company=company,
        source="erp",
        external_id=f"{company.pk}-{days_ago}-{amount}",
        occurred_at=now - timedelta(days=days_ago),
        net_amount=Decimal(amount),
        original=original,
    )


@pytest.fixture
def survey(db):
    return Activity.objects.create(kind=ActivityKind.SURVEY, title="How are we doing?", points=10)


def answer(survey, company, score, days_ago, now=NOW, status=CompletionStatus.SUBMITTED):
    return ActivityCompletion.objects.create(
        activity=survey,
        company=company,
        scope_key=f"user:{company.pk}-{days_ago}",
        status=status,
        score=score,
        created_at=now - timedelta(days=days_ago),
    )


@pytest.fixture
def rules():
    rules = ProgrammeRules.current()
    rules.point_value = Decimal("0.05")
    rules.save()
    return rules


@pytest.fixture
def answered(survey):
    p1, p2, p3, s1, d1, d2 = (CompanyFactory(name=name) for name in ("P1", "P2", "P3", "S1", "D1", "D2"))
    x = CompanyFactory(name="X", status=CompanyStatus.SUSPENDED, suspension_reason="Unpaid")
    answer(survey, p1, 4, 300)
    answer(survey, p1, 10, 20)
    buy(p1, 1000, 10)
    buy(p1, 800, 200)
    answer(survey, p2, 9, 30)
    buy(p2, 500, 200)
    buy(p2, 300, 250)
    answer(survey, p3, 10, 400)
    answer(survey, s1, 8, 40)
    buy(s1, 400, 100)
    answer(survey, d1, 3, 15)
    first = buy(d1, 1000, 200)
    buy(d1, 100, 5)
    buy(d1, -50, 3, original=first)
    answer(survey, d2, 6, 50)
    answer(survey, x, 10, 10)
    buy(x, 999, 1)
    return {"p1": p1, "p2": p2, "p3": p3, "s1": s1, "d1": d1, "d2": d2, "x": x}


@pytest.mark.parametrize(
    ("recency", "recent", "before", "expected"),
    [
        (None, "0", "0", NEVER_ORDERED),
        (181, "0", "0", STOPPED),
        (180, "0", "500", SLOWING),  # the last order 180 days ago: slows down, not stopped
        (91, "100", "0", SLOWING),
        (90, "100", "0", KEEPS),  # nothing before to compare with: keeps buying
        (90, "75", "100", KEEPS),  # exactly 75 % of the 180 days before: held
        (90, "74.99", "100", SLOWING),
    ],
)
def test_behaviour_at_the_boundaries(recency, recent, before, expected):
    assert (
        behaviour_for(recency_days=recency, revenue_recent=Decimal(recent), revenue_before=Decimal(before)) == expected
    )


def test_the_grid_counts_companies_and_revenue_in_each_cell(answered, club_admin):
    grid, count = satisfaction_grid(user=club_admin, now=NOW)
    assert count == 5  # P1, P2, S1, D1, D2 (P3's answer is too old, X suspended)
    cells = {(cell.nps, cell.behaviour): (cell.companies, cell.revenue_365) for row in grid for cell in row.cells}
    assert cells[("promoters", KEEPS)] == (1, Decimal("1800"))
    assert cells[("promoters", STOPPED)] == (1, Decimal("800"))
    assert cells[("passives", SLOWING)] == (1, Decimal("400"))
    assert cells[("detractors", SLOWING)] == (1, Decimal("1050"))  # the credit note deducted
    assert cells[("detractors", NEVER_ORDERED)] == (1, Decimal("0"))
    assert sum(companies for companies, _revenue in cells.values()) == 5
    stopped = satisfaction_cell(nps="promoters", behaviour=STOPPED, user=club_admin, now=NOW)
    assert [row.company_id for row in stopped] == [answered["p2"].pk]


def _risky_club(survey):
    """One company per reason, and one on time; returns them by name."""
    late = CompanyFactory(name="Late")  # every 30 days, now 50 days without an order
    for days in (50, 80, 110, 140):
        buy(late, 100, days)
    on_time = CompanyFactory(name="On time")  # every 30 days, last 40 days ago: 40 < 1.5 × 30
    for days in (40, 70, 100, 130):
        buy(on_time, 100, days)
    falling = CompanyFactory(name="Falling")  # 1 000 then 500: down 50 %
    buy(falling, 1000, 250)
    buy(falling, 500, 20)
    unhappy = CompanyFactory(name="Unhappy")
    answer(survey, unhappy, 2, 10)
    saver = CompanyFactory(name="Saver")
    account = PointsAccount.objects.create(company=saver, balance=300)
    LedgerEntry.objects.create(
        account=account,
        kind=EntryKind.EARN,
        points=300,
        created_at=NOW - timedelta(days=700),
        expires_at=NOW + timedelta(days=12),
        idempotency_key="saver-earn",
    )
    return {"late": late, "on_time": on_time, "falling": falling, "unhappy": unhappy, "saver": saver}


def test_at_risk_gives_each_reason(survey, club_admin, rules):
    club = _risky_club(survey)
    late, falling, unhappy, saver = (club[name] for name in ("late", "falling", "unhappy", "saver"))
    rows = {row.company_id: row for row in at_risk_accounts(user=club_admin, rules=rules, now=NOW)}
    assert set(rows) == {late.pk, falling.pk, unhappy.pk, saver.pk}
    assert rows[late.pk].reasons[OVERDUE] == "Usually orders every 30 days; no order for 50 days."
    assert list(rows[falling.pk].reasons) == [DECLINING]
    assert "down 50 %" in rows[falling.pk].reasons[DECLINING]
    assert rows[unhappy.pk].reasons[DETRACTOR].startswith("Scored 2 out of 10 on")
    assert rows[saver.pk].reasons[EXPIRING].startswith("300 points (15\xa0SEK) expire unused by")  # 300 × 0.05
    only = at_risk_accounts(user=club_admin, rules=rules, now=NOW, reason=EXPIRING)
    assert [row.company_id for row in only] == [saver.pk]

    # A rep's list (their accounts' expiring points only are read): the same rows for theirs.
    rep = StaffFactory(group="Sales reps")
    Company.objects.filter(pk__in=[saver.pk, falling.pk]).update(sales_rep=rep)
    theirs = {row.company_id: row for row in at_risk_accounts(user=rep, rules=rules, now=NOW)}
    assert set(theirs) == {saver.pk, falling.pk}
    assert theirs[saver.pk].reasons == rows[saver.pk].reasons


@pytest.mark.parametrize("reason", ["", OVERDUE, DECLINING, DETRACTOR, EXPIRING])
def test_the_at_risk_list_read_from_the_night_s_standings_equals_the_computed_one(
    survey, club_admin, rules, monkeypatch, reason
):
    """With the day's standings taken, the list is filtered, sorted and paged in SQL: the same
    accounts, reasons and order as computed, a page built from its own rows only."""
    from insights import snapshots
    from insights.behaviour import stored_at_risk_accounts

    club = _risky_club(survey)  # Falling's 1 500 of the year first, Late's 400, then the others by id
    moment = snapshots.day_start(NOW.date())
    snapshots.standings_snapshot(day=NOW.date(), now=moment)
    stored = stored_at_risk_accounts(user=club_admin, rules=rules, now=moment, reason=reason)
    computed = at_risk_accounts(user=club_admin, rules=rules, now=moment, reason=reason)
    assert len(stored) == len(computed) >= 1
    assert [(row.company_id, row.revenue_365, row.reasons) for row in stored[0:50]] == [
        (row.company_id, row.revenue_365, row.reasons) for row in computed
    ]
    assert [row.company_id for row in stored[1:2]] == [row.company_id for row in computed[1:2]]

    rep = StaffFactory(group="Sales reps")  # a rep's list: their accounts only
    Company.objects.filter(pk__in=[club["saver"].pk, club["falling"].pk]).update(sales_rep=rep)
    theirs = stored_at_risk_accounts(user=rep, rules=rules, now=moment, reason=reason)
    assert [row.company_id for row in theirs[0:50]] == [
        row.company_id for row in at_risk_accounts(user=rep, rules=rules, now=moment, reason=reason)
    ]
    Company.objects.filter(pk=club["falling"].pk).update(status=CompanyStatus.SUSPENDED)
    assert club["falling"].pk not in [
        row.company_id for row in stored_at_risk_accounts(user=club_admin, rules=rules, now=moment)[0:50]
    ]


def test_without_the_day_s_standings_the_at_risk_list_is_computed(survey, club_admin, rules):
    from insights import snapshots
    from insights.behaviour import stored_at_risk_accounts

    _risky_club(survey)
    moment = snapshots.day_start(NOW.date())
    assert stored_at_risk_accounts(user=club_admin, rules=rules, now=moment) is None
    snapshots.standings_snapshot(day=NOW.date(), now=moment + timedelta(days=3))  # a past day: no points counted
    assert stored_at_risk_accounts(user=club_admin, rules=rules, now=moment) is None


def test_cohorts_share_still_buying_and_revenue_kept(club_admin):
    now = timezone.now()
    this_month = timezone.localdate(now).replace(day=1)

    def day_in(months_back: int, day: int) -> datetime:
        index = this_month.year * 12 + this_month.month - 1 - months_back
        local = datetime(index // 12, index % 12 + 1, day, 12)
        return timezone.make_aware(local, timezone.get_current_timezone())

    def order(company, amount, months_back, day=5, original=None):
        return Purchase.objects.create(
            company=company,
            source="erp",
            external_id=f"{company.pk}-{months_back}-{day}-{amount}",
            occurred_at=day_in(months_back, day),
            net_amount=Decimal(amount),
            original=original,
        )

    # The cohort of three months ago: A, B and C first order then (1 000 in all);
    # a month later A and B order (300 + 200), C's credit note of −100 is no order;
    # two months later only A (250).
    a, b, c = CompanyFactory(), CompanyFactory(), CompanyFactory()
    order(a, 500, 3)
    order(b, 300, 3)
    first_c = order(c, 200, 3)
    order(a, 300, 2)
    order(b, 200, 2)
    order(c, -100, 2, original=first_c)
    order(a, 250, 1)
    old = CompanyFactory()  # first order 14 months ago: in no cohort of the grid
    order(old, 100, 14)
    order(old, 100, 2)
    grid = cohort_grid(user=club_admin, now=now)
    assert len(grid) == 12
    cohort = next(row for row in grid if row.month == day_in(3, 1).date())
    assert cohort.companies == 3
    month0, month1, month2 = cohort.cells[:3]
    assert (month0.share, month0.revenue, month0.revenue_kept) == (Decimal("100.0"), Decimal("1000"), Decimal("100.0"))
    assert (month1.share, month1.revenue, month1.revenue_kept) == (Decimal("66.7"), Decimal("400"), Decimal("40.0"))
    assert (month2.share, month2.revenue_kept) == (Decimal("33.3"), Decimal("25.0"))
    assert cohort.cells[3].share == Decimal("0.0")  # this month, so far
    assert cohort.cells[4] is None  # not begun
    assert sum(row.companies for row in grid) == 3


def test_empty_club_pages_say_so(client, club_admin):
    client.force_login(club_admin)
    assert "No company answered a survey" in client.get(reverse("insights:satisfaction")).content.decode()
    assert "No account is at risk." in client.get(reverse("insights:at_risk")).content.decode()
    assert "there are no cohorts to show" in client.get(reverse("insights:cohorts")).content.decode()
    response = client.get(reverse("insights:at_risk") + "?reason=detractor")
    assert "nothing matches the filter" in response.content.decode()


def test_a_rep_sees_their_own_accounts_only_on_every_new_page(client, survey, rep, company, other_company):
    company.name, other_company.name = "Mine AB", "Theirs AB"
    company.save()
    other_company.save()
    for target in (company, other_company):
        answer(survey, target, 9, 5, now=timezone.now())
        buy(target, 1000, 250, now=timezone.now())  # promoters who stopped buying
    client.force_login(rep)
    urls = [
        reverse("insights:satisfaction"),
        reverse("insights:satisfaction_cell", args=["promoters", STOPPED]),
        reverse("insights:satisfaction_cell", args=["promoters", STOPPED]) + "?format=csv",
        reverse("insights:at_risk"),
        reverse("insights:at_risk") + "?format=csv",
        reverse("insights:cohorts"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"Theirs AB" not in body, url
    page = client.get(reverse("insights:satisfaction_cell", args=["promoters", STOPPED]))
    assert b"Mine AB" in page.content
    assert reverse("reps:account", args=[company.pk]).encode() in page.content
    grid = client.get(reverse("insights:satisfaction")).content.decode()
    assert "1 company" in grid


NEW_PAGES = [
    ("insights:satisfaction", []),
    ("insights:satisfaction_cell", ["promoters", "stopped"]),
    ("insights:at_risk", []),
    ("insights:cohorts", []),
    ("insights:lifetime", []),
]


@pytest.mark.parametrize(("name", "args"), NEW_PAGES)
def test_members_and_staff_without_the_permission_get_403(client, viewer, company_admin, name, args):
    url = reverse(name, args=args)
    for user in (viewer, company_admin, StaffFactory()):
        client.force_login(user)
        assert client.get(url).status_code == 403, (user, url)
        assert client.get(url + "?format=xlsx").status_code == 403, (user, url)


def test_unknown_cells_are_404(client, club_admin):
    client.force_login(club_admin)
    assert client.get(reverse("insights:satisfaction_cell", args=["fans", "stopped"])).status_code == 404
    assert client.get(reverse("insights:satisfaction_cell", args=["promoters", "gone"])).status_code == 404


def test_exports_are_xlsx_too_and_formula_safe(client, club_admin, survey):
    from io import BytesIO

    from openpyxl import load_workbook

    company = CompanyFactory(name='=HYPERLINK("http://evil","x")')
    answer(survey, company, 2, 3, now=timezone.now())
    client.force_login(club_admin)
    response = client.get(reverse("insights:at_risk") + "?format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[1][0] == '\'=HYPERLINK("http://evil","x")'
    assert rows[1][4].startswith("Scored 2 out of 10")
    csv = b"".join(client.get(reverse("insights:at_risk") + "?format=csv").streaming_content).decode()
    assert "'=HYPERLINK" in csv


def _club(size: int, rep, survey):
    """``size`` companies, each with a recent order and one 200-odd days ago, a survey answer
    and 100 points expiring in 10 days (bulk inserts: the test is about the reads)."""
    now = timezone.now()
    companies = [CompanyFactory.build(sales_rep=rep) for _ in range(size)]
    for index, company in enumerate(companies):
        company.org_number = f"T{size:04d}{index:06d}"
        company.name = f"{company.name} {index}"
    companies = Company.objects.bulk_create(companies)
    Purchase.objects.bulk_create(
        Purchase(
            company=company,
            source="erp",
            external_id=f"{company.pk}-{n}",
            occurred_at=now - timedelta(days=days),
            net_amount=Decimal(amount),
        )
        for index, company in enumerate(companies)
        for n, (days, amount) in enumerate(((3, 100 + index), (200 + index % 100, 900)))
    )
    ActivityCompletion.objects.bulk_create(
        ActivityCompletion(
            activity=survey,
            company=company,
            scope_key=f"company:{company.pk}",
            status=CompletionStatus.SUBMITTED,
            score=index % 11,
            created_at=now - timedelta(days=5),
        )
        for index, company in enumerate(companies)
    )
    accounts = PointsAccount.objects.bulk_create(PointsAccount(company=company, balance=100) for company in companies)
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            account=account,
            kind=EntryKind.EARN,
            points=100,
            created_at=now - timedelta(days=600),
            expires_at=now + timedelta(days=10),
            idempotency_key=f"club-{account.pk}",
        )
        for account in accounts
    )


COUNTED_URLS = [
    "/staff/insights/satisfaction/",
    "/staff/insights/satisfaction/detractors/slowing/",
    "/staff/insights/at-risk/",
    "/staff/insights/at-risk/?reason=expiring&country=SE",
    "/staff/insights/cohorts/",
    "/staff/insights/value/",
    "/staff/insights/value/?segment=new",
    "/staff/insights/segments/?since=30",
    "/staff/insights/?kind=year&country=SE",
]


def test_query_counts_are_the_same_for_10_and_1000_companies(client, club_admin, survey):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rep = StaffFactory(group="Sales reps")
    client.force_login(club_admin)
    _club(10, rep, survey)
    few = {}
    for url in COUNTED_URLS:
        client.get(url)  # warm the per-process caches (site, branding)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        few[url] = len(queries.captured_queries)
    _club(990, rep, survey)
    for url in COUNTED_URLS:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        assert len(queries.captured_queries) == few[url], url
    export = b"".join(client.get("/staff/insights/at-risk/?format=csv").streaming_content).decode()
    assert len(export.strip().splitlines()) == 1 + 1000  # every company has points expiring


STANDINGS_URLS = ["/staff/insights/at-risk/", "/staff/insights/at-risk/?reason=expiring", "/staff/insights/value/"]


def test_with_the_night_s_standings_the_lists_read_a_page_in_a_fixed_number_of_queries(client, club_admin, survey):
    """With today's and last year's standings taken, the at-risk and value lists are read from
    them in SQL: the same number of queries for 10 and 1 000 companies, every row on the
    page, and an export of every company."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from insights import snapshots

    def take_standings():
        today = timezone.localdate()
        for day in (today, today - timedelta(days=365)):
            snapshots.standings_snapshot(day=day)

    rep = StaffFactory(group="Sales reps")
    client.force_login(club_admin)
    _club(10, rep, survey)
    take_standings()
    few = {}
    for url in STANDINGS_URLS:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        few[url] = len(queries.captured_queries)
    _club(990, rep, survey)
    take_standings()
    for url in STANDINGS_URLS:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        assert len(queries.captured_queries) == few[url], url
        assert response.content.count(b'href="/staff/accounts/') >= 50, url
    export = b"".join(client.get("/staff/insights/value/?format=csv").streaming_content).decode()
    assert len(export.strip().splitlines()) == 1 + 1000


def test_a_day_is_a_date():  # the cohort month of a date and of an aware datetime agree
    from insights.cohorts import _local_month

    assert _local_month(date(2026, 3, 31)) == date(2026, 3, 1)
    assert _local_month(timezone.make_aware(datetime(2026, 3, 31, 23, 30))) == date(2026, 3, 1)
