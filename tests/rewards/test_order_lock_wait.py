"""Placing a reward order while an import holds the company's points account: the page
answers within LOCK_WAIT_SECONDS with a "busy, nothing was saved" message instead of
hanging the web worker; no order, no points reserved. Real threads on PostgreSQL."""

from __future__ import annotations

import time

import pytest

from rewards.models import LedgerEntry, Redemption
from tests.concurrency import AccountLockHolder

from .factories import RewardFactory
from .helpers import give_points
from .test_order_views import confirm

BOUND = 2  # seconds


@pytest.mark.django_db(transaction=True)
def test_an_order_for_a_locked_account_answers_busy_within_the_bound_and_saves_nothing(
    require_postgres, settings, member_client, company, account
):
    settings.LOCK_WAIT_SECONDS = BOUND
    give_points(account, 30_000)
    entries_before = LedgerEntry.objects.count()
    reward = RewardFactory(points_cost=1_000)

    with AccountLockHolder(company):
        started = time.monotonic()
        response = confirm(member_client, reward)
        waited = time.monotonic() - started

    assert response.status_code == 200
    assert "nothing was saved" in response.content.decode()
    assert waited < BOUND + 2
    assert not Redemption.objects.exists()
    assert LedgerEntry.objects.count() == entries_before
