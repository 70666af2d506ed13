"""Two branches sending to each other at once, on PostgreSQL with real threads: the accounts
are locked in primary-key order, so the transfers wait for each other — no deadlock — and no
balance goes negative."""

from __future__ import annotations

import pytest

from groups.models import PointsTransfer, TransferStatus
from groups.services import GroupError, transfer_request
from members.models import Company
from rewards.ledger.selectors import ledger_mismatches
from rewards.models import EntryKind, LedgerEntry, PointsAccount
from tests.concurrency import race

from .conftest import make_group

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_branches_sending_to_each_other_at_once_neither_deadlock_nor_go_negative(require_postgres):
    chain = make_group("Race", threshold=None, balances=(300, 300, 0))
    north, south = Company.objects.get(pk=chain.north.pk), Company.objects.get(pk=chain.south.pk)
    calls = []
    for n in range(12):
        calls.append(
            lambda n=n: transfer_request(
                by=chain.group_admin, from_company=north, to_company=south, points=100, key=f"n{n}"
            )
        )
        calls.append(
            lambda n=n: transfer_request(
                by=chain.group_admin, from_company=south, to_company=north, points=100, key=f"s{n}"
            )
        )

    outcomes, _results, refusals = race(calls, refused=(GroupError,))

    assert set(outcomes) <= {"ok", "refused"}, outcomes  # a deadlock would be an error outcome
    assert all("Not enough points" in message for message in refusals)
    balances = dict(PointsAccount.objects.values_list("company_id", "balance"))
    assert balances[north.pk] >= 0 and balances[south.pk] >= 0
    assert balances[north.pk] + balances[south.pk] == 600
    done = PointsTransfer.objects.filter(status=TransferStatus.DONE).count()
    assert done == outcomes["ok"]
    assert LedgerEntry.objects.filter(kind=EntryKind.TRANSFER).count() == 2 * done
    assert ledger_mismatches() == []


def test_one_key_posted_many_times_at_once_is_one_transfer(require_postgres):
    chain = make_group("Retry", threshold=None, balances=(0, 1000, 0))
    south, east = Company.objects.get(pk=chain.south.pk), Company.objects.get(pk=chain.east.pk)

    outcomes, results, _refusals = race(
        [
            lambda: transfer_request(by=chain.south_admin, from_company=south, to_company=east, points=250, key="same")
            for _ in range(20)
        ],
        refused=(GroupError,),
    )

    assert outcomes["ok"] == 20, outcomes
    assert len({transfer.pk for transfer, _created in results}) == 1
    assert PointsAccount.objects.get(company=east).balance == 250
    assert ledger_mismatches() == []
