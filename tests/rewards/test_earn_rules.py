"""Earn rules: points per currency unit × category multiplier × tier multiplier, rounded per purchase."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rewards.ledger.services import LedgerError, points_earn_for_purchase, purchase_points
from rewards.models import EntryKind, ProgrammeRules

from .factories import NOW, ProductCategoryFactory, PurchaseFactory, PurchaseLineFactory, TierFactory
from .helpers import fresh

pytestmark = pytest.mark.django_db


def test_given_many_tiny_lines_when_earning_then_rounding_is_per_purchase_not_per_line(account, rules):
    purchase = PurchaseFactory(company=account.company, net_amount=Decimal("4.00"))
    PurchaseLineFactory.create_batch(10, purchase=purchase, amount=Decimal("0.40"))

    entry = points_earn_for_purchase(purchase=purchase, now=NOW)

    assert entry.pending_points == 4, "ten lines of 0.4 points each earn 4 points, not 10 × 0"


def test_given_category_and_tier_multipliers_when_earning_then_they_multiply(account, rules):
    premium = ProductCategoryFactory(multiplier=Decimal("2.00"))
    account.tier = TierFactory(qualifying_points=0, earn_multiplier=Decimal("1.50"))
    account.save(update_fields=["tier"])
    purchase = PurchaseFactory(company=account.company, net_amount=Decimal("150.00"))
    PurchaseLineFactory(purchase=purchase, category=premium, amount=Decimal("100.00"))
    PurchaseLineFactory(purchase=purchase, category=None, amount=Decimal("50.00"))

    entry = points_earn_for_purchase(purchase=purchase, now=NOW)

    assert entry.pending_points == 375  # (100 × 2 + 50 × 1) × 1.5


@pytest.mark.parametrize(
    ("amount", "per_unit", "expected"),
    [("0.49", "1", 0), ("0.50", "1", 1), ("2.49", "1", 2), ("1234.56", "0.1", 123), ("1234.56", "0.1004", 124)],
)
def test_given_fractional_points_when_earning_then_rounded_half_up_once(rules, amount, per_unit, expected):
    rules.points_per_currency_unit = Decimal(per_unit)
    rules.save()
    purchase = PurchaseFactory(net_amount=Decimal(amount))

    assert purchase_points(purchase=purchase, rules=ProgrammeRules.current(), tier=None) == expected


def test_given_purchase_without_lines_when_earning_then_net_amount_counts(account, rules):
    purchase = PurchaseFactory(company=account.company, net_amount=Decimal("99.99"))

    assert points_earn_for_purchase(purchase=purchase, now=NOW).pending_points == 100


def test_given_other_currency_when_earning_then_refused(account, rules):
    purchase = PurchaseFactory(company=account.company, currency="EUR")

    with pytest.raises(LedgerError, match="EUR"):
        points_earn_for_purchase(purchase=purchase, now=NOW)
    assert fresh(account).pending == 0


def test_given_rules_edited_in_admin_when_earning_then_new_rules_apply(account, rules):
    rules.points_per_currency_unit = Decimal("3")
    rules.return_window_days = 30
    rules.save()
    purchase = PurchaseFactory(company=account.company, net_amount=Decimal("10.00"))

    entry = points_earn_for_purchase(purchase=purchase, now=NOW)

    assert entry.kind == EntryKind.EARN
    assert entry.pending_points == 30
    assert (entry.available_at - purchase.occurred_at).days == 30
    assert ProgrammeRules.objects.count() == 1
