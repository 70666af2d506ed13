"""The member pages with cards (dashboard, rewards catalogue, activities) and a reward's own
pages (its page, ordering it, the orders, the points history) keep a sound heading outline:
h1 first, then h2 per panel or card, h3 only inside them. The content pages are checked in
tests/cms/test_heading_order.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import ActivityKind, ActivityScope
from rewards.ledger.services import points_account_for_company
from rewards.models import ProgrammeRules, Reward
from tests.campaigns.factories import ActivityFactory
from tests.headings import headings, skipped_levels
from tests.rewards.factories import RewardFactory, TierFactory
from tests.rewards.helpers import earn

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_with_everything(member_client, company, portal_site):
    """A Silver company with points, two rewards in the catalogue and two activities."""
    ProgrammeRules.current()
    TierFactory(name="Silver", qualifying_points=1_000)
    TierFactory(name="Gold", qualifying_points=50_000)
    points_account_for_company(company=company)
    earn(company, 12_000, at=timezone.now() - timedelta(days=30), release=True)
    RewardFactory(title="Thermos", points_cost=5_000, description="Keeps coffee hot for a whole shift.")
    RewardFactory(title="Drill", points_cost=40_000)
    ActivityFactory(kind=ActivityKind.SURVEY, title="How are we doing?", scope=ActivityScope.CONTACT)
    ActivityFactory(kind=ActivityKind.SURVEY, title="Our delivery")
    return member_client


@pytest.mark.parametrize("url_name", ["dashboard", "rewards:catalogue", "campaigns:activities"])
def test_given_a_page_full_of_cards_then_no_heading_level_is_skipped(member_with_everything, url_name):
    html = member_with_everything.get(reverse(url_name)).content.decode()

    outline = headings(html)
    assert outline and outline[0][0] == 1, outline
    assert not skipped_levels(html), skipped_levels(html)


@pytest.mark.parametrize("url_name", ["rewards:reward", "rewards:redeem"])
def test_given_a_reward_with_a_description_when_its_pages_open_then_its_title_is_the_first_heading(
    member_with_everything, url_name
):
    # given a reward with pictures' place, a description and the company's standing
    thermos = Reward.objects.get(title="Thermos")

    # when the member opens its page, or the order form for it
    html = member_with_everything.get(reverse(url_name, args=[thermos.pk]), {"quantity": 1}).content.decode()

    # then the outline starts at the h1 and no heading skips a level
    outline = headings(html)
    assert outline and outline[0][0] == 1, outline
    assert not skipped_levels(html), skipped_levels(html)
    if url_name == "rewards:reward":  # the title comes before "About this reward"
        assert outline[:2] == [(1, "Thermos"), (2, "About this reward")], outline


@pytest.mark.parametrize("url_name", ["rewards:orders", "rewards:history"])
def test_given_the_company_s_orders_and_points_then_their_pages_start_at_the_h1(member_with_everything, url_name):
    html = member_with_everything.get(reverse(url_name)).content.decode()

    outline = headings(html)
    assert outline and outline[0][0] == 1, outline
    assert not skipped_levels(html), skipped_levels(html)
