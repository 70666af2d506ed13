"""Factories for campaigns, activities and challenges."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory

from campaigns.models import (
    Activity,
    ActivityKind,
    ActivityScope,
    AudienceKind,
    Badge,
    Campaign,
    CampaignMember,
    CampaignRule,
    CampaignStatus,
    Challenge,
    ChallengeGoal,
    RuleKind,
)
from tests.factories import StaffFactory
from tests.rewards.factories import NOW


class CampaignFactory(factory.django.DjangoModelFactory):
    """A draft campaign for every member company, running the 30 days around ``NOW``."""

    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    headline = "Double points on power tools."
    owner = factory.SubFactory(StaffFactory)
    starts_at = NOW - timedelta(days=15)
    ends_at = NOW + timedelta(days=15)
    audience_kind = AudienceKind.ALL
    holdout_percent = 0
    points_budget = 1_000_000
    status = CampaignStatus.DRAFT


class CampaignRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignRule
        skip_postgeneration_save = True

    campaign = factory.SubFactory(CampaignFactory)
    kind = RuleKind.MULTIPLIER
    multiplier = Decimal("2")

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.set(extracted)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    kind = ActivityKind.SURVEY
    title = factory.Sequence(lambda n: f"Activity {n}")
    points = 200
    scope = ActivityScope.COMPANY


class BadgeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Badge

    name = factory.Sequence(lambda n: f"Badge {n}")


class ChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Challenge

    title = factory.Sequence(lambda n: f"Challenge {n}")
    goal = ChallengeGoal.CATEGORIES
    target = 3
    starts_at = NOW - timedelta(days=30)
    ends_at = NOW + timedelta(days=30)
    points = 500


def run_campaign(campaign: Campaign, *, treated=(), held_out=(), now=None) -> Campaign:
    """Make ``campaign`` active with exactly these groups (tests that need known groups)."""
    for company in treated:
        CampaignMember.objects.create(campaign=campaign, company=company, in_holdout=False)
    for company in held_out:
        CampaignMember.objects.create(campaign=campaign, company=company, in_holdout=True)
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.ACTIVE,
        started_at=now or campaign.starts_at,
        audience_size=len(treated) + len(held_out),
        holdout_size=len(held_out),
    )
    campaign.refresh_from_db()
    return campaign
