"""Transfers between branches: two entries in one transaction, idempotent, never negative,
approval above the threshold, and bad input refused with nothing changed."""

from __future__ import annotations

import pytest
from django.utils import translation

from groups.models import PointsMode, PointsTransfer, TransferStatus
from groups.services import GroupError, transfer_approve, transfer_reject, transfer_request
from notifications.models import Notification
from rewards.ledger.origins import entry_origins
from rewards.ledger.selectors import ledger_mismatches
from rewards.models import EntryKind, LedgerEntry, PointsAccount
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def balance(company) -> int:
    return PointsAccount.objects.get(company=company).balance


def state():
    return (
        list(PointsAccount.objects.order_by("pk").values_list("balance", flat=True)),
        LedgerEntry.objects.count(),
        PointsTransfer.objects.count(),
    )


def test_a_transfer_writes_two_entries_shown_in_both_histories_with_who_did_it(chain):
    transfer, created = transfer_request(
        by=chain.south_admin, from_company=chain.south, to_company=chain.east, points=400, key="k1"
    )

    assert created and transfer.status == TransferStatus.DONE
    assert (balance(chain.south), balance(chain.east)) == (4600, 400)
    out_entry, in_entry = transfer.out_entry, transfer.in_entry
    assert (out_entry.kind, out_entry.points, in_entry.kind, in_entry.points) == (
        EntryKind.TRANSFER,
        -400,
        EntryKind.TRANSFER,
        400,
    )
    assert in_entry.expires_at is not None
    assert out_entry.memo == f"Transfer T-{transfer.pk} to {chain.east.name}"
    with translation.override("sv"):
        assert in_entry.memo_key == "groups.transfer_in" and chain.south.name in in_entry.memo
    origins = entry_origins(LedgerEntry.objects.filter(pk__in=[out_entry.pk, in_entry.pk]), club_name="Club")
    assert chain.south.name in origins[out_entry.pk] and origins[out_entry.pk] == origins[in_entry.pk]
    assert Notification.objects.filter(recipient__membership__company=chain.east).count() == 0  # East has no admin
    assert ledger_mismatches() == []


def test_the_receiving_branchs_admins_are_told(chain):
    transfer_request(by=chain.south_admin, from_company=chain.south, to_company=chain.north, points=100, key="k")

    notice = Notification.objects.get(recipient=chain.group_admin)
    assert chain.south.name in notice.title


def test_a_retry_with_the_same_key_is_one_transfer(chain):
    first, _ = transfer_request(
        by=chain.south_admin, from_company=chain.south, to_company=chain.east, points=10, key="k"
    )
    again, created = transfer_request(
        by=chain.south_admin, from_company=chain.south, to_company=chain.east, points=10, key="k"
    )

    assert not created and again.pk == first.pk
    assert balance(chain.south) == 4990
    assert LedgerEntry.objects.filter(kind=EntryKind.TRANSFER).count() == 2


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("outside", "not a branch"),
        ("itself", "same company"),
        ("too_much", "Not enough points"),
        ("zero", "positive"),
        ("negative", "positive"),
        ("huge", "at most"),
        ("replayed", "already used"),
        ("viewer", "Only a group admin or an admin"),
        ("no_key", "expired"),
    ],
)
def test_bad_transfers_are_refused_and_nothing_changes(chain, other_chain, case, message):
    transfer_request(by=chain.south_admin, from_company=chain.south, to_company=chain.east, points=1, key="used")
    before = state()
    kwargs = {
        "by": chain.south_admin,
        "from_company": chain.south,
        "to_company": chain.east,
        "points": 10,
        "key": "new",
    }
    kwargs.update(
        {
            "outside": {"to_company": other_chain.east},
            "itself": {"to_company": chain.south},
            "too_much": {"points": 4_999 + 1},
            "zero": {"points": 0},
            "negative": {"points": -5},
            "huge": {"points": 10**12},
            "replayed": {"key": "used", "points": 2},
            "viewer": {"by": chain.south_viewer},
            "no_key": {"key": "  "},
        }[case]
    )

    with pytest.raises(GroupError, match=message):
        transfer_request(**kwargs)

    assert state() == before
    assert ledger_mismatches() == []


def test_a_company_outside_any_group_cannot_send(chain):
    loner = CompanyFactory()
    with pytest.raises(GroupError, match="not in a company group"):
        transfer_request(by=chain.group_admin, from_company=loner, to_company=chain.east, points=1, key="k")


def test_a_branch_admin_cannot_send_another_branchs_points(chain):
    with pytest.raises(GroupError, match="Only a group admin"):
        transfer_request(by=chain.south_admin, from_company=chain.north, to_company=chain.east, points=1, key="k")
    assert balance(chain.north) == 5000


def test_a_large_transfer_waits_for_a_group_admin_and_moves_when_approved(chain):
    transfer, _ = transfer_request(
        by=chain.south_admin, from_company=chain.south, to_company=chain.east, points=3000, key="big"
    )

    assert transfer.status == TransferStatus.AWAITING_APPROVAL
    assert balance(chain.south) == 5000, "nothing is reserved while it waits"
    assert Notification.objects.filter(recipient=chain.group_admin, kind="approval").exists()
    with pytest.raises(GroupError, match="Only a group admin"):
        transfer_approve(transfer=transfer, by=chain.south_admin)

    approved = transfer_approve(transfer=transfer, by=chain.group_admin)
    again = transfer_approve(transfer=transfer, by=chain.group_admin)

    assert approved.status == TransferStatus.DONE and again.pk == approved.pk
    assert (balance(chain.south), balance(chain.east)) == (2000, 3000)
    assert LedgerEntry.objects.filter(kind=EntryKind.TRANSFER).count() == 2
    with pytest.raises(GroupError, match="already made"):
        transfer_reject(transfer=transfer, by=chain.group_admin)
    assert ledger_mismatches() == []


def test_approval_checks_the_balance_again(chain):
    transfer, _ = transfer_request(
        by=chain.south_admin, from_company=chain.south, to_company=chain.east, points=3000, key="big"
    )
    transfer_request(by=chain.group_admin, from_company=chain.south, to_company=chain.north, points=4000, key="spent")
    before = state()

    with pytest.raises(GroupError, match="Not enough points"):
        transfer_approve(transfer=transfer, by=chain.group_admin)

    assert state() == before
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.AWAITING_APPROVAL


def test_a_rejected_transfer_moves_nothing_and_cannot_be_approved(chain):
    transfer, _ = transfer_request(
        by=chain.south_admin, from_company=chain.south, to_company=chain.east, points=3000, key="big"
    )
    rejected = transfer_reject(transfer=transfer, by=chain.group_admin, comment="Not now")

    assert rejected.status == TransferStatus.REJECTED
    assert Notification.objects.filter(recipient=chain.south_admin, key=f"transfer:{transfer.pk}:rejected").exists()
    with pytest.raises(GroupError, match="already rejected"):
        transfer_approve(transfer=transfer, by=chain.group_admin)
    assert balance(chain.south) == 5000


def test_a_group_admin_of_another_group_cannot_decide(chain, other_chain):
    transfer, _ = transfer_request(
        by=chain.south_admin, from_company=chain.south, to_company=chain.east, points=3000, key="big"
    )
    with pytest.raises(GroupError):
        transfer_approve(transfer=transfer, by=other_chain.group_admin)


def test_a_group_admins_own_large_transfer_needs_no_approval(chain):
    transfer, _ = transfer_request(
        by=chain.group_admin, from_company=chain.south, to_company=chain.east, points=3000, key="big"
    )
    assert transfer.status == TransferStatus.DONE


def test_a_pooled_group_does_not_transfer(chain):
    chain.group.points_mode = PointsMode.POOLED
    chain.group.pool_company = chain.north
    chain.group.save()
    with pytest.raises(GroupError, match="pools its points"):
        transfer_request(by=chain.south_admin, from_company=chain.south, to_company=chain.east, points=1, key="k")


def test_received_points_expire_no_later_than_the_senders_did(chain):
    sent = LedgerEntry.objects.filter(account__company=chain.south, points__gt=0).get()
    transfer, _ = transfer_request(
        by=chain.south_admin, from_company=chain.south, to_company=chain.east, points=5, key="k"
    )
    assert transfer.in_entry.expires_at == sent.expires_at


def test_the_other_branchs_admins_are_told_in_their_own_language(chain):
    chain.group_admin.language = "sv"
    chain.group_admin.save(update_fields=["language"])
    transfer_request(by=chain.south_admin, from_company=chain.south, to_company=chain.north, points=900, key="sv")

    notice = Notification.objects.get(recipient=chain.group_admin)
    with translation.override("sv"):  # what the admin's pages show
        assert "900 poäng" in notice.title, notice.title


def test_check_ledger_passes_after_transfers(chain):
    from django.core.management import call_command

    transfer_request(by=chain.south_admin, from_company=chain.south, to_company=chain.north, points=700, key="a")
    transfer_request(by=chain.group_admin, from_company=chain.north, to_company=chain.east, points=5700, key="b")

    call_command("check_ledger")  # exits non-zero on a mismatch
    assert PointsAccount.objects.get(company=chain.north).balance == 0
