"""Real concurrency on PostgreSQL: a campaign's budget holds, and "once" stays once, whatever races.

Threads are released together by a barrier; each has its own connection, closed at the end.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django.core import mail

from campaigns.models import (
    ActivityKind,
    AwardKind,
    Campaign,
    CampaignAward,
    CampaignMember,
    RuleKind,
)
from campaigns.services import CampaignError, activity_complete
from members.models import MembershipRole
from rewards.ledger.selectors import ledger_mismatches
from rewards.ledger.services import LedgerError
from rewards.models import LedgerEntry
from rewards.purchases.services import PurchaseLineInput, purchase_record
from tests.concurrency import race
from tests.factories import CompanyFactory, MembershipFactory
from tests.rewards.factories import NOW

from .factories import ActivityFactory, CampaignRuleFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REFUSED = (CampaignError, LedgerError)


def _buy(company, ref: str, amount: str = "1000.00"):
    return purchase_record(
        company=company,
        source="erp",
        external_id=ref,
        occurred_at=NOW,
        net_amount=Decimal(amount),
        currency="SEK",
        lines=[PurchaseLineInput(sku="SKU", amount=Decimal(amount), category_code="TOOLS")],
        now=NOW,
    )


def test_given_40_purchases_and_activities_racing_for_a_small_budget_then_never_above_it(
    require_postgres, double_tools, tools
):
    # Each purchase wants 1 500 campaign points, each review 400: 60 000 wanted, 10 000 to give.
    Campaign.objects.filter(pk=double_tools.pk).update(points_budget=10_000)
    companies = CompanyFactory.create_batch(30)
    CampaignMember.objects.bulk_create(
        CampaignMember(campaign=double_tools, company=c, in_holdout=False) for c in companies
    )
    review = ActivityFactory(kind=ActivityKind.REVIEW, subject="Drill", campaign=double_tools, points=400)
    reviewers = [MembershipFactory(company=company, role=MembershipRole.PURCHASER).user for company in companies[:10]]
    calls = [lambda c=c, n=n: _buy(c, f"P-{n}") for n, c in enumerate(companies)]
    calls += [
        lambda u=u: activity_complete(
            activity_id=review.pk, user=u, rating=5, text="Strong, light and it lasts.", now=NOW
        )
        for u in reviewers
    ]

    outcomes, _results, _refusals = race(calls, refused=REFUSED)

    assert set(outcomes) <= {"ok", "refused"}, outcomes
    campaign = Campaign.objects.get(pk=double_tools.pk)
    awarded = sum(CampaignAward.objects.filter(campaign=campaign).values_list("points", flat=True))
    assert campaign.points_awarded == awarded == 10_000  # used up exactly, never more
    earned_extra = sum(
        entry.pending_points - 1500 for entry in LedgerEntry.objects.filter(kind="earn", purchase__isnull=False)
    )
    activity_points = sum(
        LedgerEntry.objects.filter(kind="earn", purchase__isnull=True).values_list("points", flat=True)
    )
    assert earned_extra + activity_points == 10_000
    assert ledger_mismatches() == []
    alerts = [message for message in mail.outbox if "Tools boost" in message.subject]
    assert len(alerts) == 1


def test_given_20_concurrent_first_purchases_of_one_company_then_one_bonus(
    require_postgres, double_tools, treated_company
):
    CampaignRuleFactory(campaign=double_tools, kind=RuleKind.FIRST_PURCHASE, multiplier=None, bonus_points=500)

    outcomes, _results, _refusals = race(
        [lambda n=n: _buy(treated_company, f"P-{n}", "10.00") for n in range(20)], refused=REFUSED
    )

    assert outcomes == Counter({"ok": 20})
    assert CampaignAward.objects.filter(kind=AwardKind.FIRST_PURCHASE).count() == 1
    assert ledger_mismatches() == []


def test_given_10_colleagues_completing_a_company_activity_at_once_then_it_awards_once(
    require_postgres, rules, treated_company
):
    survey = ActivityFactory(kind=ActivityKind.SURVEY, points=300)
    users = [MembershipFactory(company=treated_company).user for _ in range(10)]

    outcomes, _results, _refusals = race(
        [lambda u=u: activity_complete(activity_id=survey.pk, user=u, score=9) for u in users], refused=REFUSED
    )

    assert outcomes == Counter({"ok": 10})
    assert LedgerEntry.objects.filter(idempotency_key__startswith=f"award:activity:{survey.pk}:").count() == 1
    assert ledger_mismatches() == []
