"""Redemptions: points reserved at request and returned exactly once, stock and codes never
oversold, roles and the company's approval limit respected, every rule broken with a clear
message and nothing reserved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Membership, MembershipRole
from notifications.models import Notification, NotificationKind
from rewards.catalogue.services import approval_threshold_set
from rewards.ledger.services import LedgerError, entry_reverse
from rewards.models import (
    EntryKind,
    LedgerEntry,
    LimitPeriod,
    Redemption,
    RedemptionEvent,
    RedemptionStatus,
    Reward,
    VoucherCode,
)
from rewards.redemptions.services import (
    RedemptionError,
    limit_window_start,
    redemption_approve,
    redemption_cancel,
    redemption_fulfil,
    redemption_quote,
    redemption_reject,
    redemption_request,
    redemptions_fulfil_bulk,
)
from tests.factories import MembershipFactory, StaffFactory

from .factories import RewardFactory, TierFactory, VoucherCodeFactory, VoucherRewardFactory
from .helpers import assert_ledger_consistent, delivery_address, fresh, give_points, request_redemption

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(account):
    give_points(account, 50_000)
    return fresh(account)


@pytest.fixture
def buyer(purchaser, funded):
    return Membership.objects.select_related("company", "user").get(user=purchaser)


@pytest.fixture
def admin_membership(company_admin, funded):
    return Membership.objects.select_related("company", "user").get(user=company_admin)


@pytest.fixture
def fulfiller(db):
    return StaffFactory(group="Club admins")


def snapshot(account) -> dict:
    return {
        "balance": fresh(account).balance,
        "entries": LedgerEntry.objects.count(),
        "redemptions": Redemption.objects.count(),
        "stock": sorted(Reward.objects.values_list("pk", "stock")),
        "assigned_codes": VoucherCode.objects.filter(redemption__isnull=False).count(),
    }


# --- Requesting ------------------------------------------------------------------------------


def test_given_enough_points_when_a_purchaser_redeems_then_points_are_reserved_and_stock_taken(buyer, funded):
    reward = RewardFactory(points_cost=10_000, stock=5)

    redemption = request_redemption(buyer, reward, quantity=2)

    assert redemption.status == RedemptionStatus.REQUESTED
    assert (redemption.quantity, redemption.points_total) == (2, 20_000)
    assert fresh(funded).balance == 30_000
    assert redemption.redeem_entry.kind == EntryKind.REDEEM and redemption.redeem_entry.points == -20_000
    assert Reward.objects.get(pk=reward.pk).stock == 3
    assert (redemption.delivery_city, redemption.delivery_country) == ("Göteborg", "SE")
    assert list(redemption.events.values_list("status", flat=True)) == [RedemptionStatus.REQUESTED]
    assert Notification.objects.filter(recipient=buyer.user, kind=NotificationKind.REDEMPTION).count() == 1
    assert_ledger_consistent()


def test_given_a_purchaser_above_the_threshold_when_redeeming_then_it_awaits_approval_and_admins_are_asked(
    buyer, admin_membership, company_admin
):
    approval_threshold_set(company=buyer.company, threshold=15_000, by=company_admin)
    reward = RewardFactory(points_cost=10_000)

    small = request_redemption(buyer, reward, quantity=1)
    large = request_redemption(buyer, reward, quantity=2)

    assert small.status == RedemptionStatus.REQUESTED
    assert large.status == RedemptionStatus.AWAITING_APPROVAL and large.needs_approval
    assert list(large.events.values_list("status", flat=True)) == ["requested", "awaiting_approval"]
    asked = Notification.objects.get(recipient=company_admin, kind=NotificationKind.APPROVAL)
    assert large.number in asked.title
    assert asked.url == "/rewards/approvals/"


def test_given_a_company_admin_above_the_threshold_when_redeeming_then_no_approval_is_needed(
    admin_membership, company_admin
):
    approval_threshold_set(company=admin_membership.company, threshold=5_000, by=company_admin)

    redemption = request_redemption(admin_membership, RewardFactory(points_cost=10_000))

    assert redemption.status == RedemptionStatus.REQUESTED


def test_given_the_same_confirm_form_submitted_twice_when_redeeming_then_one_order(buyer, funded):
    reward = RewardFactory(points_cost=10_000, stock=5)
    kwargs = {
        "reward": reward,
        "membership": buyer,
        "quantity": 1,
        "request_key": "a" * 32,
        "delivery": delivery_address(),
    }

    first, created = redemption_request(**kwargs)
    again, created_again = redemption_request(**kwargs)

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Redemption.objects.count() == 1
    assert fresh(funded).balance == 40_000
    assert Reward.objects.get(pk=reward.pk).stock == 4


@pytest.mark.parametrize(
    ("setup", "quantity", "message"),
    [
        (
            {"points_cost": 60_000},
            1,
            "Not enough points: your company has 50\u202f000 points and this needs 60\u202f000 (10\u202f000 to go, worth 500\u00a0SEK).",
        ),
        ({"stock": 2}, 3, "Only 2 left; order 2 or fewer."),
        ({"stock": 0}, 1, "Sorry, this reward is out of stock."),
        ({"max_per_order": 2}, 3, "You can order at most 2 at a time."),
        ({"is_active": False}, 1, "This reward is no longer in the catalogue."),
    ],
)
def test_given_a_broken_rule_when_redeeming_then_a_clear_message_and_nothing_reserved(
    buyer, funded, setup, quantity, message
):
    reward = RewardFactory(points_cost=setup.pop("points_cost", 10_000), **setup)
    before = snapshot(funded)

    with pytest.raises(RedemptionError) as refused:
        request_redemption(buyer, reward, quantity=quantity)

    assert str(refused.value) == message
    assert snapshot(funded) == before
    assert not Notification.objects.exists()


def test_given_a_reward_outside_its_window_when_redeeming_then_refused_with_the_dates(buyer, funded):
    now = timezone.now()
    later = RewardFactory(available_from=now + timedelta(days=3))
    ended = RewardFactory(available_until=now - timedelta(hours=1))
    before = snapshot(funded)

    with pytest.raises(RedemptionError, match="can be redeemed from"):
        request_redemption(buyer, later)
    with pytest.raises(RedemptionError, match="could only be redeemed until"):
        request_redemption(buyer, ended)

    assert snapshot(funded) == before


def test_given_a_reward_above_the_companys_tier_when_redeeming_then_refused(buyer, funded):
    gold = TierFactory(name="Gold", qualifying_points=300_000)
    reward = RewardFactory(tier_required=gold)
    before = snapshot(funded)

    with pytest.raises(RedemptionError) as refused:
        request_redemption(buyer, reward)

    assert str(refused.value) == "This reward is for companies in the Gold tier and above; yours is not in a tier yet."
    assert snapshot(funded) == before


def test_given_a_company_in_the_required_tier_when_redeeming_then_allowed(buyer, funded):
    silver = TierFactory(name="Silver", qualifying_points=100)
    gold = TierFactory(name="Gold", qualifying_points=200)
    funded.tier = gold
    funded.save(update_fields=["tier"])

    assert request_redemption(buyer, RewardFactory(tier_required=silver)).status == RedemptionStatus.REQUESTED


def test_given_a_viewer_when_redeeming_then_refused_and_nothing_reserved(viewer, funded):
    membership = Membership.objects.select_related("company").get(user=viewer)
    reward = RewardFactory()
    before = snapshot(funded)

    with pytest.raises(RedemptionError, match="Viewers cannot redeem"):
        request_redemption(membership, reward)

    assert snapshot(funded) == before


def test_given_a_physical_reward_without_an_address_when_redeeming_then_refused(buyer, funded):
    reward = RewardFactory()
    before = snapshot(funded)

    with pytest.raises(RedemptionError, match="delivery address"):
        redemption_request(reward=reward, membership=buyer, quantity=1, request_key="b" * 32)

    assert snapshot(funded) == before


def test_given_a_limit_per_month_when_the_company_reaches_it_then_refused_until_next_month(buyer, funded):
    reward = RewardFactory(points_cost=1_000, company_limit=2, limit_period=LimitPeriod.MONTH)
    now = timezone.now()
    request_redemption(buyer, reward, now=now)
    cancelled = request_redemption(buyer, reward, now=now)
    redemption_cancel(redemption=cancelled, by=buyer.user, now=now)
    request_redemption(buyer, reward, now=now)  # the cancelled one does not count

    with pytest.raises(RedemptionError) as refused:
        request_redemption(buyer, reward, now=now)

    assert str(refused.value) == ("Your company can redeem this reward 2 times per calendar month; 0 left for now.")
    next_month = limit_window_start(LimitPeriod.MONTH, now) + timedelta(days=40)
    assert request_redemption(buyer, reward, now=next_month).status == RedemptionStatus.REQUESTED


def test_limit_periods_start_at_the_local_calendar_boundaries():
    moment = timezone.make_aware(timezone.datetime(2026, 8, 17, 15, 30))

    starts = {period: limit_window_start(period, moment) for period in LimitPeriod.values}

    assert starts[LimitPeriod.MONTH].date().isoformat() == "2026-08-01"
    assert starts[LimitPeriod.QUARTER].date().isoformat() == "2026-07-01"
    assert starts[LimitPeriod.YEAR].date().isoformat() == "2026-01-01"
    assert starts[LimitPeriod.EVER] is None


def test_given_a_quote_when_asked_then_it_shows_the_balance_before_and_after_and_writes_nothing(
    buyer, funded, company_admin
):
    approval_threshold_set(company=buyer.company, threshold=5_000, by=company_admin)
    reward = RewardFactory(points_cost=7_500)
    before = snapshot(funded)

    quote = redemption_quote(reward=reward, membership=buyer, quantity=2)

    assert (quote.balance_before, quote.points_total, quote.balance_after) == (50_000, 15_000, 35_000)
    assert quote.needs_approval and quote.approval_threshold == 5_000
    assert snapshot(funded) == before


# --- Vouchers ---------------------------------------------------------------------------------


def test_given_a_voucher_order_that_needs_no_approval_when_placed_then_it_is_fulfilled_at_once_with_its_codes(
    buyer, funded, fulfiller
):
    reward = VoucherRewardFactory(points_cost=5_000)
    codes = VoucherCodeFactory.create_batch(3, reward=reward)

    redemption = request_redemption(buyer, reward, quantity=2)

    assert redemption.status == RedemptionStatus.FULFILLED and redemption.fulfilled_at is not None
    assert sorted(redemption.voucher_codes.values_list("code", flat=True)) == sorted(c.code for c in codes[:2])
    assert redemption.delivery_street == ""
    assert list(redemption.events.values_list("status", flat=True)) == ["requested", "fulfilled"]
    assert fresh(funded).balance == 40_000
    # Nothing left for the club's hands; a late "mark fulfilled" (the API's retry) changes nothing.
    assert redemption_fulfil(redemption=redemption, by=fulfiller)[1] is False
    # One notice, and it carries the codes.
    (notice,) = Notification.objects.filter(recipient=buyer.user)
    assert notice.key == f"redemption:{redemption.pk}:fulfilled"
    assert codes[0].code in notice.body and codes[1].code in notice.body and codes[2].code not in notice.body
    assert_ledger_consistent()


def test_given_a_voucher_order_awaiting_approval_when_approved_then_it_is_fulfilled_in_that_step(
    buyer, admin_membership, company_admin, fulfiller
):
    approval_threshold_set(company=buyer.company, threshold=1_000, by=company_admin)
    reward = VoucherRewardFactory(points_cost=5_000)
    VoucherCodeFactory(reward=reward, code="GIFT-0001")

    order = request_redemption(buyer, reward)
    assert order.status == RedemptionStatus.AWAITING_APPROVAL
    assert list(order.voucher_codes.values_list("code", flat=True)) == ["GIFT-0001"]  # reserved, not shown

    approved = redemption_approve(redemption=order, by=company_admin, comment="Enjoy")
    again = redemption_approve(redemption=order, by=company_admin)  # a double click

    assert approved.status == again.status == RedemptionStatus.FULFILLED
    assert approved.decided_by == company_admin and approved.fulfilled_at is not None
    assert list(approved.events.values_list("status", flat=True)) == [
        "requested",
        "awaiting_approval",
        "approved",
        "fulfilled",
    ]
    told = Notification.objects.get(recipient=buyer.user, key=f"redemption:{order.pk}:fulfilled")
    assert "GIFT-0001" in told.body


def test_given_fewer_codes_than_ordered_when_redeeming_then_refused_and_no_code_taken(buyer, funded):
    reward = VoucherRewardFactory(points_cost=5_000)
    VoucherCodeFactory(reward=reward)
    before = snapshot(funded)

    with pytest.raises(RedemptionError, match="Only 1 left"):
        request_redemption(buyer, reward, quantity=2)

    assert snapshot(funded) == before


def test_given_a_cancelled_voucher_order_when_cancelled_then_its_unseen_code_goes_back_to_the_pool(
    buyer, funded, company_admin
):
    approval_threshold_set(company=buyer.company, threshold=1_000, by=company_admin)  # so it waits
    reward = VoucherRewardFactory(points_cost=5_000)
    VoucherCodeFactory(reward=reward, code="ONLY-ONE")
    first = request_redemption(buyer, reward)

    redemption_cancel(redemption=first, by=buyer.user)
    second = request_redemption(buyer, reward)

    assert list(second.voucher_codes.values_list("code", flat=True)) == ["ONLY-ONE"]
    assert not first.voucher_codes.exists()


# --- Approval ---------------------------------------------------------------------------------


@pytest.fixture
def awaiting(buyer, admin_membership, company_admin):
    approval_threshold_set(company=buyer.company, threshold=1_000, by=company_admin)
    return request_redemption(buyer, RewardFactory(points_cost=10_000, stock=4), quantity=2)


def test_given_an_order_awaiting_approval_when_the_admin_approves_then_it_is_ready_and_the_buyer_told(
    awaiting, company_admin, buyer
):
    approved = redemption_approve(redemption=awaiting, by=company_admin, comment="Go ahead")

    assert approved.status == RedemptionStatus.APPROVED
    assert (approved.decided_by, approved.decision_comment) == (company_admin, "Go ahead")
    told = Notification.objects.get(recipient=buyer.user, key=f"redemption:{awaiting.pk}:approved")
    assert told.kind == NotificationKind.REDEMPTION and "Go ahead" in told.body
    assert redemption_approve(redemption=awaiting, by=company_admin).status == RedemptionStatus.APPROVED


def test_given_an_order_awaiting_approval_when_the_admin_rejects_then_the_points_come_back_exactly_once(
    awaiting, company_admin, funded
):
    assert fresh(funded).balance == 30_000

    rejected = redemption_reject(redemption=awaiting, by=company_admin, comment="Not this quarter")
    again = redemption_reject(redemption=awaiting, by=company_admin, comment="Not this quarter")

    assert rejected.status == RedemptionStatus.REJECTED == again.status
    assert fresh(funded).balance == 50_000
    reversal = rejected.return_entry
    assert (reversal.kind, reversal.points, reversal.reverses_id) == (
        EntryKind.REVERSAL,
        20_000,
        awaiting.redeem_entry_id,
    )
    assert LedgerEntry.objects.filter(kind=EntryKind.REVERSAL).count() == 1
    assert Reward.objects.get(pk=awaiting.reward_id).stock == 4
    assert_ledger_consistent()


def test_given_a_rejection_without_a_comment_then_refused(awaiting, company_admin):
    with pytest.raises(RedemptionError, match="Say why"):
        redemption_reject(redemption=awaiting, by=company_admin, comment="  ")


def test_given_a_purchaser_or_another_companys_admin_when_approving_then_refused(awaiting, buyer, other_company_member):
    purchaser_colleague = MembershipFactory(company=buyer.company, role=MembershipRole.PURCHASER).user
    for intruder in (buyer.user, purchaser_colleague, other_company_member):
        with pytest.raises(RedemptionError, match="Only a company admin"):
            redemption_approve(redemption=awaiting, by=intruder)
        with pytest.raises(RedemptionError, match="Only a company admin"):
            redemption_reject(redemption=awaiting, by=intruder, comment="no")

    assert Redemption.objects.get(pk=awaiting.pk).status == RedemptionStatus.AWAITING_APPROVAL


def test_given_a_cancelled_order_when_the_admin_approves_then_refused(awaiting, buyer, company_admin):
    redemption_cancel(redemption=awaiting, by=buyer.user)

    with pytest.raises(RedemptionError, match="is cancelled; it no longer waits for approval"):
        redemption_approve(redemption=awaiting, by=company_admin)


def test_given_a_company_admin_when_rejecting_an_order_that_needs_no_approval_then_refused(
    buyer, company_admin, admin_membership
):
    order = request_redemption(buyer, RewardFactory(points_cost=1_000))

    with pytest.raises(RedemptionError, match="no longer waits for approval"):
        redemption_reject(redemption=order, by=company_admin, comment="no")


# --- Cancelling and staff rejection -------------------------------------------------------------


def test_given_an_order_when_its_buyer_cancels_twice_then_points_and_stock_come_back_once(buyer, funded):
    reward = RewardFactory(points_cost=10_000, stock=3)
    order = request_redemption(buyer, reward)

    redemption_cancel(redemption=order, by=buyer.user, reason="Ordered by mistake")
    redemption_cancel(redemption=order, by=buyer.user)

    order.refresh_from_db()
    assert order.status == RedemptionStatus.CANCELLED and order.closed_at is not None
    assert fresh(funded).balance == 50_000
    assert Reward.objects.get(pk=reward.pk).stock == 3
    assert LedgerEntry.objects.filter(kind=EntryKind.REVERSAL, reverses=order.redeem_entry).count() == 1
    assert RedemptionEvent.objects.filter(redemption=order, status=RedemptionStatus.CANCELLED).count() == 1
    assert_ledger_consistent()


def test_given_a_colleague_who_did_not_place_the_order_when_cancelling_then_refused(buyer):
    order = request_redemption(buyer, RewardFactory(points_cost=1_000))
    colleague = MembershipFactory(company=buyer.company, role=MembershipRole.PURCHASER).user

    with pytest.raises(RedemptionError, match="Only the person who placed the order"):
        redemption_cancel(redemption=order, by=colleague)


def test_given_a_fulfilled_order_when_cancelled_or_rejected_then_refused_and_points_stay_spent(
    buyer, funded, fulfiller
):
    order = request_redemption(buyer, RewardFactory(points_cost=10_000))
    redemption_fulfil(redemption=order, by=fulfiller)

    with pytest.raises(RedemptionError, match="already fulfilled"):
        redemption_cancel(redemption=order, by=buyer.user)
    with pytest.raises(RedemptionError, match="already fulfilled"):
        redemption_reject(redemption=order, by=fulfiller, comment="Too late")

    assert fresh(funded).balance == 40_000


def test_given_staff_when_rejecting_an_approved_order_then_the_points_come_back(
    awaiting, company_admin, fulfiller, funded
):
    redemption_approve(redemption=awaiting, by=company_admin)

    rejected = redemption_reject(redemption=awaiting, by=fulfiller, comment="Discontinued by the supplier")

    assert rejected.status == RedemptionStatus.REJECTED
    assert fresh(funded).balance == 50_000
    assert Notification.objects.filter(key=f"redemption:{awaiting.pk}:rejected").exists()


def test_given_a_redemptions_redeem_entry_when_staff_reverse_it_in_the_ledger_then_refused(buyer, staff):
    order = request_redemption(buyer, RewardFactory(points_cost=1_000))

    with pytest.raises(LedgerError, match="reject or cancel the order"):
        entry_reverse(entry=order.redeem_entry, reason="Undo", by=staff)


# --- Fulfilment -------------------------------------------------------------------------------


def test_given_an_order_awaiting_approval_when_fulfilled_then_refused(awaiting, fulfiller):
    with pytest.raises(RedemptionError, match="still waits for the company's approval"):
        redemption_fulfil(redemption=awaiting, by=fulfiller)


def test_given_a_ready_order_when_fulfilled_twice_then_the_first_result_stands(buyer, fulfiller):
    order = request_redemption(buyer, RewardFactory(points_cost=1_000))

    first, changed = redemption_fulfil(redemption=order, by=fulfiller, tracking_reference="PN-1")
    again, changed_again = redemption_fulfil(redemption=order, actor_label="API: ERP", tracking_reference="PN-2")

    assert (changed, changed_again) == (True, False)
    assert again.tracking_reference == "PN-1"
    assert RedemptionEvent.objects.filter(redemption=order, status=RedemptionStatus.FULFILLED).count() == 1
    assert Notification.objects.filter(key=f"redemption:{order.pk}:fulfilled").count() == 1


def test_given_a_member_when_fulfilling_then_refused(buyer):
    order = request_redemption(buyer, RewardFactory(points_cost=1_000))

    with pytest.raises(RedemptionError, match="fulfilment staff"):
        redemption_fulfil(redemption=order, by=buyer.user)


def test_given_several_orders_when_bulk_fulfilled_then_each_outcome_is_reported(buyer, awaiting, fulfiller):
    ready = request_redemption(buyer, RewardFactory(points_cost=1_000))
    done = request_redemption(buyer, RewardFactory(points_cost=1_000))
    redemption_fulfil(redemption=done, by=fulfiller)

    result = redemptions_fulfil_bulk(redemption_ids=[ready.pk, done.pk, awaiting.pk], by=fulfiller, note="Sent")

    assert [r.pk for r in result.fulfilled] == [ready.pk]
    assert [r.pk for r in result.already] == [done.pk]
    assert [(r.pk, "approval" in message) for r, message in result.refused] == [(awaiting.pk, True)]
    assert Redemption.objects.get(pk=ready.pk).fulfilment_note == "Sent"


# --- Expiry of returned points ---------------------------------------------------------------


def test_given_a_cancelled_order_then_its_points_expire_when_the_points_it_used_would_have(buyer, account):
    from rewards.ledger.services import points_due_to_expire

    now = timezone.now()
    order = request_redemption(buyer, RewardFactory(points_cost=10_000), now=now)
    redemption_cancel(redemption=order, by=buyer.user, now=now + timedelta(days=1))
    give_expiry = LedgerEntry.objects.filter(kind=EntryKind.ADJUST).first().expires_at

    # The 50 000 given points expire as if the order had never been placed: all of them.
    assert points_due_to_expire(account_id=account.pk, now=give_expiry) == 50_000
    assert points_due_to_expire(account_id=account.pk, now=give_expiry - timedelta(days=1)) == 0


def test_given_points_whose_expiry_passed_while_the_order_was_open_then_they_get_30_days(buyer, account):
    from rewards.ledger.services import RETURNED_POINTS_GRACE_DAYS, points_due_to_expire

    expiry = LedgerEntry.objects.filter(kind=EntryKind.ADJUST).first().expires_at
    order = request_redemption(buyer, RewardFactory(points_cost=10_000), now=expiry - timedelta(days=2))
    returned_at = expiry + timedelta(days=1)

    redemption_cancel(redemption=order, by=buyer.user, now=returned_at)

    # 40 000 expired on the day; the 10 000 the order held come back with 30 days to spend them.
    assert points_due_to_expire(account_id=account.pk, now=returned_at) == 40_000
    grace_end = returned_at + timedelta(days=RETURNED_POINTS_GRACE_DAYS)
    assert points_due_to_expire(account_id=account.pk, now=grace_end - timedelta(minutes=1)) == 40_000
    assert points_due_to_expire(account_id=account.pk, now=grace_end) == 50_000
