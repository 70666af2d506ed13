"""The member pages with cards (dashboard, rewards catalogue, activities) keep a sound
heading outline: h1, then h2 per panel or card, h3 only inside them. The content pages are
checked in tests/cms/test_heading_order.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import ActivityKind, ActivityScope
from rewards.ledger.services import points_account_for_company
from rewards.models import ProgrammeRules
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
    RewardFactory(title="Thermos", points_cost=5_000)
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
