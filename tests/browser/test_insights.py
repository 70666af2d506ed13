"""Insights in Chromium: a club admin opens the overview, drills down into the companies
behind a figure and opens the value segments; drills into "at risk" and makes it a campaign
audience; at 1280 and 390 pixels, with no CSP violation (the chart component draws from a
JSON data block with the vendored Chart.js: no inline style, no inline script)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.login import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLUB_ADMIN = "admin@club.example"


@pytest.fixture
def buying_club(demo_club):
    """Two years of orders for the demo companies: most buy every few weeks, some stopped."""
    from members.models import Company
    from rewards.models import Purchase

    now = timezone.now()
    Company.objects.update(created_at=now - timedelta(days=800))
    rows = []
    for index, company in enumerate(Company.objects.order_by("pk")):
        gap = 12 + index % 5 * 9
        stopped = 0 if index % 4 else 100 + index * 7  # every fourth company stopped a while ago
        # Every fifth company joined in the last months: the cohorts of the last year.
        first_day = 730 if index % 5 else 40 + index * 9
        for day in range(stopped + index % 6, first_day, gap):
            rows.append(
                Purchase(
                    company=company,
                    source="erp",
                    external_id=f"{company.pk}-{day}",
                    occurred_at=now - timedelta(days=day, hours=index),
                    net_amount=Decimal(800 + (index * 137 + day * 11) % 4000),
                )
            )
    Purchase.objects.bulk_create(rows)
    # Survey answers: every company answered; the ones that stopped were promoters.
    from campaigns.models import Activity, ActivityCompletion, ActivityKind, CompletionStatus

    survey = Activity.objects.create(kind=ActivityKind.SURVEY, title="How are we doing?", points=10)
    for index, company in enumerate(Company.objects.order_by("pk")):
        ActivityCompletion.objects.create(
            activity=survey,
            company=company,
            scope_key=f"company:{company.pk}",
            status=CompletionStatus.SUBMITTED,
            score=10 if index % 4 == 0 else index % 11,
            created_at=now - timedelta(days=20 + index),
        )
    # Points: each company earned 2 000 points a month ago and spent some of them since.
    from rewards.models import EntryKind, LedgerEntry, PointsAccount

    for index, company in enumerate(Company.objects.order_by("pk")):
        spent = 300 + index * 20
        account = PointsAccount.objects.create(company=company, balance=2000 - spent)
        for months, kind, points in ((5, EntryKind.EARN, 2000), (2, EntryKind.REDEEM, -spent)):
            LedgerEntry.objects.create(
                account=account,
                kind=kind,
                points=points,
                created_at=now - timedelta(days=30 * months),
                expires_at=now + timedelta(days=300) if points > 0 else None,
                idempotency_key=f"demo-{company.pk}-{kind}",
            )


def _log_in(page: Page, base_url: str, email: str, next_url: str) -> None:
    log_in(page, base_url, email, next_url=next_url)


def test_a_club_admin_reads_the_overview_and_drills_down(
    buying_club, live_server, page: Page, screenshots_dir, settings
):
    settings.STAFF_MFA_REQUIRED = False  # staff MFA has its own tests
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    base = live_server.url
    _log_in(page, base, CLUB_ADMIN, "/dashboard/")
    page.get_by_role("link", name="Open Insights").click()
    expect(page.get_by_role("heading", name="The programme in figures")).to_be_visible()
    page.select_option("#id_kind", "quarter")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Points liability over the last 12 months")).to_be_visible()
    # The chart component drew the liability (Chart.js loaded under the strict CSP).
    expect(page.locator("canvas#liability-chart[data-chart-drawn]")).to_have_count(1)
    expect(page.get_by_test_id("liability-chart-table")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(screenshots_dir / "insights-0-overview-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshots_dir / "insights-1-overview-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.locator("table.insights-table").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Member companies")).to_be_visible()
    expect(page.get_by_role("link", name="Export CSV")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "insights-2-companies-1280.png"), full_page=True)

    page.get_by_role("link", name="Value segments").click()
    expect(page.get_by_role("heading", name="Slipping away")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "insights-3-segments-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshots_dir / "insights-4-segments-390.png"), full_page=True)

    page.goto(f"{base}/staff/insights/?kind=custom&start=2026-03-10&end=2026-03-01")
    expect(page.locator(".invalid-feedback")).to_contain_text("The period ends before it starts.")
    page.screenshot(path=str(screenshots_dir / "insights-5-bad-period-390.png"), full_page=True)
    assert violations == []


def test_a_club_admin_finds_whom_to_call(buying_club, live_server, page: Page, screenshots_dir, settings):
    """At risk, satisfaction against behaviour down to "promoters who stopped buying",
    cohorts and lifetime value, each at 1280 and 390 pixels."""
    settings.STAFF_MFA_REQUIRED = False
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    base = live_server.url
    _log_in(page, base, CLUB_ADMIN, "/staff/insights/")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="At risk").first.click()
    expect(page.get_by_role("heading", name="Accounts at risk")).to_be_visible()
    expect(page.get_by_role("link", name="Export XLSX")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "insights-6-at-risk-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshots_dir / "insights-7-at-risk-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Satisfaction").click()
    expect(page.get_by_role("heading", name="Satisfied is not loyal")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "insights-8-satisfaction-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshots_dir / "insights-9-satisfaction-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("a[href='/staff/insights/satisfaction/promoters/stopped/']").click()
    expect(page.get_by_role("heading", name="Promoters who stopped buying")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "insights-10-promoters-stopped-1280.png"), full_page=True)
    page.locator("table a").first.click()  # the account page of the first of them
    expect(page).to_have_url(re.compile(r"/staff/accounts/\d+/$"))

    page.goto(f"{base}/staff/insights/cohorts/")
    expect(page.get_by_role("heading", name="Do new customers stay?")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "insights-11-cohorts-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshots_dir / "insights-12-cohorts-390.png"), full_page=True)

    page.goto(f"{base}/staff/insights/value/")
    expect(page.get_by_role("heading", name="Companies by predicted value")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "insights-13-lifetime-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(screenshots_dir / "insights-14-lifetime-1280.png"), full_page=True)
    page.goto(f"{base}/staff/insights/segments/?since=365")
    expect(page.get_by_role("heading", name="Movement between segments")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "insights-15-segments-movement-1280.png"), full_page=True)
    assert violations == []


def test_a_club_admin_makes_the_at_risk_segment_a_campaign_audience(
    buying_club, live_server, page: Page, screenshots_dir, settings
):
    """The issue's journey: the overview, the value segments, "at risk", one step to a
    draft campaign whose audience is exactly those companies."""
    from campaigns.models import Campaign
    from insights.selectors import AT_RISK, segment_company_ids
    from members.models import User

    settings.STAFF_MFA_REQUIRED = False
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    base = live_server.url
    admin = User.objects.get(email=CLUB_ADMIN)
    at_risk = segment_company_ids(segment=AT_RISK, user=admin)
    assert at_risk  # the buying club has companies whose last order was 91-180 days ago
    _log_in(page, base, CLUB_ADMIN, "/staff/insights/")
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(page.locator("canvas#liability-chart[data-chart-drawn]")).to_have_count(1)
    page.get_by_role("link", name="Value segments").click()
    page.locator("a[href='/staff/insights/segments/at_risk/']").first.click()
    expect(page.get_by_role("heading", name="At risk")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "insights-16-at-risk-segment-1280.png"), full_page=True)
    before = Campaign.objects.count()
    page.get_by_role("button", name="Make a campaign for these companies").click()
    expect(page).to_have_url(re.compile(r"/admin/campaigns/campaign/\d+/change/"))
    page.screenshot(path=str(screenshots_dir / "insights-17-campaign-draft-1280.png"), full_page=True)
    assert Campaign.objects.count() == before + 1
    campaign = Campaign.objects.order_by("-pk").first()
    assert sorted(campaign.companies.values_list("pk", flat=True)) == sorted(at_risk)
    assert violations == []
