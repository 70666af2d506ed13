"""Every points figure a member reads carries its money value (issue 17): the goal line,
the pending release lines, the tier card, the approval limit on the order review, and the
tier thresholds on How points work. The default programme: 1 point = 0.05 SEK."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rewards.catalogue.services import approval_threshold_set
from rewards.models import CompanyRewardSettings

from .factories import RewardFactory, TierFactory
from .helpers import earn, give_points

pytestmark = pytest.mark.django_db

NNBSP = "\u202f"  # the English thousands separator in core.formats
NBSP = "\u00a0"


def test_given_a_goal_then_the_goal_line_shows_both_figures_with_their_value(member_client, account, portal_site):
    give_points(account, 30_000)
    reward = RewardFactory(title="Coffee machine", points_cost=40_000)
    CompanyRewardSettings.objects.create(company=account.company, goal_reward=reward)

    page = member_client.get(reverse("dashboard")).content.decode()

    assert f"30{NNBSP}000 points (1{NNBSP}500{NBSP}SEK) of 40{NNBSP}000 points (2{NNBSP}000{NBSP}SEK)" in page


def test_given_an_exceeded_goal_then_it_says_the_balance_covers_it_not_a_capped_ratio(
    member_client, account, portal_site
):
    give_points(account, 30_000)
    reward = RewardFactory(title="Thermos", points_cost=11_000)
    CompanyRewardSettings.objects.create(company=account.company, goal_reward=reward)

    page = member_client.get(reverse("dashboard")).content.decode()

    assert f"covers its 11{NNBSP}000 points (550{NBSP}SEK)" in page
    assert "100 %" not in page


def test_given_pending_points_and_a_tier_then_release_lines_and_qualifying_points_have_values(
    member_client, company, account, portal_site
):
    TierFactory(name="Gold", qualifying_points=50_000)
    earn(company, 2_000, at=timezone.now() - timedelta(days=3))  # pending for 11 more days

    page = member_client.get(reverse("dashboard")).content.decode()

    assert f"2{NNBSP}000 points (100{NBSP}SEK) available on" in page
    assert f"2{NNBSP}000 points (100{NBSP}SEK) earned in the last 12 months." in page


def test_given_an_order_above_the_approval_limit_then_the_review_states_the_limit_with_its_value(
    member_client, account, company, company_admin
):
    give_points(account, 30_000)
    approval_threshold_set(company=company, threshold=5_000, by=company_admin)
    data = {
        "quantity": "1",
        "delivery_name": "Bygg AB, Lena",
        "delivery_street": "Industrigatan 7",
        "delivery_postal_code": "411 01",
        "delivery_city": "Göteborg",
        "delivery_country": "SE",
    }

    page = member_client.post(
        reverse("rewards:redeem", args=[RewardFactory(points_cost=10_000).pk]), data
    ).content.decode()

    assert f"This order costs more than 5{NNBSP}000 points (250{NBSP}SEK)" in page


def test_given_tiers_then_how_points_work_shows_each_threshold_with_its_value(member_client, account, portal_site):
    from cms.models import HomePage, HowPointsWorkPage

    TierFactory(name="Gold", qualifying_points=50_000)
    home = HomePage.objects.get(pk=portal_site.root_page_id)
    page = home.add_child(instance=HowPointsWorkPage(title="How points work", slug="how-points-work"))

    body = member_client.get(page.url).content.decode()

    assert f"50{NNBSP}000 points</span>" in body and f"2{NNBSP}500{NBSP}SEK" in body
