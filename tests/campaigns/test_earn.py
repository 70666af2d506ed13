"""Campaign mechanics inside the earn pipeline: the stacking rule, bonuses, who and when, the budget."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from campaigns.earn import LATE_PURCHASE_DAYS
from campaigns.models import AwardKind, Campaign, CampaignAward, CampaignStatus, RuleKind
from core.formatting import format_number
from rewards.ledger.services import points_account_for_company, qualifying_points
from rewards.models import EntryKind, LedgerEntry, PointsAccount
from rewards.purchases.services import PurchaseLineInput, purchase_record
from tests.factories import CompanyFactory, MembershipFactory
from tests.rewards.factories import NOW
from tests.rewards.helpers import assert_ledger_consistent

from .factories import CampaignFactory, CampaignRuleFactory, run_campaign

pytestmark = pytest.mark.django_db


def buy(company, ref: str, *lines: tuple[str, str | None], at=NOW, now=NOW, original: str | None = None):
    """Record a purchase of ``lines`` ((amount, category code)) through the API's path; its earn entry."""
    items = [
        PurchaseLineInput(sku=f"SKU-{n}", amount=Decimal(amount), category_code=code)
        for n, (amount, code) in enumerate(lines)
    ]
    purchase, _created = purchase_record(
        company=company,
        source="erp",
        external_id=ref,
        occurred_at=at,
        net_amount=sum((item.amount for item in items), Decimal("0")),
        currency="SEK",
        lines=items,
        original_external_id=original,
        now=now,
    )
    kind = EntryKind.REVERSAL if original else EntryKind.EARN
    return LedgerEntry.objects.get(purchase=purchase, kind=kind)


def in_gold(company, gold):
    account = points_account_for_company(company=company)
    PointsAccount.objects.filter(pk=account.pk).update(tier=gold)


# --- The stacking rule ------------------------------------------------------------------------------


def test_given_gold_and_a_double_points_campaign_then_category_times_tier_times_campaign(
    double_tools, treated_company, gold
):
    in_gold(treated_company, gold)

    # 1 000 SEK of power tools (×1.5) and 400 SEK of something else, as Gold (×1.25), during ×2 on tools
    earn = buy(treated_company, "P-1", ("1000.00", "TOOLS"), ("400.00", None))

    purchase_points = round(1000 * 1.5 * 1.25 + 400 * 1.25)  # 1 875 + 500
    campaign_points = round(1000 * 1.5 * 1.25 * (2 - 1))  # the tools line only, tier bonus included
    assert earn.pending_points == purchase_points + campaign_points == 2375 + 1875
    award = CampaignAward.objects.get()
    assert (award.campaign, award.kind, award.points, award.entry) == (double_tools, AwardKind.MULTIPLIER, 1875, earn)
    assert Campaign.objects.get(pk=double_tools.pk).points_awarded == 1875
    assert earn.memo == f"Purchase P-1 · +{format_number(1875)} campaign points: Tools boost"
    assert_ledger_consistent()


def test_given_a_fixed_bonus_then_it_is_added_as_it_is_and_only_for_the_first_purchase(
    double_tools, treated_company, gold
):
    CampaignRuleFactory(campaign=double_tools, kind=RuleKind.FIRST_PURCHASE, multiplier=None, bonus_points=500)
    in_gold(treated_company, gold)

    first = buy(treated_company, "P-1", ("100.00", None))
    second = buy(treated_company, "P-2", ("100.00", None))

    assert first.pending_points == 125 + 500  # the bonus is not multiplied by the tier
    assert second.pending_points == 125
    assert list(CampaignAward.objects.values_list("kind", "points")) == [(AwardKind.FIRST_PURCHASE, 500)]


def test_given_a_large_purchase_bonus_then_every_purchase_from_the_amount_gets_it(double_tools, treated_company):
    CampaignRuleFactory(
        campaign=double_tools,
        kind=RuleKind.LARGE_PURCHASE,
        multiplier=None,
        bonus_points=300,
        min_amount=Decimal("5000"),
    )

    below = buy(treated_company, "P-1", ("4999.99", None))
    at_threshold = buy(treated_company, "P-2", ("5000.00", None))
    above = buy(treated_company, "P-3", ("8000.00", None))

    assert below.pending_points == 5000
    assert at_threshold.pending_points == 5000 + 300
    assert above.pending_points == 8000 + 300


def test_given_two_campaigns_on_the_same_category_then_only_the_higher_multiplier_applies(
    double_tools, tools, owner, treated_company
):
    triple = run_campaign(CampaignFactory(name="Triple tools", owner=owner), treated=[treated_company])
    CampaignRuleFactory(campaign=triple, multiplier=Decimal("3"), categories=[tools])

    earn = buy(treated_company, "P-1", ("100.00", "TOOLS"))

    assert earn.pending_points == 150 + 300  # 150 × (3 − 1), not also 150 × (2 − 1)
    assert list(CampaignAward.objects.values_list("campaign__name", "points")) == [("Triple tools", 300)]


def test_given_many_small_lines_then_the_campaign_extra_is_rounded_once(double_tools, treated_company):
    # Each line's extra is 0.30 × 1.5 × (2 − 1) = 0.45 points: 0 on its own, 1.35 → 1 together.
    earn = buy(treated_company, "P-1", ("0.30", "TOOLS"), ("0.30", "TOOLS"), ("0.30", "TOOLS"))

    assert earn.pending_points == 1 + 1  # round(1.35) for the purchase, round(1.35) for the campaign


# --- Who and when ---------------------------------------------------------------------------------------


def test_given_the_hold_out_and_companies_outside_the_audience_then_they_earn_as_usual(double_tools, held_out_company):
    outsider = CompanyFactory()

    held_out = buy(held_out_company, "H-1", ("1000.00", "TOOLS"))
    outside = buy(outsider, "O-1", ("1000.00", "TOOLS"))

    assert held_out.pending_points == outside.pending_points == 1500
    assert "campaign" not in held_out.memo
    assert not CampaignAward.objects.exists()


def test_given_a_purchase_outside_the_campaign_period_then_no_campaign_points(double_tools, treated_company):
    before = buy(treated_company, "P-0", ("100.00", "TOOLS"), at=double_tools.starts_at - timedelta(minutes=1))
    after = buy(treated_company, "P-9", ("100.00", "TOOLS"), at=double_tools.ends_at, now=double_tools.ends_at)

    assert before.pending_points == after.pending_points == 150


def test_given_an_ended_campaign_then_purchases_in_its_period_reported_a_few_days_late_still_count(
    double_tools, treated_company
):
    Campaign.objects.filter(pk=double_tools.pk).update(status=CampaignStatus.ENDED)
    during = double_tools.ends_at - timedelta(days=1)
    late_but_in_time = double_tools.ends_at + timedelta(days=LATE_PURCHASE_DAYS - 1)
    too_late = double_tools.ends_at + timedelta(days=LATE_PURCHASE_DAYS, minutes=1)

    counted = buy(treated_company, "P-1", ("100.00", "TOOLS"), at=during, now=late_but_in_time)
    not_counted = buy(treated_company, "P-2", ("100.00", "TOOLS"), at=during, now=too_late)

    assert counted.pending_points == 300
    assert not_counted.pending_points == 150


@pytest.fixture
def due_campaign(rules, tools, owner, treated_company):
    """Double points on power tools from a minute ago: scheduled, not started by the beat yet."""
    campaign = CampaignFactory(
        name="Tools boost", owner=owner, starts_at=NOW - timedelta(minutes=1), status=CampaignStatus.SCHEDULED
    )
    CampaignRuleFactory(campaign=campaign, multiplier=Decimal("2"), categories=[tools])
    return campaign


def test_given_a_campaign_whose_start_the_beat_has_not_reached_then_a_purchase_in_it_starts_it_and_counts(
    due_campaign, treated_company, django_capture_on_commit_callbacks
):
    before_it = buy(treated_company, "P-0", ("100.00", "TOOLS"), at=due_campaign.starts_at - timedelta(seconds=1))
    assert Campaign.objects.get(pk=due_campaign.pk).status == CampaignStatus.SCHEDULED  # not its business

    with django_capture_on_commit_callbacks(execute=True):
        in_it = buy(treated_company, "P-1", ("100.00", "TOOLS"))

    campaign = Campaign.objects.get(pk=due_campaign.pk)
    assert (campaign.status, campaign.started_at, campaign.points_awarded) == (CampaignStatus.ACTIVE, NOW, 150)
    assert campaign.members.filter(company=treated_company, in_holdout=False).exists()
    assert (before_it.pending_points, in_it.pending_points) == (150, 300)
    assert_ledger_consistent()


@pytest.mark.parametrize("set_based", [False, pytest.param(True, marks=pytest.mark.postgres)])
def test_given_a_campaign_whose_start_the_beat_has_not_reached_then_a_csv_import_starts_it_first(
    due_campaign, treated_company, request, set_based
):
    from django.core.files.base import ContentFile

    from rewards.models import PurchaseImport
    from rewards.purchases.imports import purchase_import_run

    if set_based:
        request.getfixturevalue("require_postgres")
    purchase_import = PurchaseImport(original_name="erp.csv")
    content = (
        "company_external_id,source,external_id,occurred_at,net_amount,currency,category_code\n"
        f"TREATED,erp,P-1,{NOW.isoformat()},100.00,SEK,TOOLS\n"
    )
    purchase_import.file.save("erp.csv", ContentFile(content.encode()), save=False)
    purchase_import.save()

    done = purchase_import_run(import_id=purchase_import.pk, now=NOW, set_based=set_based)

    assert done.rows_created == 1
    assert Campaign.objects.get(pk=due_campaign.pk).status == CampaignStatus.ACTIVE
    assert LedgerEntry.objects.get(kind=EntryKind.EARN).pending_points == 300
    assert_ledger_consistent()


def test_given_a_cancelled_campaign_then_it_stops_rewarding_at_once(double_tools, treated_company):
    Campaign.objects.filter(pk=double_tools.pk).update(status=CampaignStatus.CANCELLED)

    assert buy(treated_company, "P-1", ("100.00", "TOOLS")).pending_points == 150


# --- Points, returns, tiers, history ----------------------------------------------------------------------


def test_given_a_credit_note_then_campaign_points_are_taken_back_in_proportion(double_tools, treated_company):
    earn = buy(treated_company, "P-1", ("1000.00", "TOOLS"))
    assert earn.pending_points == 3000

    reversal = buy(treated_company, "C-1", ("-500.00", "TOOLS"), original="P-1")

    assert reversal.pending_points == -1500
    assert PointsAccount.objects.get(company=treated_company).pending == 1500
    assert_ledger_consistent()


def test_given_campaign_points_then_they_count_towards_the_tier_like_the_purchase_points(double_tools, treated_company):
    buy(treated_company, "P-1", ("1000.00", "TOOLS"))

    account = PointsAccount.objects.get(company=treated_company)
    assert qualifying_points(account=account, now=NOW) == 3000


def test_given_campaign_points_then_the_member_sees_the_campaign_in_the_points_history(
    client, double_tools, treated_company
):
    buy(treated_company, "P-1", ("1000.00", "TOOLS"))
    client.force_login(MembershipFactory(company=treated_company).user)

    page = client.get(reverse("rewards:history")).content.decode()

    assert f"Purchase P-1 · +{format_number(1500)} campaign points: Tools boost" in page


# --- The budget --------------------------------------------------------------------------------------------


def test_given_a_budget_then_the_award_that_reaches_it_is_cut_and_the_owner_is_told_once(
    double_tools, treated_company, django_capture_on_commit_callbacks
):
    Campaign.objects.filter(pk=double_tools.pk).update(points_budget=1000)

    with django_capture_on_commit_callbacks(execute=True):
        first = buy(treated_company, "P-1", ("1000.00", "TOOLS"))  # would be 1 500 extra
    with django_capture_on_commit_callbacks(execute=True):
        second = buy(treated_company, "P-2", ("1000.00", "TOOLS"))

    assert first.pending_points == 1500 + 1000
    assert second.pending_points == 1500
    campaign = Campaign.objects.get(pk=double_tools.pk)
    assert campaign.points_awarded == campaign.points_budget == 1000
    assert campaign.budget_alert_sent_at is not None
    assert [message.to for message in mail.outbox] == [["owner@club.example"]]
    assert "Tools boost" in mail.outbox[0].subject
