"""Pending release, redeeming, adjusting, reversing, returns with shortfall, idempotency, immutability."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import RequestFactory

from rewards.ledger.services import (
    LedgerError,
    entry_reverse,
    points_adjust,
    points_earn_for_purchase,
    points_release_pending,
    purchase_return,
)
from rewards.models import EntryKind, LedgerEntry, LedgerEntryError, PointsAccount
from tests.factories import CompanyFactory

from .factories import NOW, CreditNoteFactory, PurchaseFactory
from .helpers import assert_ledger_consistent, earn, fresh, redeem

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


# --- Pending and release --------------------------------------------------------------------


def test_given_purchase_when_earning_then_points_are_pending_until_return_window_ends(account):
    entry = earn(account.company, 1000, at=NOW)

    assert (fresh(account).balance, fresh(account).pending) == (0, 1000)
    assert entry.available_at == NOW + 14 * DAY
    assert entry.expires_at == NOW.replace(year=NOW.year + 2)

    assert points_release_pending(now=NOW + 14 * DAY - timedelta(seconds=1)) == 0
    assert fresh(account).pending == 1000

    assert points_release_pending(now=NOW + 14 * DAY) == 1
    assert (fresh(account).balance, fresh(account).pending) == (1000, 0)

    assert points_release_pending(now=NOW + 15 * DAY) == 0, "running the release again changes nothing"
    assert fresh(account).balance == 1000
    assert_ledger_consistent()


def test_given_purchase_older_than_return_window_when_earning_then_points_are_spendable_at_once(account):
    purchase = PurchaseFactory(company=account.company, net_amount=Decimal("500.00"), occurred_at=NOW - 30 * DAY)

    points_earn_for_purchase(purchase=purchase, now=NOW)

    account = fresh(account)
    assert (account.balance, account.pending) == (500, 0)
    assert account.entries.filter(kind=EntryKind.RELEASE).count() == 1


# --- Redeem and adjust ----------------------------------------------------------------------


def test_given_balance_when_redeeming_more_than_it_then_refused_and_nothing_written(account):
    earn(account.company, 100, at=NOW, release=True)

    with pytest.raises(LedgerError, match="Not enough points"):
        redeem(account, 101, key="order-1")

    assert fresh(account).balance == 100
    assert not LedgerEntry.objects.filter(kind=EntryKind.REDEEM).exists()


def test_given_pending_points_when_redeeming_then_only_spendable_points_count(account):
    earn(account.company, 1000, at=NOW)

    with pytest.raises(LedgerError):
        redeem(account, 1, key="order-1")


def test_given_staff_when_adjusting_then_reason_and_user_are_recorded(account, staff):
    entry = points_adjust(
        account=account, points=250, reason="Goodwill after late delivery", by=staff, key="t-1", now=NOW
    )

    assert (entry.kind, entry.points, entry.memo, entry.created_by) == (
        EntryKind.ADJUST,
        250,
        "Goodwill after late delivery",
        staff,
    )
    assert entry.expires_at == NOW.replace(year=NOW.year + 2)
    assert fresh(account).balance == 250


@pytest.mark.parametrize(
    ("points", "reason", "message"), [(10, "  ", "reason"), (0, "x", "non-zero"), (-1, "x", "cannot be reduced")]
)
def test_given_bad_adjustment_when_adjusting_then_refused(account, staff, points, reason, message):
    with pytest.raises(LedgerError, match=message):
        points_adjust(account=account, points=points, reason=reason, by=staff, key="t-1")


def test_given_member_not_staff_when_adjusting_then_refused(account, purchaser):
    with pytest.raises(LedgerError, match="staff"):
        points_adjust(account=account, points=10, reason="I want more", by=purchaser, key="t-1")


# --- Idempotency ----------------------------------------------------------------------------


def test_given_retried_redeem_when_same_key_then_first_entry_returned_and_nothing_changes(account):
    earn(account.company, 1000, at=NOW, release=True)

    first = redeem(account, 300, key="order-7")
    again = redeem(account, 300, key="order-7")

    assert again.pk == first.pk
    assert fresh(account).balance == 700
    assert LedgerEntry.objects.filter(kind=EntryKind.REDEEM).count() == 1


def test_given_used_key_when_different_content_then_ledger_error(account):
    earn(account.company, 1000, at=NOW, release=True)
    redeem(account, 300, key="order-7")

    with pytest.raises(LedgerError, match="already used"):
        redeem(account, 301, key="order-7")
    other = PointsAccount.objects.create(company=CompanyFactory())
    with pytest.raises(LedgerError, match="already used"):
        redeem(other, 300, key="order-7")
    assert fresh(account).balance == 700


def test_given_purchase_already_earned_when_earning_again_then_same_entry(account):
    purchase = PurchaseFactory(company=account.company)

    first = points_earn_for_purchase(purchase=purchase, now=NOW)
    again = points_earn_for_purchase(purchase=purchase, now=NOW + DAY)

    assert again.pk == first.pk
    assert fresh(account).pending == 1000


# --- Returns and shortfall ------------------------------------------------------------------


def test_given_pending_purchase_when_fully_credited_then_pending_is_taken_back_and_nothing_released(account):
    purchase = PurchaseFactory(company=account.company, net_amount=Decimal("1000.00"))
    points_earn_for_purchase(purchase=purchase, now=NOW)

    entry = purchase_return(credit_note=CreditNoteFactory(original=purchase), now=NOW + DAY)

    assert (entry.kind, entry.pending_points, entry.points, entry.shortfall_points) == (EntryKind.REVERSAL, -1000, 0, 0)
    points_release_pending(now=NOW + 30 * DAY)
    assert (fresh(account).balance, fresh(account).pending) == (0, 0)
    assert_ledger_consistent()


def test_given_partial_credit_notes_when_returning_then_points_in_proportion_and_never_more_than_earned(account):
    purchase = PurchaseFactory(company=account.company, net_amount=Decimal("300.00"))
    points_earn_for_purchase(purchase=purchase, now=NOW)

    first = purchase_return(credit_note=CreditNoteFactory(original=purchase, net_amount=Decimal("-100.00")), now=NOW)
    assert first.pending_points == -100
    points_release_pending(now=NOW + 14 * DAY)
    assert fresh(account).balance == 200, "what is left of the purchase is released"

    second = purchase_return(
        credit_note=CreditNoteFactory(original=purchase, net_amount=Decimal("-250.00")), now=NOW + 20 * DAY
    )

    assert second.points == -200, "credit notes never take back more than the purchase earned"
    assert fresh(account).balance == 0
    assert_ledger_consistent()


def test_given_spent_points_when_purchase_returned_then_shortfall_recorded_and_paid_first_from_later_earnings(account):
    purchase = PurchaseFactory(company=account.company, net_amount=Decimal("1000.00"), occurred_at=NOW)
    points_earn_for_purchase(purchase=purchase, now=NOW)
    points_release_pending(now=NOW + 14 * DAY)
    redeem(account, 800, key="order-1")

    entry = purchase_return(credit_note=CreditNoteFactory(original=purchase), now=NOW + 15 * DAY)

    assert (entry.points, entry.shortfall_points) == (-200, 800), "the balance covers 200; 800 are owed"
    account = fresh(account)
    assert (account.balance, account.shortfall) == (0, 800)

    earn(account.company, 500, at=NOW + 20 * DAY)
    assert fresh(account).shortfall == 800, "pending points do not pay the shortfall; they may still be returned"
    points_release_pending(now=NOW + 34 * DAY)
    account = fresh(account)
    assert (account.balance, account.shortfall) == (0, 300)
    release = account.entries.get(kind=EntryKind.RELEASE, points=0)
    assert (release.pending_points, release.shortfall_points) == (-500, -500)

    earn(account.company, 500, at=NOW + 40 * DAY, release=True)
    account = fresh(account)
    assert (account.balance, account.shortfall) == (200, 0)
    assert_ledger_consistent()


def test_given_credit_note_when_processed_twice_then_one_entry(account):
    purchase = PurchaseFactory(company=account.company)
    points_earn_for_purchase(purchase=purchase, now=NOW)
    credit_note = CreditNoteFactory(original=purchase)

    assert purchase_return(credit_note=credit_note).pk == purchase_return(credit_note=credit_note).pk
    assert fresh(account).pending == 0


def test_given_purchase_not_earned_yet_when_credit_note_arrives_then_refused(account):
    with pytest.raises(LedgerError, match="not earned"):
        purchase_return(credit_note=CreditNoteFactory(original=PurchaseFactory(company=account.company)))


# --- Staff reversal -------------------------------------------------------------------------


def test_given_redeem_when_staff_reverses_it_then_points_come_back_exactly_once(account, staff):
    earn(account.company, 1000, at=NOW, release=True)
    redemption = redeem(account, 400, key="order-1")

    reversal = entry_reverse(entry=redemption, reason="Order cancelled", by=staff, now=NOW + 20 * DAY)
    again = entry_reverse(entry=redemption, reason="Order cancelled", by=staff)

    assert again.pk == reversal.pk
    assert (reversal.points, reversal.reverses, reversal.created_by) == (400, redemption, staff)
    assert fresh(account).balance == 1000
    assert_ledger_consistent()


def test_given_pending_earn_when_staff_reverses_it_then_it_is_never_released(account, staff):
    entry = earn(account.company, 1000, at=NOW)

    entry_reverse(entry=entry, reason="Test order booked by mistake", by=staff)
    points_release_pending(now=NOW + 30 * DAY)

    account = fresh(account)
    assert (account.balance, account.pending) == (0, 0)
    assert not account.entries.filter(kind=EntryKind.RELEASE).exists()


def test_given_release_or_reversal_when_reversing_then_refused(account, staff):
    earn(account.company, 100, at=NOW, release=True)
    release = LedgerEntry.objects.get(kind=EntryKind.RELEASE)

    with pytest.raises(LedgerError, match="cannot be reversed"):
        entry_reverse(entry=release, reason="why not", by=staff)


# --- Entries are immutable ------------------------------------------------------------------


def test_given_entry_when_changed_or_deleted_then_refused(account, staff):
    entry = points_adjust(account=account, points=10, reason="Welcome", by=staff, key="w")

    entry.points = 1_000_000
    with pytest.raises(LedgerEntryError):
        entry.save()
    with pytest.raises(LedgerEntryError):
        entry.delete()
    with pytest.raises(LedgerEntryError):
        LedgerEntry.objects.filter(pk=entry.pk).update(points=1_000_000)
    with pytest.raises(LedgerEntryError):
        LedgerEntry.objects.all().delete()
    assert LedgerEntry.objects.get(pk=entry.pk).points == 10


def test_given_superuser_in_admin_when_viewing_accounts_and_entries_then_read_only(account, django_user_model):
    request = RequestFactory().get("/")
    request.user = django_user_model.objects.create_superuser(email="root@example.com", password="x")

    for model in (PointsAccount, LedgerEntry):
        model_admin = admin_site._registry[model]
        assert model_admin.has_view_permission(request)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
