"""Fixtures for the campaigns tests: the programme, categories, tiers and a running campaign."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rewards.models import ProgrammeRules
from tests.factories import CompanyFactory, StaffFactory
from tests.rewards.factories import ProductCategoryFactory, TierFactory

from .factories import CampaignFactory, CampaignRuleFactory, run_campaign


@pytest.fixture
def rules(db) -> ProgrammeRules:
    """1 point per SEK, 1 point = 0.05 SEK, 14-day returns, 24-month expiry."""
    return ProgrammeRules.current()


@pytest.fixture
def tools(db):
    return ProductCategoryFactory(name="Power tools", code="TOOLS", multiplier=Decimal("1.5"))


@pytest.fixture
def workwear(db):
    return ProductCategoryFactory(name="Workwear", code="WEAR", multiplier=Decimal("1"))


@pytest.fixture
def gold(db):
    return TierFactory(name="Gold", qualifying_points=1_000_000, earn_multiplier=Decimal("1.25"))


@pytest.fixture
def owner(db):
    return StaffFactory(email="owner@club.example", group="Marketing")


@pytest.fixture
def treated_company(db):
    return CompanyFactory(name="Treated AB", external_id="TREATED")


@pytest.fixture
def held_out_company(db):
    return CompanyFactory(name="Held Out AB", external_id="HELDOUT")


@pytest.fixture
def double_tools(rules, tools, owner, treated_company, held_out_company):
    """A running campaign: double points on power tools, one treated and one held-out company."""
    campaign = CampaignFactory(name="Tools boost", owner=owner)
    CampaignRuleFactory(campaign=campaign, multiplier=Decimal("2"), categories=[tools])
    return run_campaign(campaign, treated=[treated_company], held_out=[held_out_company])


@pytest.fixture
def home(portal_site):
    from cms.models import HomePage

    return HomePage.objects.get(pk=portal_site.root_page_id)
