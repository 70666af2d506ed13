"""Real concurrency on PostgreSQL: threads released together by a barrier.

Each thread has its own database connection, closed at the end. The ledger must stay
right: balance == sum(entries) and never negative, and one idempotency key gives one
entry however many calls race for it.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest

from core.texts import free_text
from rewards.ledger.selectors import ledger_mismatches
from rewards.ledger.services import LedgerError, points_adjust, points_earn_for_purchase, points_redeem
from rewards.models import EntryKind, LedgerEntry, PointsAccount
from tests.concurrency import race

from .factories import NOW, PurchaseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_given_50_concurrent_earn_redeem_adjust_calls_when_they_race_then_ledger_is_right_and_never_negative(
    require_postgres, account, staff
):
    points_adjust(account=account, points=300, reason="Opening balance", by=staff, key="opening")
    old = NOW - timedelta(days=30)  # past the return window: earns are spendable at once
    purchases = [
        PurchaseFactory(company=account.company, net_amount=Decimal("10.00"), occurred_at=old) for _ in range(15)
    ]
    calls = []
    calls += [lambda p=p: points_earn_for_purchase(purchase=p) for p in purchases]
    calls += [lambda n=n: points_redeem(account=account, points=100, key=f"r-{n}", by=None) for n in range(25)]
    calls += [
        lambda n=n: points_adjust(account=account, points=5 if n % 2 else -50, reason="race", by=staff, key=f"a-{n}")
        for n in range(10)
    ]

    outcomes, _results, _refusals = race(calls, refused=(LedgerError,))

    assert set(outcomes) <= {"ok", "refused"}, outcomes
    assert outcomes["refused"] > 0, "some redeems must fail cleanly: there are not enough points for all"
    account = PointsAccount.objects.get(pk=account.pk)
    assert account.balance >= 0
    assert ledger_mismatches() == []
    assert LedgerEntry.objects.filter(kind=EntryKind.EARN).count() == 15
    redeemed = LedgerEntry.objects.filter(kind=EntryKind.REDEEM).count()
    adjusted = sum(LedgerEntry.objects.filter(kind=EntryKind.ADJUST).values_list("points", flat=True))
    assert account.balance == adjusted + 15 * 10 - 100 * redeemed


def test_given_100_concurrent_calls_with_one_key_when_they_race_then_exactly_one_entry(
    require_postgres, account, staff
):
    points_adjust(account=account, points=1000, reason="Opening balance", by=staff, key="opening")
    calls = [
        lambda: points_redeem(account=account, points=10, key="order-42", by=None, memo=free_text("gift"))
        for _ in range(100)
    ]

    outcomes, _results, _refusals = race(calls, refused=(LedgerError,))

    assert outcomes == Counter({"ok": 100}), "every retry gets the first entry back"
    assert LedgerEntry.objects.filter(idempotency_key="redeem:order-42").count() == 1
    assert PointsAccount.objects.get(pk=account.pk).balance == 990
    assert ledger_mismatches() == []


def test_given_100_concurrent_posts_of_one_purchase_when_they_race_then_it_earns_once(require_postgres, account):
    purchase = PurchaseFactory(company=account.company, net_amount=Decimal("250.00"))

    outcomes, _results, _refusals = race(
        [lambda: points_earn_for_purchase(purchase=purchase, now=NOW) for _ in range(100)], refused=(LedgerError,)
    )

    assert outcomes == Counter({"ok": 100})
    assert LedgerEntry.objects.filter(purchase=purchase, kind=EntryKind.EARN).count() == 1
    assert PointsAccount.objects.get(pk=account.pk).pending == 250
    assert ledger_mismatches() == []
