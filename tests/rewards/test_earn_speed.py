"""The single-purchase path stays cheap: a fixed, small number of queries per new purchase."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rewards.models import PointsAccount
from rewards.purchases.services import PurchaseLineInput, purchase_record

from .factories import TierFactory
from .helpers import assert_ledger_consistent

pytestmark = pytest.mark.django_db

# Retry check, purchase insert, lines insert, programme rules, account lock (with its tier),
# the campaigns and referrals that may reward it (one query: campaigns.earn), entry insert,
# the account's month (rewards.ledger.months: the purchase's and the entry's month are one
# here), bucket update, tier lookup (qualifying points in a subquery, from the months), the
# company's status read again under the lock (a closing may have won it) = 11, plus the
# savepoint pair of purchase_record's transaction inside the test's transaction. It was 19.
NEW_PURCHASE_QUERIES = 13

YESTERDAY = timezone.now() - timedelta(days=1)


def _record(company, external_id: str, amount: str = "100.50"):
    return purchase_record(
        company=company,
        source="erp",
        external_id=external_id,
        occurred_at=YESTERDAY,
        net_amount=Decimal(amount),
        currency="SEK",
        lines=[PurchaseLineInput(sku="SKU-1", amount=Decimal(amount))],
    )


def test_given_an_account_when_a_new_one_line_purchase_is_recorded_then_it_costs_a_fixed_number_of_queries(
    account, django_assert_max_num_queries
):
    TierFactory(qualifying_points=100_000)
    _record(account.company, "warm-up")

    with django_assert_max_num_queries(NEW_PURCHASE_QUERIES):
        purchase, created = _record(account.company, "ORDER-1")

    assert created
    assert PointsAccount.objects.get(pk=account.pk).pending == 101 + 101
    assert_ledger_consistent()


def test_given_a_purchase_that_crosses_a_tier_threshold_then_the_upgrade_is_immediate(
    account, django_assert_max_num_queries
):
    gold = TierFactory(qualifying_points=150)
    _record(account.company, "ORDER-1")

    with django_assert_max_num_queries(NEW_PURCHASE_QUERIES + 2):  # + read the new tier, write the change
        _record(account.company, "ORDER-2")

    assert PointsAccount.objects.get(pk=account.pk).tier == gold


def test_given_a_retry_then_it_costs_two_queries_and_writes_nothing(account, django_assert_num_queries):
    _record(account.company, "ORDER-1")

    with django_assert_num_queries(2):  # the purchase, its lines
        _purchase, created = _record(account.company, "ORDER-1")

    assert not created


def test_given_a_company_without_an_account_when_it_buys_then_the_account_is_created_with_the_points(company, rules):
    _purchase, created = _record(company, "FIRST")

    assert created
    assert PointsAccount.objects.get(company=company).pending == 101
    assert_ledger_consistent()
