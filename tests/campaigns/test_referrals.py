"""Referrals: the referrer's company earns when the referred company makes its first purchase, by either path."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from campaigns.models import ActivityKind, CompletionStatus, Referral, ReferralStatus
from campaigns.services import CampaignError, referral_create, referrals_reward_due
from members.models import Country
from rewards.models import LedgerEntry, PointsAccount, PurchaseImport
from rewards.purchases.imports import purchase_import_run
from rewards.purchases.services import purchase_record
from tests.factories import CompanyFactory, MembershipFactory, _valid_swedish_org_number
from tests.rewards.factories import NOW, PurchaseFactory
from tests.rewards.helpers import assert_ledger_consistent

from .factories import ActivityFactory

pytestmark = pytest.mark.django_db

PROSPECT_ORG_NUMBER = _valid_swedish_org_number(987_654)


@pytest.fixture
def referral_activity(rules):
    return ActivityFactory(kind=ActivityKind.REFERRAL, title="Recommend a company", points=2500)


@pytest.fixture
def referrer(treated_company):
    return MembershipFactory(company=treated_company).user


def refer(activity, user, org_number=PROSPECT_ORG_NUMBER, name="Prospect AB") -> Referral:
    return referral_create(
        activity_id=activity.pk,
        user=user,
        company_name=name,
        country=Country.SWEDEN,
        org_number=org_number.replace("-", ""),  # typed without the dash: normalised
        contact_name="Karin Lund",
        contact_email="karin@prospect.example",
    )


def referrer_points(company) -> int:
    account = PointsAccount.objects.filter(company=company).first()
    return account.balance if account else 0


def _buy(company, ref: str):
    return purchase_record(
        company=company,
        source="erp",
        external_id=ref,
        occurred_at=NOW,
        net_amount=Decimal("100.00"),
        currency="SEK",
        lines=[],
        now=NOW,
    )


def test_given_a_referral_when_the_company_joins_and_buys_through_the_api_then_the_referrer_earns_once(
    referral_activity, referrer, treated_company, django_capture_on_commit_callbacks
):
    referral = refer(referral_activity, referrer)
    assert referral.org_number == PROSPECT_ORG_NUMBER and referral.status == ReferralStatus.PENDING
    prospect = CompanyFactory(org_number=PROSPECT_ORG_NUMBER)

    with django_capture_on_commit_callbacks(execute=True):
        _buy(prospect, "FIRST")
    with django_capture_on_commit_callbacks(execute=True):
        _buy(prospect, "SECOND")

    referral.refresh_from_db()
    assert (referral.status, referral.referred_company) == (ReferralStatus.REWARDED, prospect)
    assert referral.completion.status == CompletionStatus.AWARDED
    assert referral.completion.user == referrer
    assert referrer_points(treated_company) == 2500
    assert PointsAccount.objects.get(company=prospect).pending == 200  # its own purchases, untouched
    assert_ledger_consistent()


@pytest.mark.parametrize("set_based", [False, pytest.param(True, marks=pytest.mark.postgres)])
def test_given_a_referral_when_the_first_purchase_comes_in_a_csv_import_then_the_referrer_earns(
    referral_activity, referrer, treated_company, django_capture_on_commit_callbacks, request, set_based
):
    if set_based:
        request.getfixturevalue("require_postgres")
    refer(referral_activity, referrer)
    CompanyFactory(org_number=PROSPECT_ORG_NUMBER, external_id="PROSPECT")
    purchase_import = PurchaseImport(original_name="erp.csv")
    content = (
        "company_external_id,source,external_id,occurred_at,net_amount,currency\n"
        "PROSPECT,erp,P-1,2026-06-10,500.00,SEK\n"
        "PROSPECT,erp,P-2,2026-06-11,250.00,SEK\n"
    )
    purchase_import.file.save("erp.csv", ContentFile(content.encode()), save=False)
    purchase_import.save()

    with django_capture_on_commit_callbacks(execute=True):
        done = purchase_import_run(import_id=purchase_import.pk, now=NOW, set_based=set_based)

    assert done.rows_created == 2
    assert referrer_points(treated_company) == 2500
    assert Referral.objects.get().status == ReferralStatus.REWARDED


def test_given_a_purchase_that_skipped_the_hooks_then_the_periodic_sweep_rewards_the_referral(
    referral_activity, referrer, treated_company
):
    refer(referral_activity, referrer)
    PurchaseFactory(company=CompanyFactory(org_number=PROSPECT_ORG_NUMBER))  # recorded without the earn path

    assert referrals_reward_due(now=NOW) == 1
    assert referrals_reward_due(now=NOW) == 0
    assert referrer_points(treated_company) == 2500
    assert LedgerEntry.objects.filter(idempotency_key__startswith="award:activity:").count() == 1


@pytest.mark.parametrize(
    ("org_number", "message"),
    [
        ("556016-0681", "wrong check digit"),
        ("12345", "ten digits"),
    ],
)
def test_given_a_bad_organisation_number_then_the_referral_is_refused(referral_activity, referrer, org_number, message):
    with pytest.raises(CampaignError, match=message):
        refer(referral_activity, referrer, org_number=org_number)
    assert not Referral.objects.exists()


def test_given_the_own_company_a_buying_member_or_a_company_referred_before_then_refused(
    referral_activity, referrer, treated_company
):
    member = CompanyFactory(name="Member AB")
    PurchaseFactory(company=member)
    refer(referral_activity, referrer)

    with pytest.raises(CampaignError, match="your own company"):
        refer(referral_activity, referrer, org_number=treated_company.org_number)
    with pytest.raises(CampaignError, match="already a member"):
        refer(referral_activity, referrer, org_number=member.org_number, name="Member AB")
    other_referrer = MembershipFactory().user
    with pytest.raises(CampaignError, match="already been recommended"):
        refer(referral_activity, other_referrer)

    assert Referral.objects.count() == 1
