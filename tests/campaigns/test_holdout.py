"""The hold-out group: a stable pseudo-random share of the audience, frozen at the start, that gets nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from campaigns.models import Campaign, CampaignMember, CampaignStatus
from campaigns.selectors import audience_split, in_holdout
from campaigns.services import campaign_start
from tests.factories import CompanyFactory
from tests.rewards.factories import NOW

from .factories import CampaignFactory, CampaignRuleFactory


def test_the_split_is_stable_and_close_to_the_share():
    ids = range(1, 20_001)

    first = [company_id for company_id in ids if in_holdout(seed="abc", company_id=company_id, percent=10)]
    again = [company_id for company_id in ids if in_holdout(seed="abc", company_id=company_id, percent=10)]

    assert first == again
    assert 0.09 < len(first) / len(ids) < 0.11


def test_a_company_keeps_its_group_whoever_else_is_in_the_audience():
    campaign = Campaign(holdout_seed="stable-seed", holdout_percent=30)
    _treated, small = audience_split(campaign, range(1, 50))
    _treated, large = audience_split(campaign, range(1, 5000))

    assert set(small) == {company_id for company_id in large if company_id < 50}


def test_each_campaign_splits_the_club_differently_and_a_zero_share_holds_out_nobody():
    ids = range(1, 2001)
    spring = {company_id for company_id in ids if in_holdout(seed="spring", company_id=company_id, percent=20)}
    autumn = {company_id for company_id in ids if in_holdout(seed="autumn", company_id=company_id, percent=20)}

    assert spring != autumn
    assert len(spring & autumn) < len(spring) / 2  # about 20 % of 20 % overlap, not all of it
    assert not any(in_holdout(seed="spring", company_id=company_id, percent=0) for company_id in ids)


@pytest.mark.django_db
def test_given_a_started_campaign_then_its_groups_are_the_hash_split_frozen_at_the_start(rules, owner):
    companies = CompanyFactory.create_batch(60)
    campaign = CampaignFactory(owner=owner, holdout_percent=25, status=CampaignStatus.SCHEDULED)
    CampaignRuleFactory(campaign=campaign)

    assert campaign_start(campaign_id=campaign.pk, now=NOW)
    late_joiner = CompanyFactory()
    assert not campaign_start(campaign_id=campaign.pk, now=NOW + timedelta(minutes=1))  # a second run

    members = dict(CampaignMember.objects.filter(campaign=campaign).values_list("company_id", "in_holdout"))
    assert set(members) == {company.pk for company in companies}
    assert late_joiner.pk not in members
    assert members == {
        company.pk: in_holdout(seed=campaign.holdout_seed, company_id=company.pk, percent=25) for company in companies
    }
    assert 0 < sum(members.values()) < len(members)
    campaign.refresh_from_db()
    assert (campaign.audience_size, campaign.holdout_size) == (60, sum(members.values()))
