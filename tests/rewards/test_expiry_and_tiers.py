"""Expiry (first in, first out) and tiers (up at once, down only at the yearly evaluation)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta

from rewards.ledger.services import points_expire, tier_evaluate
from rewards.models import EntryKind

from .factories import NOW, PurchaseFactory, TierFactory
from .helpers import assert_ledger_consistent, earn, fresh, redeem

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
TWO_YEARS = relativedelta(months=24)


def _expired(account) -> list[int]:
    return list(account.entries.filter(kind=EntryKind.EXPIRE).order_by("created_at").values_list("points", flat=True))


def test_given_two_lots_and_spending_when_first_lot_expires_then_spending_came_out_of_it_first(account):
    earn(account.company, 1000, at=NOW, release=True)
    earn(account.company, 500, at=NOW + relativedelta(months=6), release=True)
    redeem(account, 300, key="order-1", at=NOW + relativedelta(months=7))

    assert points_expire(now=NOW + TWO_YEARS - DAY) == 0
    assert points_expire(now=NOW + TWO_YEARS) == 1

    assert _expired(account) == [-700], "1000 earned first, 300 of them spent: 700 expire"
    assert fresh(account).balance == 500

    assert points_expire(now=NOW + TWO_YEARS + DAY) == 0, "nothing more is due until the second lot"
    assert points_expire(now=NOW + relativedelta(months=30)) == 1
    assert _expired(account) == [-700, -500]
    assert fresh(account).balance == 0
    assert_ledger_consistent()


def test_given_spending_larger_than_first_lot_when_lots_expire_then_overflow_comes_from_second(account):
    earn(account.company, 1000, at=NOW, release=True)
    earn(account.company, 500, at=NOW + relativedelta(months=6), release=True)
    redeem(account, 1200, key="order-1", at=NOW + relativedelta(months=7))

    assert points_expire(now=NOW + TWO_YEARS) == 0
    assert points_expire(now=NOW + relativedelta(months=30)) == 1
    assert _expired(account) == [-300]
    assert fresh(account).balance == 0


def test_given_expiry_already_run_today_when_run_again_then_no_second_entry(account):
    earn(account.company, 1000, at=NOW, release=True)

    assert points_expire(now=NOW + TWO_YEARS) == 1
    assert points_expire(now=NOW + TWO_YEARS + timedelta(hours=1)) == 0
    assert _expired(account) == [-1000]


def test_given_staff_reinstates_expired_points_when_expiry_runs_then_they_do_not_expire_again_at_once(account, staff):
    from rewards.ledger.services import entry_reverse

    earn(account.company, 1000, at=NOW, release=True)
    points_expire(now=NOW + TWO_YEARS)
    expired = account.entries.get(kind=EntryKind.EXPIRE)

    entry_reverse(entry=expired, reason="Customer was abroad", by=staff, now=NOW + TWO_YEARS + DAY)

    assert points_expire(now=NOW + TWO_YEARS + 2 * DAY) == 0
    assert fresh(account).balance == 1000
    assert_ledger_consistent()


# --- Tiers ----------------------------------------------------------------------------------


@pytest.fixture
def tiers(db):
    return {
        "silver": TierFactory(name="Silver", qualifying_points=1000),
        "gold": TierFactory(name="Gold", qualifying_points=5000, earn_multiplier=Decimal("1.50")),
    }


def test_given_company_reaches_threshold_when_earning_then_upgraded_at_once(account, tiers):
    earn(account.company, 999, at=NOW)
    assert fresh(account).tier is None

    earn(account.company, 1, at=NOW)
    assert fresh(account).tier == tiers["silver"], "pending points qualify; no need to wait for a job"

    earn(account.company, 4000, at=NOW)
    assert fresh(account).tier == tiers["gold"]


def test_given_gold_company_when_earning_then_gold_multiplier_applies(account, tiers):
    earn(account.company, 5000, at=NOW)

    entry = earn(account.company, 100, at=NOW + DAY)

    assert entry.pending_points == 150


def test_given_company_below_threshold_when_not_yearly_evaluation_then_tier_kept_until_it(account, tiers):
    earn(account.company, 5000, at=NOW)
    a_year_later = NOW + relativedelta(months=13)

    assert tier_evaluate(account=account, now=a_year_later, allow_downgrade=False) == tiers["gold"]
    assert fresh(account).tier == tiers["gold"]

    assert tier_evaluate(account=account, now=a_year_later, allow_downgrade=True) is None
    assert fresh(account).tier is None


def test_given_credit_note_when_evaluating_tier_then_returned_points_do_not_qualify(account, tiers):
    from rewards.ledger.services import points_earn_for_purchase, purchase_return

    from .factories import CreditNoteFactory

    purchase = PurchaseFactory(company=account.company, net_amount=Decimal("1200.00"))
    points_earn_for_purchase(purchase=purchase, now=NOW)
    assert fresh(account).tier == tiers["silver"]

    purchase_return(credit_note=CreditNoteFactory(original=purchase, net_amount=Decimal("-300.00")), now=NOW)

    assert tier_evaluate(account=account, now=NOW, allow_downgrade=True) is None
