"""Insights pages: who may open them (and who gets 403/404), bad input as form errors, the
formula-safe CSV export, a fixed query count with many companies, and the snapshot task."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone, translation

from insights.models import SegmentSnapshot
from insights.snapshots import nightly as segments_snapshot
from members.staff_groups import MARKETING
from rewards.models import Purchase
from tests.factories import CompanyFactory, StaffFactory

pytestmark = pytest.mark.django_db

PAGES = [
    ("insights:overview", []),
    ("insights:companies", ["active"]),
    ("insights:segments", []),
    ("insights:segment", ["at_risk"]),
    ("insights:segment", ["slipping"]),
    ("insights:campaigns", []),
    ("insights:definitions", []),
]


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def buy(company, amount, days_ago, n=0):
    return Purchase.objects.create(
        company=company,
        source="erp",
        external_id=f"{company.pk}-{days_ago}-{amount}-{n}",
        occurred_at=timezone.now() - timedelta(days=days_ago),
        net_amount=Decimal(amount),
    )


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_members_and_staff_without_the_permission_get_403(client, viewer, company_admin, name, args):
    url = reverse(name, args=args)
    for user in (viewer, company_admin, StaffFactory()):
        client.force_login(user)
        assert client.get(url).status_code == 403, (user, url)
    client.logout()
    assert client.get(url).status_code == 302  # to the login


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_club_admins_and_marketing_open_every_page(client, club_admin, name, args):
    marketing = StaffFactory(group=MARKETING)
    for user in (club_admin, marketing):
        client.force_login(user)
        assert client.get(reverse(name, args=args)).status_code == 200, (user, name)


def test_a_rep_sees_only_their_accounts_and_not_the_club_wide_campaigns(client, rep, company, other_company):
    company.name, other_company.name = "Mine AB", "Theirs AB"
    company.save()
    other_company.save()
    buy(company, 100, 2)
    buy(other_company, 999, 2)
    client.force_login(rep)
    response = client.get(reverse("insights:companies", args=["active"]))
    assert response.status_code == 200
    assert b"Mine AB" in response.content and b"Theirs AB" not in response.content
    csv = b"".join(client.get(reverse("insights:companies", args=["active"]) + "?format=csv").streaming_content)
    assert b"Mine AB" in csv and b"Theirs AB" not in csv
    segments = client.get(reverse("insights:segment", args=["new"]))
    assert b"Mine AB" in segments.content and b"Theirs AB" not in segments.content
    assert client.get(reverse("insights:campaigns")).status_code == 403
    # The other rep's account page stays a 404 for this rep.
    assert client.get(reverse("reps:account", args=[other_company.pk])).status_code == 404


def test_unknown_figures_and_segments_are_404(client, club_admin):
    client.force_login(club_admin)
    assert client.get(reverse("insights:companies", args=["everything"])).status_code == 404
    assert client.get(reverse("insights:segment", args=["vip"])).status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=month&start=9999-12-31", "Choose a date between 2000 and 2100."),
        ("kind=custom&start=2026-03-10&end=2026-03-01", "The period ends before it starts."),
        ("kind=custom&start=2016-01-01&end=2026-01-01", "A custom period can span at most five years."),
        ("kind=custom&start=2026-01-01", "A custom period needs both a from and a to date."),
        ("kind=decade&start=2026-01-01", "Select a valid choice."),
        ("kind=month&start=yesterday", "Enter a valid date."),
    ],
)
def test_bad_periods_are_form_errors(client, club_admin, query, message):
    client.force_login(club_admin)
    for url in (reverse("insights:overview"), reverse("insights:companies", args=["active"])):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400
        assert message in response.content.decode()


def test_a_period_without_data_says_so(client, club_admin):
    client.force_login(club_admin)
    response = client.get(reverse("insights:overview") + "?kind=year&start=2001-01-01")
    assert response.status_code == 200
    assert "the figures below are zero" in response.content.decode()


def test_the_export_is_formula_safe(client, club_admin):
    company = CompanyFactory(name='=HYPERLINK("http://evil","x")')
    buy(company, 100, 1)
    client.force_login(club_admin)
    response = client.get(reverse("insights:companies", args=["active"]) + "?format=csv")
    body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "'=HYPERLINK" in body
    assert "\n=HYPERLINK" not in body and not body.startswith("=")


@pytest.mark.parametrize(
    "url",
    [
        "/staff/insights/companies/active/",
        "/staff/insights/segments/at_risk/",
        "/staff/insights/at-risk/",
        "/staff/insights/value/",
        "/staff/insights/cohorts/",
        "/staff/insights/satisfaction/promoters/stopped/",
    ],
)
def test_a_format_the_tables_are_not_offered_in_is_refused(client, club_admin, url):
    """Insights' tables download as CSV or XLSX (``?format=``); another format, or the other
    lists' ``?_export=``, is a 400 naming the formats, not the page answered as if asked."""
    buy(CompanyFactory(), 100, 1)
    client.force_login(club_admin)
    assert client.get(url).status_code == 200
    assert client.get(f"{url}?format=csv").status_code == 200
    for query in ("format=ods", "format=pdf", "format=CSV", "format=csv%00", "_export=csv", "_export=ods"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, query
        assert response.content.decode() == "This list can be downloaded as CSV or XLSX."


@pytest.mark.parametrize(
    "url, good, bad",
    [
        ("/staff/insights/at-risk/", ["reason=detractor", ""], ["reason=bogus", "reason=%00", "reason=DETRACTOR"]),
        (
            "/staff/insights/segments/",
            ["since=30", ""],
            ["since=bogus", "since=-30", "since=" + "9" * 30, "since=31", "since=%C2%B2", "since=030"],
        ),
    ],
)
def test_a_list_value_the_page_does_not_offer_is_refused_not_ignored(client, club_admin, url, good, bad):
    """A hand-made reason or movement period was quietly dropped: the whole unfiltered list
    (or 90 days) under a link that asked for something else. Now a 400 that says so."""
    buy(CompanyFactory(), 100, 1)
    client.force_login(club_admin)
    for query in good:
        assert client.get(f"{url}?{query}").status_code == 200, query
    for query in bad:
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, query
        assert "These filters cannot be used: choose from the lists." in response.content.decode()


def test_the_staff_home_and_the_menu_link_insights(client, club_admin, rep, viewer):
    for user, shown in ((club_admin, True), (rep, True), (viewer, False)):
        client.force_login(user)
        assert (reverse("insights:overview").encode() in client.get(reverse("dashboard")).content) is shown


def _club(size: int, rep):
    for index in range(size):
        company = CompanyFactory(sales_rep=rep)
        buy(company, 100 + index, 3, 1)
        buy(company, 50, 40 + index % 200, 2)
        buy(company, 70, 400, 3)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("insights:overview", []),
        ("insights:companies", ["active"]),
        ("insights:segments", []),
        ("insights:segment", ["loyal"]),
    ],
)
def test_query_count_does_not_grow_with_companies(client, club_admin, django_assert_max_num_queries, name, args):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rep = StaffFactory(group="Sales reps")
    client.force_login(club_admin)
    url = reverse(name, args=args)
    _club(5, rep)
    client.get(url)  # warm the per-process caches (site, branding)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _club(150, rep)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries), name


def test_snapshot_is_idempotent_and_follows_late_purchases(db):
    companies = [CompanyFactory() for _ in range(3)]
    for company in companies:
        buy(company, 100, 5)
    assert segments_snapshot() == 3
    first = list(SegmentSnapshot.objects.order_by("company_id").values_list("company_id", "segment", "revenue_365"))
    assert segments_snapshot() == 3
    assert (
        list(SegmentSnapshot.objects.order_by("company_id").values_list("company_id", "segment", "revenue_365"))
        == first
    )
    buy(companies[0], 50, 1)  # a late purchase (yesterday): its day's row is recomputed
    segments_snapshot()
    assert SegmentSnapshot.objects.count() == 3
    assert SegmentSnapshot.objects.get(company=companies[0]).revenue_365 == Decimal("150")


def test_the_groups_have_the_permission(db):
    for name in ("Club admins", "Marketing", "Sales reps"):
        assert Group.objects.get(name=name).permissions.filter(codename="view_insights").exists(), name


def test_a_segment_becomes_a_draft_campaign_audience_in_one_step(client, rep, company, other_company):
    from campaigns.models import AudienceKind, Campaign, CampaignStatus

    for target in (company, other_company):
        buy(target, 100, 5)  # both "new"
    url = reverse("insights:segment_campaign", args=["new"])
    client.force_login(rep)  # a rep sees a share of the segment: no audience from it
    assert client.post(url).status_code == 403
    marketing = StaffFactory(group=MARKETING)
    client.force_login(marketing)
    assert client.get(url).status_code == 405
    page = client.get(reverse("insights:segment", args=["new"]))
    assert b"Make a campaign for these companies" in page.content
    response = client.post(url)
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "admin:campaigns_campaign_change", args=[campaign.pk]
    )
    assert campaign.status == CampaignStatus.DRAFT and campaign.audience_kind == AudienceKind.COMPANIES
    assert set(campaign.companies.values_list("pk", flat=True)) == {company.pk, other_company.pk}
    assert campaign.owner == marketing and campaign.audience_size == 2
    # An empty segment makes nothing and says why.
    response = client.post(reverse("insights:segment_campaign", args=["lost"]), follow=True)
    assert "no audience to make" in response.content.decode()
    assert Campaign.objects.count() == 1


def test_a_headline_amount_wraps_before_its_currency_never_inside_it():
    """The overview's large money figures: the amount on one line, the currency code free
    to move to the next (a narrow card broke "SE" / "K")."""
    from insights.templatetags.insights import headline_money

    html = str(headline_money(Decimal("8814808.74"), "SEK"))
    figure, currency = html.removeprefix('<span class="text-nowrap">').split("</span> ")
    assert currency == "SEK" and figure.endswith("808.74") and " " not in figure
    assert headline_money(None, "SEK") == "–"


def test_amounts_in_insights_always_show_their_cents_so_a_column_reads_alike():
    """A whole amount beside a broken one: in Dutch "690.265 EUR" beside "4.818.669,79 EUR"
    reads as a fraction; both carry their cents."""
    from insights.templatetags.insights import money

    with translation.override("nl"):
        assert money(Decimal("690265"), "EUR") == "690.265,00\u00a0EUR"
        assert money(Decimal("4818669.79"), "EUR") == "4.818.669,79\u00a0EUR"
    with translation.override("en"):
        assert money(Decimal("12"), "SEK").endswith("12.00\u00a0SEK")
