"""The demo catalogue and orders: 28 rewards of every kind (three of them EUR money rewards) with real pictures, orders in every
status made through the services, and a second run that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PIL import Image

from members.staff_groups import SALES_REPS
from portal.demo import SeedSummary, seed_companies, seed_contacts, seed_staff
from rewards.demo import seed_points
from rewards.models import (
    CompanyRewardSettings,
    EntryKind,
    LedgerEntry,
    Redemption,
    RedemptionStatus,
    Reward,
    RewardImage,
    RewardKind,
    VoucherCode,
)

from .helpers import assert_ledger_consistent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def seeded(db):
    summary = SeedSummary()
    staff = seed_staff(summary)
    companies = seed_companies(summary, staff[SALES_REPS])[:7]  # Bergström first; 3 and 6 redeem
    seed_contacts(summary, companies)
    seed_points(SeedSummary(), companies, now=NOW)
    return companies


def snapshot() -> dict:
    return {
        "rewards": sorted(Reward.objects.values_list("sku", "stock")),
        "images": RewardImage.objects.count(),
        "codes": sorted(VoucherCode.objects.values_list("code", "redemption_id")),
        "redemptions": sorted(Redemption.objects.values_list("pk", "status", "points_total")),
        "entries": LedgerEntry.objects.count(),
        "settings": sorted(
            CompanyRewardSettings.objects.values_list("company_id", "approval_threshold", "goal_reward_id")
        ),
    }


def test_given_the_demo_then_28_rewards_of_every_kind_each_with_a_real_picture(seeded):
    assert Reward.objects.count() == 28
    assert sorted(Reward.objects.filter(currency="EUR").values_list("sku", flat=True)) == [
        "DONATE-EUR",
        "GC-EUR-25",
        "INVOICE-EUR-100",
    ]
    assert set(Reward.objects.values_list("kind", flat=True)) == set(RewardKind.values)
    for image in RewardImage.objects.select_related("reward"):
        with image.thumbnail.open() as thumbnail:
            assert Image.open(thumbnail).size == (640, 480)
    assert RewardImage.objects.values("reward").distinct().count() == 28
    assert VoucherCode.objects.filter(redemption__isnull=True).exists()


def test_given_the_demo_when_a_dutch_company_buying_in_eur_reads_the_catalogue_then_no_sum_in_sek_is_offered(seeded):
    from members.models import Country
    from rewards.catalogue.selectors import catalogue_rewards
    from tests.factories import CompanyFactory

    dutch = CompanyFactory(country=Country.NETHERLANDS, org_number="12345678")
    assert dutch.purchase_currency == "EUR"

    offered = {reward.sku: reward for reward in catalogue_rewards(company=dutch, now=NOW)}

    assert {"GC-EUR-25", "INVOICE-EUR-100", "DONATE-EUR", "THERMOS"} <= set(offered)
    assert not {"GC-200", "INVOICE-1000", "DONATE-CHILD"} & set(offered)
    assert not [reward.title for reward in offered.values() if "SEK" in reward.title_en]


def test_given_the_demo_then_bergstrom_has_an_order_in_every_status_made_through_the_services(seeded):
    bergstrom = seeded[0]

    statuses = set(Redemption.objects.filter(company=bergstrom).values_list("status", flat=True))

    assert statuses == set(RedemptionStatus.values)
    for redemption in Redemption.objects.select_related("redeem_entry", "return_entry"):
        assert redemption.redeem_entry.kind == EntryKind.REDEEM
        assert redemption.redeem_entry.points == -redemption.points_total
        closed = redemption.status in (RedemptionStatus.REJECTED, RedemptionStatus.CANCELLED)
        assert (redemption.return_entry is not None) == closed
        if redemption.reward_kind == RewardKind.VOUCHER and not closed:
            assert redemption.voucher_codes.count() == redemption.quantity
    assert Redemption.objects.exclude(company=bergstrom).exists()
    goal = CompanyRewardSettings.objects.get(company=bergstrom)
    assert (goal.goal_reward.sku, goal.approval_threshold) == ("ESPRESSO-PRO", 20_000)
    assert not LedgerEntry.objects.filter(kind=EntryKind.REDEEM, redemption__isnull=True).exists()
    assert_ledger_consistent()


def test_given_a_seeded_demo_when_seeded_again_then_nothing_changes(seeded):
    before = snapshot()

    summary = SeedSummary()
    seed_points(summary, seeded, now=NOW)

    assert snapshot() == before
    assert summary.report_lines() == ["Demo data already in place; nothing changed."]
