"""Member pages: banners and activities for the treated, nothing for the hold-out, every URL scoped."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import (
    ActivityCompletion,
    ActivityKind,
    ActivityScope,
    ChallengeGoal,
    LeaderboardOptIn,
    Referral,
)
from members.models import MembershipRole
from rewards.models import LedgerEntry
from tests.factories import MembershipFactory, StaffFactory
from tests.mfa import login_with_totp
from tests.rewards.factories import PurchaseFactory

from .factories import ActivityFactory, CampaignFactory, CampaignRuleFactory, ChallengeFactory, run_campaign

pytestmark = pytest.mark.django_db

ACTIVITIES_BUDGET = 30  # session, user, membership, site, branding, menu, and the page's fixed reads


@pytest.fixture
def live(rules, tools, owner, treated_company, held_out_company, portal_site):
    """A campaign running now: double points on power tools, with a review, a treated and a held-out company."""
    now = timezone.now()
    campaign = CampaignFactory(
        name="Tools week",
        headline="Double points on power tools.",
        owner=owner,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=6),
    )
    CampaignRuleFactory(campaign=campaign, multiplier=Decimal("2"), categories=[tools])
    run_campaign(campaign, treated=[treated_company], held_out=[held_out_company])
    review = ActivityFactory(
        kind=ActivityKind.REVIEW, title="Review the drill", subject="Drill", campaign=campaign, points=400
    )
    survey = ActivityFactory(
        kind=ActivityKind.SURVEY, title="How are we doing?", points=200, scope=ActivityScope.CONTACT
    )
    return {
        "campaign": campaign,
        "review": review,
        "survey": survey,
        "treated": MembershipFactory(company=treated_company, role=MembershipRole.ADMIN).user,
        "held_out": MembershipFactory(company=held_out_company, role=MembershipRole.ADMIN).user,
    }


def _snapshot() -> dict:
    return {
        "completions": ActivityCompletion.objects.count(),
        "entries": LedgerEntry.objects.count(),
        "referrals": Referral.objects.count(),
        "opt_ins": sorted(LeaderboardOptIn.objects.values_list("company_id", flat=True)),
    }


def _member_urls(live) -> list[tuple[str, str, dict]]:
    review = reverse("campaigns:activity", args=[live["review"].pk])
    return [
        ("get", reverse("campaigns:activities"), {}),
        ("get", review, {}),
        ("post", review, {"rating": "5", "text": "Trying to review another company's campaign."}),
        ("get", reverse("campaigns:campaign", args=[live["campaign"].pk]), {}),
        ("get", reverse("campaigns:leaderboard"), {}),
        ("post", reverse("campaigns:leaderboard"), {"action": "join"}),
    ]


# --- What each member sees ----------------------------------------------------------------------------


def test_the_treated_member_sees_the_banner_the_campaign_and_its_activity(client, live):
    client.force_login(live["treated"])

    dashboard = client.get(reverse("dashboard")).content.decode()
    activities = client.get(reverse("campaigns:activities")).content.decode()
    campaign = client.get(reverse("campaigns:campaign", args=[live["campaign"].pk])).content.decode()

    assert 'data-testid="campaign-banner"' in dashboard and "Tools week" in dashboard
    assert "Review the drill" in activities and "Double points on Power tools" in activities
    assert "400 points" in activities and "20\u00a0SEK" in activities  # every points figure with its value
    assert "How campaign points add up" in campaign


def test_the_held_out_member_sees_nothing_of_the_campaign(client, live):
    client.force_login(live["held_out"])

    dashboard = client.get(reverse("dashboard")).content.decode()
    activities = client.get(reverse("campaigns:activities")).content.decode()

    assert "Tools week" not in dashboard and 'data-testid="campaign-banner"' not in dashboard
    assert "Tools week" not in activities and "Review the drill" not in activities
    assert "How are we doing?" in activities  # activities of no campaign are for everyone
    assert client.get(reverse("campaigns:campaign", args=[live["campaign"].pk])).status_code == 404
    assert client.get(reverse("campaigns:activity", args=[live["review"].pk])).status_code == 404


def test_the_navigation_has_activities_for_members(client, live):
    client.force_login(live["treated"])

    page = client.get(reverse("dashboard")).content.decode()

    assert f'href="{reverse("campaigns:activities")}"' in page


# --- Completing an activity ---------------------------------------------------------------------------


def test_a_member_answers_the_survey_once_and_sees_it_done(client, live):
    client.force_login(live["treated"])
    url = reverse("campaigns:activity", args=[live["survey"].pk])

    assert client.get(url).status_code == 200
    missing = client.post(url, {"text": "no score"})
    done = client.post(url, {"score": "9", "text": "Quick deliveries"}, follow=True)
    again = client.post(url, {"score": "2"}, follow=True)

    assert missing.status_code == 200 and "This field is required" in missing.content.decode()
    assert "Done! 200 points are yours." in done.content.decode()
    completion = ActivityCompletion.objects.get()
    assert (completion.score, completion.text, completion.points) == (9, "Quick deliveries", 200)
    assert again.status_code == 200 and LedgerEntry.objects.count() == 1
    assert 'data-testid="activity-done"' in client.get(url).content.decode()


def test_a_member_recommends_a_company_and_sees_it_pending(client, live):
    from tests.factories import _valid_swedish_org_number

    referral = ActivityFactory(kind=ActivityKind.REFERRAL, title="Recommend a company", points=2500)
    client.force_login(live["treated"])
    url = reverse("campaigns:activity", args=[referral.pk])

    bad = client.post(url, {"company_name": "Prospect AB", "country": "SE", "org_number": "556016-0681"})
    good = client.post(
        url,
        {"company_name": "Prospect AB", "country": "SE", "org_number": _valid_swedish_org_number(77_777)},
        follow=True,
    )

    assert "wrong check digit" in bad.content.decode()
    assert "when Prospect AB makes its first purchase" in good.content.decode()
    assert "Prospect AB" in client.get(reverse("campaigns:activities")).content.decode()


def test_a_company_admin_joins_and_leaves_the_leaderboard_and_a_purchaser_cannot(client, live, treated_company):
    purchaser = MembershipFactory(company=treated_company, role=MembershipRole.PURCHASER).user
    client.force_login(purchaser)
    assert client.post(reverse("campaigns:leaderboard"), {"action": "join"}).status_code == 403

    client.force_login(live["treated"])
    client.post(reverse("campaigns:leaderboard"), {"action": "join"})
    assert LeaderboardOptIn.objects.filter(company=treated_company).exists()
    client.post(reverse("campaigns:leaderboard"), {"action": "leave"})
    assert not LeaderboardOptIn.objects.exists()


# --- Every URL as the wrong user ---------------------------------------------------------------------


def test_given_an_anonymous_visitor_then_every_member_url_sends_to_login_and_changes_nothing(client, live):
    before = _snapshot()

    for method, url, data in _member_urls(live):
        response = getattr(client, method)(url, data)

        assert response.status_code == 302, (method, url)
        assert urlsplit(response["Location"]).path == reverse("account_login"), (method, url)

    assert _snapshot() == before


@pytest.mark.parametrize("who", ["held_out", "other_company", "staff", "viewer"])
def test_given_the_wrong_user_then_campaign_urls_are_403_or_404_and_nothing_changes(client, live, who):
    """The hold-out and other companies cannot tell the campaign exists (404); staff have no
    member pages (403); a viewer may not put the company on the leaderboard (403)."""
    urls = _member_urls(live)
    campaign_urls = [request for request in urls if "/leaderboard/" not in request[1] and request[1] != urls[0][1]]
    user, requests = {
        "held_out": lambda: (live["held_out"], campaign_urls),
        "other_company": lambda: (MembershipFactory(role=MembershipRole.ADMIN).user, campaign_urls),
        "staff": lambda: (StaffFactory(group="Club admins"), urls),
        "viewer": lambda: (
            MembershipFactory(
                company=live["campaign"].members.get(in_holdout=False).company, role=MembershipRole.VIEWER
            ).user,
            [request for request in urls if request[0] == "post" and "/leaderboard/" in request[1]],
        ),
    }[who]()
    if user.is_staff:
        login_with_totp(client, user)  # staff pass their code first, then find no member pages
    else:
        client.force_login(user)
    before = _snapshot()

    for method, url, data in requests:
        response = getattr(client, method)(url, data)

        assert response.status_code in (403, 404), (who, method, url, response.status_code)

    assert requests
    assert _snapshot() == before


# --- Query budget ----------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_activities_page_costs_the_same_queries_with_many_activities_challenges_and_completions(
    client, live, treated_company, django_assert_max_num_queries
):
    from campaigns.services import activity_complete

    def challenges(times: int) -> None:
        window = {"starts_at": timezone.now() - timedelta(days=5), "ends_at": timezone.now() + timedelta(days=5)}
        for goal in [ChallengeGoal.CATEGORIES, ChallengeGoal.PURCHASES, ChallengeGoal.SPEND, ChallengeGoal.ACTIVITIES]:
            ChallengeFactory.create_batch(times, goal=goal, **window)

    client.force_login(live["treated"])
    url = reverse("campaigns:activities")
    challenges(1)  # one of each goal: each goal is one query, however many challenges have it
    client.get(url)  # warm per-process caches
    small = _queries(client, url)

    challenges(3)
    for number in range(25):
        activity = ActivityFactory(kind=ActivityKind.SURVEY, campaign=live["campaign"] if number % 2 else None)
        if number % 3 == 0:
            activity_complete(activity_id=activity.pk, user=live["treated"], score=number % 11)
    with django_assert_max_num_queries(ACTIVITIES_BUDGET):
        client.get(url)
    large = _queries(client, url)

    assert large == small


def test_the_activities_page_costs_the_same_queries_and_shows_the_same_progress_whatever_the_company_bought_before(
    client, live, treated_company, django_assert_max_num_queries
):
    now = timezone.now()
    ChallengeFactory(
        goal=ChallengeGoal.PURCHASES, target=5, starts_at=now - timedelta(days=5), ends_at=now + timedelta(days=5)
    )
    for days_ago in (1, 2):
        PurchaseFactory(company=treated_company, occurred_at=now - timedelta(days=days_ago))
    client.force_login(live["treated"])
    url = reverse("campaigns:activities")
    client.get(url)  # warm per-process caches
    new_member = _queries(client, url)

    PurchaseFactory.create_batch(60, company=treated_company, occurred_at=now - timedelta(days=400))
    with django_assert_max_num_queries(ACTIVITIES_BUDGET):
        page = client.get(url).content.decode()

    assert _queries(client, url) == new_member
    assert "2 of 5" in page  # the years before the challenge do not count
