"""Campaigns in Chromium: staff plan and schedule one in the admin; a targeted member sees its
banner and completes its activity; a member of the hold-out group sees nothing of it."""

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
PURCHASER = "purchaser@bergstrom.example"


def _log_in(page: Page, base_url: str, email: str, next_url: str = "/dashboard/") -> None:
    log_in(page, base_url, email, next_url=next_url)


@pytest.fixture
def programme(demo_club):
    from rewards.models import ProductCategory, ProgrammeRules

    rules = ProgrammeRules.current()
    rules.point_value = Decimal("0.02")
    rules.save()
    return {"tools": ProductCategory.objects.create(name="Power tools", code="POWERTOOLS", multiplier=Decimal("1.5"))}


@pytest.fixture
def running_campaign(programme):
    """Workwear weeks, running now for Swedish members, with a review; Bergström is treated and
    another Swedish company is held out (the demo's way of choosing the seed)."""
    from campaigns.demo import _seed_for
    from campaigns.models import Activity, ActivityKind, ActivityScope, AudienceKind, Campaign, CampaignRule, RuleKind
    from campaigns.services import campaign_schedule, campaigns_advance
    from members.models import Company, Country, MembershipRole, User

    now = timezone.now()
    owner = User.objects.get(email="marketing@club.example")
    campaign = Campaign.objects.create(
        name="Workwear weeks",
        headline="Double points on power tools, and 1 000 extra points on your first order.",
        owner=owner,
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(days=20),
        audience_kind=AudienceKind.COUNTRIES,
        countries=[Country.SWEDEN],
        holdout_percent=20,
        points_budget=100_000,
    )
    swedish = list(Company.objects.filter(country=Country.SWEDEN).order_by("pk"))
    bergstrom = Company.objects.get(external_id="ERP-1000")
    campaign.holdout_seed = _seed_for(
        campaign, swedish, treated=bergstrom, held_out_pool=[c for c in swedish if c.pk != bergstrom.pk]
    )
    campaign.save(update_fields=["holdout_seed"])
    rule = CampaignRule.objects.create(campaign=campaign, kind=RuleKind.MULTIPLIER, multiplier=Decimal("2"))
    rule.categories.set([programme["tools"]])
    CampaignRule.objects.create(campaign=campaign, kind=RuleKind.FIRST_PURCHASE, bonus_points=1000)
    Activity.objects.create(
        kind=ActivityKind.REVIEW,
        title="Review the new cordless drill",
        subject="Nordic Pro 18 V drill",
        points=300,
        scope=ActivityScope.CONTACT,
        campaign=campaign,
    )
    campaign_schedule(campaign=campaign, by=owner, now=now - timedelta(minutes=10))
    campaigns_advance(now=now)  # what the beat task does every minute
    held_out = (
        campaign.members.filter(in_holdout=True).select_related("company").order_by("company__external_id").first()
    )
    # Its purchaser (the demo's readers have their own addresses: look it up, as seed_demo does).
    held_out_email = User.objects.get(
        membership__company=held_out.company, membership__role=MembershipRole.PURCHASER
    ).email
    # This test reads the held-out member's pages in English; without a profile language
    # their company's country would decide.
    User.objects.filter(email=held_out_email).update(language="en")
    return {"campaign": campaign, "held_out_email": held_out_email}


def test_staff_create_and_schedule_a_campaign_in_the_admin(
    programme, live_server, page: Page, screenshots_dir, settings
):
    from campaigns.models import Campaign, CampaignStatus

    settings.STAFF_MFA_REQUIRED = False  # staff MFA has its own tests
    base = live_server.url
    start = timezone.localtime() + timedelta(days=3)
    end = start + timedelta(days=14)
    _log_in(page, base, CLUB_ADMIN, "/admin/campaigns/campaign/add/")

    # the club admin fills in the campaign: who, when, how much, and one rule
    # The texts members read are edited per language; the default language's are required.
    page.fill(f"#id_name_{settings.MODELTRANSLATION_DEFAULT_LANGUAGE}", "Power tools fortnight")
    page.fill(
        f"#id_headline_{settings.MODELTRANSLATION_DEFAULT_LANGUAGE}", "Double points on power tools for two weeks."
    )
    page.fill("#id_starts_at_0", start.strftime("%Y-%m-%d"))
    page.fill("#id_starts_at_1", "06:00:00")
    page.fill("#id_ends_at_0", end.strftime("%Y-%m-%d"))
    page.fill("#id_ends_at_1", "23:00:00")
    page.select_option("#id_audience_kind", "all")
    page.fill("#id_holdout_percent", "10")
    page.fill("#id_points_budget", "250000")
    page.get_by_role("button", name=re.compile("Add another rule", re.IGNORECASE)).click()
    page.select_option("#id_rules-0-kind", "multiplier")
    page.fill("#id_rules-0-multiplier", "2")
    page.check("#id_rules-0-categories_0")  # Power tools (POWERTOOLS)
    page.screenshot(path=str(screenshots_dir / "campaign-0-admin-plan.png"), full_page=True)
    page.click("input[name=_continue]")

    # then it is a draft with its audience counted, and one click schedules it
    actions = page.get_by_test_id("campaign-actions")
    expect(actions).to_contain_text("Draft")
    expect(actions).to_contain_text("about 46 companies")
    actions.get_by_role("button", name="Schedule").click()
    expect(page.locator(".messagelist")).to_contain_text("is now scheduled")
    expect(page.get_by_test_id("campaign-actions")).to_contain_text("It starts by itself at its start time.")
    page.screenshot(path=str(screenshots_dir / "campaign-1-admin-scheduled.png"), full_page=True)
    campaign = Campaign.objects.get(name="Power tools fortnight")
    assert campaign.status == CampaignStatus.SCHEDULED
    assert list(campaign.rules.values_list("multiplier", flat=True)) == [Decimal("2.00")]

    # and the list shows it among the scheduled ones
    page.goto(f"{base}/admin/campaigns/campaign/?state=scheduled")
    expect(page.locator("#result_list")).to_contain_text("Power tools fortnight")
    page.screenshot(path=str(screenshots_dir / "campaign-2-admin-list.png"), full_page=True)


def test_a_targeted_member_sees_the_banner_and_completes_the_campaign_activity(
    running_campaign, live_server, page: Page, screenshots_dir
):
    from campaigns.models import ActivityCompletion, CompletionStatus

    base = live_server.url
    _log_in(page, base, PURCHASER)

    # the dashboard shows the campaign's banner
    banner = page.get_by_test_id("campaign-banner")
    expect(banner).to_contain_text("Workwear weeks")
    expect(banner).to_contain_text("Double points on power tools")
    page.screenshot(path=str(screenshots_dir / "campaign-3-member-dashboard.png"), full_page=True)

    # the campaign page says what it gives and how it stacks with the tier
    banner.get_by_role("link", name=re.compile("See the campaign")).click()
    expect(page.get_by_test_id("campaign-detail")).to_contain_text("Double points on Power tools")
    expect(page.get_by_test_id("stacking-rule")).to_contain_text("How campaign points add up")
    page.screenshot(path=str(screenshots_dir / "campaign-4-member-campaign.png"), full_page=True)

    # the member writes the review from the Activities page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Activities").click()
    card = page.get_by_test_id("activity-card").filter(has_text="Review the new cordless drill")
    expect(card).to_contain_text("300 points")
    expect(card).to_contain_text("6 SEK")
    card.get_by_role("link", name=re.compile("Write a review")).click()
    page.get_by_label("4").check()
    page.get_by_label("Your review").fill("Light, strong and the battery lasts a whole working day.")
    page.get_by_role("button", name="Send").click()

    # then the points are given once and the activity shows as done
    expect(page.locator(".alert-success")).to_contain_text("300 points are yours")
    expect(page.get_by_test_id("done-activities")).to_contain_text("Review the new cordless drill")
    page.screenshot(path=str(screenshots_dir / "campaign-5-member-activity-done.png"), full_page=True)
    completion = ActivityCompletion.objects.get()
    assert (completion.status, completion.points, completion.rating) == (CompletionStatus.AWARDED, 300, 4)


def test_a_held_out_member_sees_nothing_of_the_campaign(running_campaign, live_server, page: Page, screenshots_dir):
    base = live_server.url
    _log_in(page, base, running_campaign["held_out_email"])

    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome back")
    expect(page.get_by_test_id("campaign-banner")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Workwear weeks")
    page.screenshot(path=str(screenshots_dir / "campaign-6-holdout-dashboard.png"), full_page=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Activities").click()
    expect(page.locator("main")).not_to_contain_text("Workwear weeks")
    expect(page.locator("main")).not_to_contain_text("Review the new cordless drill")
    page.screenshot(path=str(screenshots_dir / "campaign-7-holdout-activities.png"), full_page=True)

    response = page.goto(f"{base}/activities/campaigns/{running_campaign['campaign'].pk}/")
    assert response.status == 404
