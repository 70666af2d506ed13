"""Challenges with progress, badges on the company page, and the opt-in leaderboard of a tier."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from campaigns.models import ActivityKind, BadgeAward, ChallengeCompletion, ChallengeGoal, LeaderboardOptIn
from campaigns.selectors import challenge_progress, challenge_progress_for, leaderboard_for
from campaigns.services import (
    CampaignError,
    activity_complete,
    challenges_evaluate,
    leaderboard_join,
    leaderboard_leave,
)
from members.models import Membership, MembershipRole
from rewards.models import PointsAccount
from tests.factories import CompanyFactory, MembershipFactory
from tests.rewards.factories import NOW, ProductCategoryFactory, PurchaseFactory, PurchaseLineFactory, TierFactory

from .factories import ActivityFactory, BadgeFactory, ChallengeFactory

pytestmark = pytest.mark.django_db


def bought(company, *categories, at=NOW):
    purchase = PurchaseFactory(company=company, occurred_at=at)
    for category in categories:
        PurchaseLineFactory(purchase=purchase, category=category)
    return purchase


@pytest.fixture
def ranges(db):
    return [ProductCategoryFactory() for _ in range(4)]


def test_given_a_three_category_challenge_then_progress_counts_distinct_categories_in_its_period(
    rules, treated_company, ranges
):
    challenge = ChallengeFactory(goal=ChallengeGoal.CATEGORIES, target=3)
    bought(treated_company, ranges[0], ranges[0])
    bought(treated_company, ranges[1])
    bought(treated_company, ranges[2], at=challenge.starts_at - timedelta(days=1))  # before it: not counted

    [progress] = challenge_progress_for(company=treated_company, now=NOW)

    assert (progress.progress, progress.remaining, progress.percent, progress.done) == (2, 1, 66, False)


def test_given_companies_that_reach_the_target_then_the_task_records_points_and_badge_once(
    rules, treated_company, held_out_company, ranges
):
    badge = BadgeFactory(name="All-rounder")
    challenge = ChallengeFactory(goal=ChallengeGoal.CATEGORIES, target=3, points=1500, badge=badge)
    bought(treated_company, *ranges[:3])
    bought(held_out_company, *ranges[:2])

    assert challenges_evaluate(now=NOW) == 1
    assert challenges_evaluate(now=NOW) == 0

    completion = ChallengeCompletion.objects.get()
    assert (completion.company, completion.points, completion.challenge) == (treated_company, 1500, challenge)
    assert PointsAccount.objects.get(company=treated_company).balance == 1500
    assert list(BadgeAward.objects.values_list("badge__name", "company")) == [("All-rounder", treated_company.pk)]


def test_given_purchase_count_spend_and_activity_goals_then_each_counts_its_own_thing(rules, treated_company):
    purchases = ChallengeFactory(goal=ChallengeGoal.PURCHASES, target=2)
    spend = ChallengeFactory(goal=ChallengeGoal.SPEND, target=2500)
    activities = ChallengeFactory(goal=ChallengeGoal.ACTIVITIES, target=1)
    PurchaseFactory(company=treated_company, net_amount=Decimal("1000"))
    PurchaseFactory(company=treated_company, net_amount=Decimal("2000"))
    survey = ActivityFactory(kind=ActivityKind.SURVEY)
    activity_complete(activity_id=survey.pk, user=MembershipFactory(company=treated_company).user, score=9, now=NOW)

    progress = {item.challenge.pk: item.progress for item in challenge_progress_for(company=treated_company, now=NOW)}

    assert progress == {purchases.pk: 2, spend.pk: 3000, activities.pk: 1}


def test_given_a_company_whose_purchases_and_activities_all_predate_the_challenges_then_progress_skips_it(
    rules, treated_company, ranges
):
    """Progress reads the challenges' windows only, not every company's whole history: a
    company with nothing in any window has no row at all (its progress is 0)."""
    challenges = {goal: ChallengeFactory(goal=goal, target=1) for goal in ChallengeGoal.values}
    veteran = CompanyFactory(name="Veteran AB")
    years_ago = NOW - timedelta(days=700)
    for _ in range(3):
        bought(veteran, ranges[0], ranges[1], at=years_ago)
    survey = ActivityFactory(kind=ActivityKind.SURVEY)
    activity_complete(activity_id=survey.pk, user=MembershipFactory(company=veteran).user, score=9, now=years_ago)
    bought(treated_company, ranges[0], ranges[1])
    activity_complete(activity_id=survey.pk, user=MembershipFactory(company=treated_company).user, score=8, now=NOW)

    progress = challenge_progress(list(challenges.values()), company_ids=None)

    assert {goal: progress[challenge.pk] for goal, challenge in challenges.items()} == {
        ChallengeGoal.CATEGORIES: {treated_company.pk: 2},
        ChallengeGoal.PURCHASES: {treated_company.pk: 1},
        ChallengeGoal.SPEND: {treated_company.pk: 1000},
        ChallengeGoal.ACTIVITIES: {treated_company.pk: 1},
    }


def test_given_a_campaign_challenge_then_the_hold_out_neither_sees_nor_completes_it(
    double_tools, treated_company, held_out_company, ranges
):
    ChallengeFactory(goal=ChallengeGoal.PURCHASES, target=1, campaign=double_tools)
    PurchaseFactory(company=treated_company)
    PurchaseFactory(company=held_out_company)

    assert challenge_progress_for(company=held_out_company, now=NOW) == []
    assert challenges_evaluate(now=NOW) == 1
    assert set(ChallengeCompletion.objects.values_list("company", flat=True)) == {treated_company.pk}


def test_the_company_page_shows_the_badges(client, rules, treated_company):
    BadgeAward.objects.create(badge=BadgeFactory(name="Early bird"), company=treated_company)
    client.force_login(MembershipFactory(company=treated_company).user)

    page = client.get(reverse("members:company")).content.decode()

    assert "Early bird" in page


# --- Leaderboard ---------------------------------------------------------------------------------------


@pytest.fixture
def silver_club(rules):
    silver, gold = TierFactory(name="Silver"), TierFactory(name="Gold")
    companies = {name: CompanyFactory(name=name) for name in ["Alfa AB", "Beta AB", "Gamma AB", "Delta AB"]}
    for name, company in companies.items():
        PointsAccount.objects.create(company=company, tier=gold if name == "Delta AB" else silver)
        MembershipFactory(company=company, role=MembershipRole.ADMIN)
    return companies


def test_the_leaderboard_ranks_opted_in_companies_of_the_same_tier_by_activity_points(silver_club):
    survey = ActivityFactory(kind=ActivityKind.SURVEY, points=300)
    review = ActivityFactory(kind=ActivityKind.REVIEW, subject="Drill", points=500)
    for name in ["Alfa AB", "Beta AB", "Delta AB"]:
        LeaderboardOptIn.objects.create(company=silver_club[name])
    for name, activity in [("Alfa AB", survey), ("Beta AB", survey), ("Beta AB", review), ("Delta AB", review)]:
        user = Membership.objects.filter(company=silver_club[name]).first().user
        activity_complete(
            activity_id=activity.pk, user=user, score=8, rating=5, text="A solid drill for every day.", now=NOW
        )

    board = leaderboard_for(company=silver_club["Alfa AB"], now=NOW)

    assert board.tier_name == "Silver"
    assert [(row.rank, row.company_name, row.score, row.is_you) for row in board.rows] == [
        (1, "Beta AB", 800, False),
        (2, "Alfa AB", 300, True),
    ]  # Gamma did not opt in; Delta is Gold


def test_a_company_that_has_not_opted_in_sees_no_one_and_only_admins_decide(silver_club):
    LeaderboardOptIn.objects.create(company=silver_club["Beta AB"])
    gamma_admin = Membership.objects.get(company=silver_club["Gamma AB"])
    purchaser = MembershipFactory(company=silver_club["Gamma AB"], role=MembershipRole.PURCHASER)

    assert leaderboard_for(company=silver_club["Gamma AB"]).rows == []
    with pytest.raises(CampaignError, match="Only a company admin"):
        leaderboard_join(membership=purchaser)
    leaderboard_join(membership=gamma_admin)
    assert [row.company_name for row in leaderboard_for(company=silver_club["Gamma AB"]).rows] == [
        "Beta AB",
        "Gamma AB",
    ]
    leaderboard_leave(membership=gamma_admin)
    assert not LeaderboardOptIn.objects.filter(company=silver_club["Gamma AB"]).exists()
