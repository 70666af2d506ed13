"""Staff in the Django admin: plan and schedule campaigns, refused bad plans, the list, results and NPS pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import (
    ActivityCompletion,
    ActivityKind,
    AwardKind,
    Campaign,
    CampaignAward,
    CampaignMember,
    CampaignRule,
    CampaignStatus,
    CompletionStatus,
    RuleKind,
)
from campaigns.services import activity_complete
from core.formatting import format_money, format_points
from core.texts import free_text
from members.models import Country
from rewards.ledger.selectors import points_value
from rewards.ledger.services import points_account_for_company, points_adjust, points_award, points_redeem
from rewards.models import ProgrammeRules
from tests.factories import CompanyFactory, MembershipFactory, StaffFactory
from tests.rewards.factories import PurchaseFactory

from .factories import ActivityFactory, CampaignFactory, CampaignRuleFactory, run_campaign

pytestmark = pytest.mark.django_db

LIST_BUDGET = 16  # session, user, permissions, counts, dates, the rows with their figures
# session, user, permissions, site, menu; the campaign, the reporting rates and five figures queries
RESULTS_BUDGET = 18


@pytest.fixture
def staff_client(client, settings, owner):
    settings.STAFF_MFA_REQUIRED = False  # MFA for staff is tested in tests/members/test_staff_mfa.py
    admin = StaffFactory(email="admin@club.example", group="Club admins")
    client.force_login(admin)
    client.user = admin
    return client


@pytest.fixture
def club(rules):
    return CompanyFactory.create_batch(3)


DEFAULT = django_settings.MODELTRANSLATION_DEFAULT_LANGUAGE


def _form(tools=None, **overrides) -> dict:
    start = timezone.localtime() + timedelta(days=2)
    end = start + timedelta(days=14)
    data = {
        # The texts members read are edited per language (campaigns/translation.py); the
        # default language's are the required ones.
        f"name_{DEFAULT}": "Tools fortnight",
        f"headline_{DEFAULT}": "Double points on power tools for two weeks.",
        f"description_{DEFAULT}": "",
        "owner": "",
        "starts_at_0": start.strftime("%Y-%m-%d"),
        "starts_at_1": "06:00:00",
        "ends_at_0": end.strftime("%Y-%m-%d"),
        "ends_at_1": "23:00:00",
        "audience_kind": "all",
        "holdout_percent": "10",
        "points_budget": "100000",
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        "rules-0-kind": "multiplier",
        "rules-0-multiplier": "2",
        "activities-TOTAL_FORMS": "0",
        "activities-INITIAL_FORMS": "0",
        "activities-MIN_NUM_FORMS": "0",
        "activities-MAX_NUM_FORMS": "1000",
    }
    if tools is not None:
        data["rules-0-categories"] = [str(tools.pk)]
    data.update(overrides)
    return data


# --- Planning ---------------------------------------------------------------------------------------------


def test_staff_add_a_campaign_with_its_rules_and_schedule_it(staff_client, club, tools):
    response = staff_client.post(
        reverse("admin:campaigns_campaign_add"), _form(tools, owner=str(staff_client.user.pk), holdout_percent="0")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    campaign = Campaign.objects.get()
    assert (campaign.status, campaign.owner, campaign.audience_size) == (CampaignStatus.DRAFT, staff_client.user, 3)
    rule = CampaignRule.objects.get()
    assert (rule.kind, rule.multiplier, list(rule.categories.all())) == (RuleKind.MULTIPLIER, Decimal("2"), [tools])

    page = staff_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()
    assert "Schedule" in page
    scheduled = staff_client.post(
        reverse("admin:campaigns_campaign_status", args=[campaign.pk, "schedule"]), follow=True
    )

    assert "is now scheduled" in scheduled.content.decode()
    assert Campaign.objects.get().status == CampaignStatus.SCHEDULED


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"ends_at_0": (timezone.localdate() + timedelta(days=1)).isoformat()},
            "The campaign must end after it starts.",
        ),
        ({"rules-0-multiplier": "0.5"}, "A campaign multiplier must be more than 1."),
        ({"rules-0-multiplier": "1"}, "A campaign multiplier must be more than 1."),
        ({"rules-0-multiplier": "40"}, "At most ×5"),
        ({"audience_kind": "countries", "countries": ["NL"]}, "The audience is empty"),
        ({"audience_kind": "tiers"}, "Choose at least one tier."),
        ({"audience_kind": "segment"}, "Choose the segment."),
        (
            {
                "rules-TOTAL_FORMS": "2",
                "rules-1-kind": "multiplier",
                "rules-1-multiplier": "3",
            },
            "a purchase would be multiplied twice",
        ),
        (
            {
                "rules-TOTAL_FORMS": "3",
                "rules-1-kind": "first_purchase",
                "rules-1-bonus_points": "500",
                "rules-2-kind": "first_purchase",
                "rules-2-bonus_points": "700",
            },
            "Only one rule of each bonus kind",
        ),
        ({"rules-0-kind": "large_purchase", "rules-0-bonus_points": "300"}, "Give the purchase amount"),
        ({"points_budget": "0"}, "greater than or equal to 1"),
        ({"holdout_percent": "80"}, "less than or equal to 50"),
    ],
)
def test_bad_plans_are_refused_with_a_message_and_nothing_is_saved(staff_client, club, overrides, message):
    data = _form(owner=str(staff_client.user.pk), **overrides)

    response = staff_client.post(reverse("admin:campaigns_campaign_add"), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Campaign.objects.exists()
    assert not CampaignRule.objects.exists()


def test_a_running_campaign_keeps_its_plan_but_its_budget_and_end_can_change(staff_client, club, owner):
    now = timezone.now()
    campaign = run_campaign(
        CampaignFactory(
            owner=owner, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=5), points_budget=1000
        ),
        treated=club,
    )
    rule = CampaignRuleFactory(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(points_awarded=600)
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    end = timezone.localtime(campaign.ends_at) + timedelta(days=3)
    data = {
        f"name_{DEFAULT}": campaign.name,
        f"headline_{DEFAULT}": campaign.headline,
        f"description_{DEFAULT}": "",
        "owner": str(owner.pk),
        "ends_at_0": end.strftime("%Y-%m-%d"),
        "ends_at_1": end.strftime("%H:%M:%S"),
        "points_budget": "500",
        # The rules are read-only now; the page still sends their management form.
        "rules-TOTAL_FORMS": "1",
        "rules-INITIAL_FORMS": "1",
        "rules-0-id": str(rule.pk),
        "rules-0-campaign": str(campaign.pk),
        "activities-TOTAL_FORMS": "0",
        "activities-INITIAL_FORMS": "0",
    }

    refused = staff_client.post(url, data)
    data["points_budget"] = "5000"
    accepted = staff_client.post(url, data)

    assert "600 points have already been given; the budget cannot be lower." in refused.content.decode()
    assert accepted.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.points_budget, campaign.points_awarded, campaign.status) == (5000, 600, CampaignStatus.ACTIVE)
    assert timezone.localtime(campaign.ends_at).date() == end.date()
    assert CampaignRule.objects.filter(campaign=campaign).count() == 1
    assert 'name="holdout_percent"' not in staff_client.get(url).content.decode()  # read-only now


def test_sales_reps_see_campaigns_but_cannot_change_them(client, settings, club, owner):
    settings.STAFF_MFA_REQUIRED = False
    campaign = CampaignFactory(owner=owner)
    CampaignRuleFactory(campaign=campaign)
    client.force_login(StaffFactory(group="Sales reps"))

    assert client.get(reverse("admin:campaigns_campaign_changelist")).status_code == 200
    assert client.post(reverse("admin:campaigns_campaign_status", args=[campaign.pk, "schedule"])).status_code == 403
    assert Campaign.objects.get().status == CampaignStatus.DRAFT


# --- The list -----------------------------------------------------------------------------------------------


def _campaigns_with_activity(count: int, owner, companies) -> list[Campaign]:
    now = timezone.now()
    staff = StaffFactory()
    made = []
    for number in range(count):
        campaign = CampaignFactory(
            owner=owner,
            starts_at=now - timedelta(days=20 - number % 5),
            ends_at=now + timedelta(days=5 - number % 7),
            points_budget=1000,
        )
        run_campaign(campaign, treated=companies[:-1], held_out=companies[-1:])
        for company in companies[:2]:
            entry, _created = points_award(
                company_id=company.pk, points=100, key=f"list:{campaign.pk}:{company.pk}", memo=free_text("")
            )
            CampaignAward.objects.create(
                campaign=campaign, company=company, kind=AwardKind.ACTIVITY, points=100, entry=entry
            )
        Campaign.objects.filter(pk=campaign.pk).update(points_awarded=200 if number % 4 else 1000)
        made.append(campaign)
    for company in companies[:2]:
        account = points_account_for_company(company=company)
        points_adjust(account=account, points=500, reason="test", by=staff, key=f"fund:{company.pk}:{count}")
        points_redeem(account=account, points=50, key=f"list-redeem:{company.pk}:{count}", by=None)
    return made


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_with_60_campaigns_as_with_3_and_shows_their_figures(
    staff_client, owner, django_assert_max_num_queries
):
    companies = CompanyFactory.create_batch(6)
    url = reverse("admin:campaigns_campaign_changelist")
    _campaigns_with_activity(3, owner, companies)
    staff_client.get(url)
    small = _queries(staff_client, url)

    _campaigns_with_activity(57, owner, companies)
    with django_assert_max_num_queries(LIST_BUDGET):
        page = staff_client.get(url).content.decode()
    large = _queries(staff_client, url)

    assert large == small
    rules = ProgrammeRules.current()
    # points issued against the budget, with their money value
    assert f"200 / {format_points(1000)} (20%)" in page
    assert f"{format_money(points_value(points=200, rules=rules), rules.currency)} / " in page
    assert "6 <small>(1 held out)</small>" in page


def test_the_list_filters_running_scheduled_ended_and_over_budget(staff_client, owner, club):
    now = timezone.now()
    running = CampaignFactory(
        name="Running one",
        owner=owner,
        status=CampaignStatus.ACTIVE,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=1),
    )
    CampaignFactory(name="Scheduled one", owner=owner, status=CampaignStatus.SCHEDULED)
    CampaignFactory(name="Ended one", owner=owner, status=CampaignStatus.ENDED)
    Campaign.objects.filter(pk=running.pk).update(points_budget=100, points_awarded=100)
    url = reverse("admin:campaigns_campaign_changelist")

    def names(state):
        return [campaign.name for campaign in staff_client.get(url, {"state": state}).context["cl"].result_list]

    assert names("running") == ["Running one"]
    assert names("scheduled") == ["Scheduled one"]
    assert names("ended") == ["Ended one"]
    assert names("over_budget") == ["Running one"]


def test_the_redemptions_column_counts_orders_of_treated_companies_during_the_campaign(staff_client, owner, club):
    from rewards.redemptions.services import redemption_cancel
    from tests.factories import MembershipFactory
    from tests.rewards.factories import RewardFactory
    from tests.rewards.helpers import request_redemption

    now = timezone.now()
    campaign = run_campaign(
        CampaignFactory(owner=owner, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)),
        treated=club[:2],
        held_out=club[2:],
    )
    staff = StaffFactory()
    reward = RewardFactory(points_cost=100)
    for company in club:
        account = points_account_for_company(company=company)
        points_adjust(account=account, points=500, reason="test", by=staff, key=f"f{company.pk}")
        buyer = MembershipFactory(company=company)
        request_redemption(buyer, reward, notify=False)
    cancelled = request_redemption(buyer, reward, notify=False)  # the last (held-out) company's
    redemption_cancel(redemption=cancelled, by=buyer.user, notify=False)
    treated_buyer = MembershipFactory(company=club[0])
    redemption_cancel(
        redemption=request_redemption(treated_buyer, reward, notify=False), by=treated_buyer.user, notify=False
    )

    row = staff_client.get(reverse("admin:campaigns_campaign_changelist")).context["cl"].result_list[0]

    # the treated companies' two orders; not the hold-out's, and not a cancelled one
    assert row == campaign and row.redemption_count == 2


# --- Results, NPS, staff confirmations ----------------------------------------------------------------------


def test_the_results_page_costs_the_same_queries_with_200_members_and_exports_csv(
    staff_client, owner, django_assert_max_num_queries
):
    now = timezone.now()
    campaign = CampaignFactory(
        name="Results", owner=owner, starts_at=now - timedelta(days=10), ends_at=now + timedelta(days=10)
    )

    def members(count):
        companies = CompanyFactory.create_batch(count)
        for index, company in enumerate(companies):
            CampaignMember.objects.create(campaign=campaign, company=company, in_holdout=index % 5 == 0)
            PurchaseFactory(company=company, occurred_at=now - timedelta(days=index % 20))
        return companies

    members(5)
    run_campaign(campaign)
    url = reverse("admin:campaigns_campaign_results", args=[campaign.pk])
    staff_client.get(url)
    small = _queries(staff_client, url)
    members(195)
    with django_assert_max_num_queries(RESULTS_BUDGET):
        page = staff_client.get(url).content.decode()
    large = _queries(staff_client, url)
    export = staff_client.get(reverse("admin:campaigns_campaign_results_csv", args=[campaign.pk]))

    assert large == small
    assert 'data-testid="results-table"' in page and 'data-chart="results-chart-data"' in page
    assert 'data-testid="results-chart-table"' in page  # the chart's figures as a table
    lines = b"".join(export.streaming_content).decode("utf-8-sig").strip().splitlines()  # a BOM for Excel
    assert export["Content-Type"].startswith("text/csv")
    assert (
        lines[0]
        == "company,external id,group,revenue before (SEK),revenue during (SEK),purchases during,campaign points"
    )
    assert len(lines) == 201


def test_results_are_refused_for_a_campaign_that_has_not_started(staff_client, owner):
    campaign = CampaignFactory(owner=owner)

    assert staff_client.get(reverse("admin:campaigns_campaign_results", args=[campaign.pk])).status_code == 403


def test_the_nps_page_shows_per_campaign_and_over_time(staff_client, rules, owner, treated_company):
    survey = ActivityFactory(kind=ActivityKind.SURVEY)
    for score in (10, 9, 2):
        activity_complete(
            activity_id=survey.pk,
            user=MembershipFactory(company=CompanyFactory()).user,
            score=score,
            text=f"Because {score}",
        )

    page = staff_client.get(reverse("admin:campaigns_campaign_nps")).content.decode()

    assert 'data-testid="nps-page"' in page
    assert "Because 2" in page
    assert ">33<" in page  # (2 promoters − 1 detractor) / 3 answers


def test_staff_confirm_custom_activities_from_the_list(staff_client, rules, treated_company):
    custom = ActivityFactory(kind=ActivityKind.CUSTOM, points=700)
    claim, _created = activity_complete(
        activity_id=custom.pk, user=MembershipFactory(company=treated_company).user, text="Photo sent"
    )

    staff_client.post(
        reverse("admin:campaigns_activitycompletion_changelist"),
        {"action": "confirm_selected", ACTION_CHECKBOX_NAME: [str(claim.pk)]},
    )

    claim.refresh_from_db()
    assert (claim.status, claim.points, claim.decided_by) == (CompletionStatus.AWARDED, 700, staff_client.user)
    assert ActivityCompletion.objects.count() == 1


def test_countries_of_a_running_campaign_read_as_names(staff_client, owner, club):
    campaign = run_campaign(
        CampaignFactory(owner=owner, audience_kind="countries", countries=[Country.SWEDEN]), treated=club
    )

    page = staff_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()

    assert "Sweden" in page and "[&quot;SE&quot;]" not in page


def test_staff_confirm_event_attendance_from_the_sign_ups(staff_client, rules, home, treated_company):
    from cms.models import EventIndexPage, EventPage, EventRegistration
    from tests.cms.conftest import add_page

    index = add_page(home, EventIndexPage, title="Events")
    event = add_page(
        index, EventPage, title="Trade evening", starts_at=timezone.now() - timedelta(hours=2), location="Göteborg"
    )
    attendee = MembershipFactory(company=treated_company).user
    EventRegistration.objects.create(event=event, user=attendee, status="confirmed")
    activity = ActivityFactory(kind=ActivityKind.EVENT, event=event, points=500)
    url = reverse("admin:campaigns_activity_attendance", args=[activity.pk])

    page = staff_client.get(url)
    done = staff_client.post(url, {"attendees": [str(attendee.pk)]}, follow=True)

    assert page.status_code == 200 and str(attendee) in page.content.decode()
    assert "1 awarded" in done.content.decode()
    assert ActivityCompletion.objects.get().points == 500


def test_the_results_export_neutralises_formula_cells(staff_client, owner):
    import csv
    import io

    evil = '=HYPERLINK("http://evil","x")'
    now = timezone.now()
    campaign = CampaignFactory(owner=owner, starts_at=now - timedelta(days=10), ends_at=now + timedelta(days=10))
    company = CompanyFactory(name=evil)
    CampaignMember.objects.create(campaign=campaign, company=company, in_holdout=False)
    run_campaign(campaign)

    export = staff_client.get(reverse("admin:campaigns_campaign_results_csv", args=[campaign.pk]))

    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [row[0] for row in rows[1:]] == ["'" + evil]


def test_the_budget_field_states_what_points_are_worth(staff_client, owner, club):
    rules = ProgrammeRules.current()

    page = staff_client.get(reverse("admin:campaigns_campaign_add")).content.decode()

    worth = format_money(points_value(points=10_000, rules=rules), rules.currency)
    assert f"At today&#x27;s point value, {format_points(10_000)} are worth {worth}." in page
