"""Pooled groups: what a branch earns flows into the pool holder's account by the one
transfer service; the earn rules are not copied."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from groups.models import PointsMode
from groups.tasks import pool_sweep_all
from rewards.ledger.selectors import ledger_mismatches
from rewards.ledger.services import points_earn_for_purchase
from rewards.models import EntryKind, LedgerEntry, PointsAccount
from tests.rewards.factories import NOW, PurchaseFactory

pytestmark = pytest.mark.django_db


def test_a_branchs_released_points_are_swept_into_the_pool_once(chain):
    chain.group.points_mode = PointsMode.POOLED
    chain.group.pool_company = chain.north
    chain.group.save()
    purchase = PurchaseFactory(company=chain.east, net_amount=Decimal("300.00"), occurred_at=NOW - timedelta(days=60))
    points_earn_for_purchase(purchase=purchase, now=NOW)  # released at once: the window has passed

    assert pool_sweep_all() == 2  # South's 5 000 and East's 300
    assert pool_sweep_all() == 0

    balances = dict(PointsAccount.objects.values_list("company_id", "balance"))
    assert balances[chain.north.pk] == 5000 + 5000 + 300
    assert balances[chain.south.pk] == balances[chain.east.pk] == 0
    assert LedgerEntry.objects.filter(kind=EntryKind.TRANSFER).count() == 4
    assert ledger_mismatches() == []


def test_a_group_that_keeps_points_per_branch_is_not_swept(chain):
    assert pool_sweep_all() == 0
