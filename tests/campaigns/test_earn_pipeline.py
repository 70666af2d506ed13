"""rewards' earn pipeline with campaigns plugged in: rewards knows no campaigns, campaigns add
their points through the contributor they register, and the example members read is the earn."""

from __future__ import annotations

from decimal import Decimal

import pytest

from campaigns.earn import CampaignEarn
from campaigns.models import CampaignAward, RuleKind
from cms.points import programme_facts
from rewards import earn as pipeline
from rewards.ledger.services import points_account_for_company
from rewards.models import PointsAccount

from .factories import CampaignFactory, CampaignRuleFactory, run_campaign
from .test_earn import buy

pytestmark = pytest.mark.django_db


def test_campaigns_register_their_contributor_once_at_start_up():
    contributors = pipeline.earn_contributors()

    assert [type(contributor) for contributor in contributors] == [CampaignEarn]


def test_without_a_contributor_a_purchase_earns_its_own_points_and_nothing_else(
    double_tools, treated_company, monkeypatch
):
    monkeypatch.setattr(pipeline, "_contributors", [])

    earn = buy(treated_company, "P-1", ("1000.00", "TOOLS"))

    assert earn.pending_points == 1500  # 1 000 SEK × 1.5, no campaign ×2
    assert earn.memo == "Purchase P-1"
    assert not CampaignAward.objects.exists()


def test_the_stacking_example_on_how_points_work_is_what_the_earn_gives_for_the_same_purchase(
    rules, tools, gold, owner, treated_company
):
    """The page shows a ×2 campaign with a first-purchase bonus for the richest category and
    the top tier; the same purchase, made by a Gold company during such a campaign, earns
    exactly the example's total."""
    example = programme_facts().campaign_example
    campaign = CampaignFactory(name="Example", owner=owner, points_budget=10_000_000)
    CampaignRuleFactory(campaign=campaign, multiplier=example.campaign_multiplier, categories=[tools])
    CampaignRuleFactory(campaign=campaign, kind=RuleKind.FIRST_PURCHASE, multiplier=None, bonus_points=example.bonus)
    run_campaign(campaign, treated=[treated_company])
    account = points_account_for_company(company=treated_company)
    PointsAccount.objects.filter(pk=account.pk).update(tier=gold)

    earn = buy(treated_company, "P-EX", (str(example.amount), tools.code))

    assert (example.category_name, example.tier_name) == (tools.name, gold.name)
    assert (example.category_multiplier, example.tier_multiplier) == (tools.multiplier, gold.earn_multiplier)
    assert example.per_unit == Decimal(rules.points_per_currency_unit)
    assert earn.pending_points == example.total
    assert sum(CampaignAward.objects.values_list("points", flat=True)) == example.campaign_points + example.bonus
