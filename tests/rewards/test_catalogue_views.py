"""The member catalogue: filters, search, sort and pages; what each card tells the company;
the goal on the dashboard; query counts that do not grow with the catalogue."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import MembershipRole
from rewards.catalogue.services import reward_goal_set
from rewards.models import CompanyRewardSettings
from tests.factories import MembershipFactory

from .factories import RewardCategoryFactory, RewardFactory, TierFactory, VoucherCodeFactory, VoucherRewardFactory
from .helpers import give_points, request_redemption

pytestmark = pytest.mark.django_db

CATALOGUE_URL = "/rewards/"
# Session, user, membership, site and branding, the menu, the company's balance, tier and
# goal, the filter's categories and tiers, the count, the page, its pictures; measured.
CATALOGUE_BUDGET = 20
DASHBOARD_GOAL_QUERIES = 1


@pytest.fixture
def funded(account):
    give_points(account, 30_000)
    return account


def titles(response) -> list[str]:
    return re.findall(r'class="stretched-link[^"]*" href="[^"]+">([^<]+)</a>', response.content.decode())


def test_given_rewards_when_a_member_opens_the_catalogue_then_each_card_shows_points_value_and_standing(
    member_client, funded, portal_site
):
    RewardFactory(title="Thermos", points_cost=10_000, value="249.00")
    RewardFactory(title="Coffee machine", points_cost=40_000, value="1290.00")

    page = member_client.get(CATALOGUE_URL).content.decode()

    assert "Thermos" in page and "Coffee machine" in page
    assert "10\u202f000 points" in page and "Regular price 249\u00a0SEK" in page
    assert "You can redeem this now" in page
    assert "10\u202f000 points to go (500\u00a0SEK)" in page
    assert 'aria-valuenow="75"' in page  # 30 000 of 40 000


def test_given_a_viewer_when_the_company_has_the_points_then_the_card_does_not_say_they_can_redeem(
    client, viewer, funded, portal_site
):
    reward = RewardFactory(title="Thermos", points_cost=10_000, value="249.00")
    client.force_login(viewer)

    for url in (CATALOGUE_URL, reverse("rewards:reward", args=[reward.pk])):
        page = client.get(url).content.decode()

        assert "Your company has the points for this" in page
        assert "You can redeem this now" not in page


def test_given_filters_when_applied_then_only_matching_rewards_show(member_client, funded, portal_site):
    tools = RewardCategoryFactory(slug="tools", name="Tools")
    gold = TierFactory(name="Gold", qualifying_points=300_000)
    RewardFactory(title="Drill", category=tools, points_cost=20_000, description="18 V with two batteries")
    RewardFactory(title="Laser", category=tools, points_cost=25_000, tier_required=gold)
    RewardFactory(title="Jacket", points_cost=50_000)
    VoucherCodeFactory(reward=VoucherRewardFactory(title="Gift card", points_cost=5_000))
    VoucherRewardFactory(title="Empty pool", points_cost=1_000)
    RewardFactory(title="Not yet", points_cost=1_000, available_from=timezone.now() + timedelta(days=2))
    RewardFactory(title="Retired", points_cost=1_000, is_active=False)

    def shown(**params):
        return sorted(titles(member_client.get(CATALOGUE_URL, params)))

    assert "Retired" not in shown()
    assert shown(category="tools") == ["Drill", "Laser"]
    assert shown(kind="voucher") == ["Empty pool", "Gift card"]
    assert shown(q="batteries") == ["Drill"]
    assert shown(affordable="on") == ["Drill", "Gift card"]  # not the locked, the empty, the future
    assert shown(tier=str(gold.pk)) == ["Laser"]


@pytest.mark.parametrize("query", [{"category": "nope"}, {"kind": "bogus"}, {"tier": "999999"}, {"sort": "price"}])
def test_given_a_filter_the_catalogue_does_not_offer_then_every_reward_shows_under_the_fields_error(
    member_client, funded, portal_site, query
):
    RewardFactory(title="Drill", category=RewardCategoryFactory(slug="tools"), points_cost=20_000)
    RewardFactory(title="Jacket", points_cost=50_000)

    response = member_client.get(CATALOGUE_URL, query)

    # Not strict: a value the form does not offer is marked on its field and ignored, so the
    # catalogue never reads "No rewards match." for it.
    page = response.content.decode()
    assert response.status_code == 200
    assert sorted(titles(response)) == ["Drill", "Jacket"]
    assert 'class="invalid-feedback d-block"' in page
    assert "No rewards match." not in page


def test_given_the_sort_options_when_chosen_then_the_order_follows(member_client, purchaser, funded, portal_site):
    cheap = RewardFactory(title="Cheap", points_cost=1_000)
    RewardFactory(title="Dear", points_cost=90_000)
    RewardFactory(title="Featured", points_cost=50_000, featured=True)
    popular = RewardFactory(title="Popular", points_cost=2_000)
    buyer = purchaser.membership
    for _ in range(3):
        request_redemption(buyer, popular)
    request_redemption(buyer, cheap)

    def order(sort):
        return titles(member_client.get(CATALOGUE_URL, {"sort": sort}))

    assert order("")[0] == "Featured"
    assert order("points") == ["Cheap", "Popular", "Featured", "Dear"]
    assert order("-points") == ["Dear", "Featured", "Popular", "Cheap"]
    assert order("popular")[:2] == ["Popular", "Cheap"]


def test_given_30_rewards_when_paging_then_12_a_page_and_filters_survive(member_client, funded, portal_site):
    RewardFactory.create_batch(30, points_cost=1_000)

    first = member_client.get(CATALOGUE_URL, {"sort": "points"})
    last = member_client.get(CATALOGUE_URL, {"sort": "points", "page": 3})

    assert len(titles(first)) == 12 and len(titles(last)) == 6
    assert "sort=points&amp;page=2" in first.content.decode()
    assert "30 rewards · page 1 of 3" in first.content.decode()


def test_given_a_locked_an_empty_and_a_future_reward_then_the_cards_say_why(member_client, funded, portal_site):
    RewardFactory(title="Laser", tier_required=TierFactory(name="Gold", qualifying_points=300_000))
    VoucherRewardFactory(title="Empty pool")
    RewardFactory(title="Not yet", available_from=timezone.now() + timedelta(days=2))

    page = member_client.get(CATALOGUE_URL).content.decode()

    assert "For Gold members and above" in page
    assert "Out of stock" in page
    assert "Available from" in page


def test_given_a_catalogue_of_120_rewards_with_pictures_when_opened_then_the_queries_stay_the_same(
    member_client, funded, portal_site, django_assert_max_num_queries
):
    from rewards.models import RewardImage

    def grow(count):
        for reward in RewardFactory.create_batch(count, category=RewardCategoryFactory()):
            RewardImage.objects.create(reward=reward, image="x.webp", thumbnail="x-card.webp", width=800, height=600)
            VoucherCodeFactory(reward=VoucherRewardFactory())

    grow(3)
    member_client.get(CATALOGUE_URL)  # warm the per-process caches
    with CaptureQueriesContext(connection) as small:
        member_client.get(CATALOGUE_URL)

    grow(60)
    with django_assert_max_num_queries(CATALOGUE_BUDGET):
        response = member_client.get(CATALOGUE_URL, {"sort": "popular"})
    with CaptureQueriesContext(connection) as large:
        member_client.get(CATALOGUE_URL)

    assert response.status_code == 200
    assert len(large) == len(small)


# --- The reward page and the company goal ---------------------------------------------------------


def test_given_a_reward_page_when_a_purchaser_sets_the_goal_then_the_dashboard_shows_the_progress(
    member_client, funded, portal_site
):
    reward = RewardFactory(title="Coffee machine", points_cost=40_000)

    response = member_client.post(reverse("rewards:goal_set", args=[reward.pk]), {"next": reward.get_absolute_url()})
    dashboard = member_client.get(reverse("dashboard")).content.decode()

    assert response.status_code == 302 and response["Location"] == reward.get_absolute_url()
    assert CompanyRewardSettings.objects.get().goal_reward == reward
    assert "Your company goal" in dashboard and "Coffee machine" in dashboard
    assert "10\u202f000 points to go" in dashboard
    assert 'aria-valuenow="75"' in dashboard


def test_given_a_goal_a_colleague_chose_when_a_purchaser_opens_another_reward_then_they_are_told_before_replacing(
    member_client, company, funded, portal_site
):
    from members.models import MembershipRole
    from tests.factories import MembershipFactory

    colleague = MembershipFactory(
        company=company, role=MembershipRole.ADMIN, user__first_name="Anna", user__last_name="Berg"
    )
    reward_goal_set(company=company, reward=RewardFactory(title="Espresso machine"), by=colleague.user)
    other = RewardFactory(title="Thermos")

    page = member_client.get(other.get_absolute_url()).content.decode()

    assert "Your company is saving for “Espresso machine”, chosen by Anna Berg." in page
    assert "Replace the company goal with this" in page and "Make this our company goal" not in page
    assert 'data-confirm="Replace your company' in page


def test_given_no_goal_then_the_dashboard_invites_the_member_to_choose_one(member_client, funded, portal_site):
    assert "Choose a reward as your company" in member_client.get(reverse("dashboard")).content.decode()


def test_given_an_off_site_next_when_setting_the_goal_then_the_redirect_stays_on_the_site(member_client, funded):
    reward = RewardFactory()

    response = member_client.post(reverse("rewards:goal_set", args=[reward.pk]), {"next": "https://evil.example/"})

    assert response["Location"] == reward.get_absolute_url()


def test_given_a_viewer_when_setting_the_goal_then_403_and_nothing_changes(client, viewer, funded):
    client.force_login(viewer)

    response = client.post(reverse("rewards:goal_set", args=[RewardFactory().pk]))

    assert response.status_code == 403
    assert not CompanyRewardSettings.objects.exists()


def test_given_the_goal_when_the_dashboard_opens_then_it_costs_one_query(member_client, funded, company, purchaser):
    reward_goal_set(company=company, reward=RewardFactory(), by=purchaser)
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.membership = MembershipFactory._meta.model.objects.select_related("company").get(user=purchaser)

    class Summary:
        balance = 1_000

    class Points:
        summary = Summary()

    with CaptureQueriesContext(connection) as captured:
        html = Template("{% load reward_tags %}{% company_reward_goal as goal %}{{ goal.percent }}").render(
            Context({"request": request, "points": Points()})
        )

    assert html == "10"
    assert len(captured) == DASHBOARD_GOAL_QUERIES


def test_given_a_viewer_on_the_reward_page_then_no_redeem_button_but_an_explanation(client, company, funded):
    viewer = MembershipFactory(company=company, role=MembershipRole.VIEWER).user
    client.force_login(viewer)
    reward = RewardFactory(points_cost=1_000)

    page = client.get(reward.get_absolute_url()).content.decode()

    assert "Viewers cannot redeem" in page
    assert reverse("rewards:redeem", args=[reward.pk]) not in page
