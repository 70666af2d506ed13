"""The demo points: real figures through the real services, and a second run changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from members.staff_groups import SALES_REPS
from portal.demo import SeedSummary, seed_companies, seed_contacts, seed_staff
from rewards.demo import seed_points
from rewards.ledger.selectors import account_summary
from rewards.models import EntryKind, LedgerEntry, PointsAccount, ProgrammeCurrency, ProgrammeRules, Purchase

from .helpers import assert_ledger_consistent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def demo_companies(db):
    summary = SeedSummary()
    staff = seed_staff(summary)
    companies = seed_companies(summary, staff[SALES_REPS])[:4]  # Bergström first
    seed_contacts(summary, companies)
    return companies


def snapshot() -> dict:
    return {
        "purchases": Purchase.objects.count(),
        "entries": sorted(LedgerEntry.objects.values_list("idempotency_key", "points", "pending_points")),
        "accounts": sorted(
            PointsAccount.objects.values_list("company_id", "balance", "pending", "shortfall", "tier_id")
        ),
        "rules": ProgrammeRules.objects.values_list("point_value", "currency").get(),
    }


def test_given_demo_companies_when_seeded_then_two_years_of_real_points_show_everywhere(demo_companies):
    seed_points(SeedSummary(), demo_companies, now=NOW)

    bergstrom = account_summary(company=demo_companies[0], now=NOW)
    first_purchase = Purchase.objects.order_by("occurred_at").first().occurred_at
    assert (NOW - first_purchase).days > 700  # two years of history
    assert ProgrammeRules.current().currency == "SEK"
    assert bergstrom.balance > 0 and bergstrom.balance_value > 0
    assert bergstrom.pending > 0 and bergstrom.pending_releases  # the last 14 days
    assert bergstrom.expiring_total > 0  # bought about two years ago
    assert bergstrom.tier is not None and bergstrom.next_tier is not None
    kinds = set(LedgerEntry.objects.values_list("kind", flat=True))
    assert {EntryKind.EARN, EntryKind.RELEASE, EntryKind.REDEEM, EntryKind.ADJUST} <= kinds
    assert LedgerEntry.objects.filter(kind=EntryKind.ADJUST, created_by__is_staff=True).exists()
    assert not LedgerEntry.objects.filter(created_at__gt=NOW).exists()  # history ends today
    assert_ledger_consistent()


def test_given_a_seeded_club_when_seeded_again_then_nothing_changes(demo_companies):
    seed_points(SeedSummary(), demo_companies, now=NOW)
    before = snapshot()

    summary = SeedSummary()
    seed_points(summary, demo_companies, now=NOW)

    assert snapshot() == before
    assert summary.report_lines() == ["Demo data already in place; nothing changed."]


def test_given_a_dutch_demo_company_when_seeded_then_it_buys_and_reads_its_points_in_eur(db):
    summary = SeedSummary()
    staff = seed_staff(summary)
    companies = seed_companies(summary, staff[SALES_REPS])
    dutch = next(company for company in companies if company.country == "NL")
    seed_contacts(summary, [companies[0], dutch])
    seed_points(SeedSummary(), [companies[0], dutch], now=NOW)

    assert dutch.currency == "EUR" and companies[0].currency == "SEK"
    assert set(Purchase.objects.filter(company=dutch).values_list("currency", flat=True)) == {"EUR"}
    assert set(Purchase.objects.filter(company=companies[0]).values_list("currency", flat=True)) == {"SEK"}
    eur = ProgrammeCurrency.objects.get(currency="EUR")
    summary = account_summary(company=dutch, now=NOW)
    assert summary.currency == "EUR" and summary.balance > 0
    assert summary.balance_value == (summary.balance * eur.point_value).quantize(Decimal("0.01"))
    assert_ledger_consistent()
