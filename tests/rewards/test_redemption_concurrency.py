"""Redemptions under real concurrency on PostgreSQL: threads released together by a barrier.

Balance, stock and the voucher pool must hold: never negative, never oversold, no code
handed to two orders, and the points of a closed order returned exactly once, whatever
arrives at the same moment.
"""

from __future__ import annotations

from collections import Counter
from uuid import uuid4

import pytest

from members.models import Membership, MembershipRole
from rewards.ledger.selectors import ledger_mismatches
from rewards.ledger.services import points_account_for_company
from rewards.models import EntryKind, LedgerEntry, PointsAccount, Redemption, RedemptionStatus, Reward, VoucherCode
from rewards.redemptions.services import (
    RedemptionError,
    redemption_approve,
    redemption_cancel,
    redemption_fulfil,
    redemption_reject,
    redemption_request,
)
from tests.concurrency import race
from tests.factories import CompanyFactory, MembershipFactory, StaffFactory

from .factories import RewardFactory, VoucherCodeFactory, VoucherRewardFactory
from .helpers import delivery_address, give_points

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _funded_buyer(points: int, *, company=None) -> Membership:
    company = company or CompanyFactory()
    give_points(points_account_for_company(company=company), points)
    membership = MembershipFactory(company=company, role=MembershipRole.PURCHASER)
    return Membership.objects.select_related("company", "user").get(pk=membership.pk)


def _order(membership, reward, key=None):
    def call():
        redemption, _created = redemption_request(
            reward=reward,
            membership=membership,
            quantity=1,
            request_key=key or uuid4().hex,
            delivery=delivery_address() if reward.needs_delivery_address else None,
        )
        return redemption

    return call


def test_given_a_balance_that_covers_one_when_50_orders_race_then_exactly_one_and_never_negative(require_postgres):
    first = _funded_buyer(15_000)
    colleagues = [first] + [
        Membership.objects.select_related("company", "user").get(
            pk=MembershipFactory(company=first.company, role=MembershipRole.PURCHASER).pk
        )
        for _ in range(4)
    ]
    reward = RewardFactory(points_cost=10_000)

    outcomes, _results, refusals = race(
        [_order(colleagues[n % 5], reward) for n in range(50)], refused=(RedemptionError,)
    )

    assert outcomes == Counter({"ok": 1, "refused": 49})
    assert all("Not enough points" in message for message in refusals)
    account = PointsAccount.objects.get(company=first.company)
    assert account.balance == 5_000
    assert LedgerEntry.objects.filter(kind=EntryKind.REDEEM).count() == 1
    assert ledger_mismatches() == []


def test_given_a_stock_of_3_when_20_companies_race_then_exactly_3_get_one(require_postgres):
    reward = RewardFactory(points_cost=1_000, stock=3)
    buyers = [_funded_buyer(10_000) for _ in range(20)]

    outcomes, results, _refusals = race([_order(buyer, reward) for buyer in buyers], refused=(RedemptionError,))

    assert outcomes["ok"] == 3
    assert outcomes["refused"] == 17
    assert Reward.objects.get(pk=reward.pk).stock == 0
    assert Redemption.objects.count() == 3
    assert len({redemption.company_id for redemption in results}) == 3
    assert ledger_mismatches() == []


def test_given_a_pool_of_12_codes_when_10_companies_race_then_no_code_is_handed_out_twice(require_postgres):
    reward = VoucherRewardFactory(points_cost=1_000)
    VoucherCodeFactory.create_batch(12, reward=reward)
    buyers = [_funded_buyer(10_000) for _ in range(10)]

    outcomes, _results, _refusals = race([_order(buyer, reward) for buyer in buyers], refused=(RedemptionError,))

    assert outcomes == Counter({"ok": 10})
    assigned = list(VoucherCode.objects.filter(redemption__isnull=False).values_list("code", "redemption_id"))
    assert len(assigned) == 10
    assert len({code for code, _redemption in assigned}) == 10
    assert len({redemption for _code, redemption in assigned}) == 10
    assert VoucherCode.objects.filter(redemption__isnull=True).count() == 2
    # Each was fulfilled in the transaction that took its code: nothing waits for staff.
    assert set(Redemption.objects.values_list("status", flat=True)) == {RedemptionStatus.FULFILLED}


def test_given_a_pool_smaller_than_the_crowd_when_they_race_then_the_rest_are_refused(require_postgres):
    reward = VoucherRewardFactory(points_cost=1_000)
    VoucherCodeFactory.create_batch(6, reward=reward)
    buyers = [_funded_buyer(10_000) for _ in range(10)]

    outcomes, _results, _refusals = race([_order(buyer, reward) for buyer in buyers], refused=(RedemptionError,))

    assert outcomes == Counter({"ok": 6, "refused": 4})
    assert VoucherCode.objects.filter(redemption__isnull=True).count() == 0
    assert ledger_mismatches() == []


def test_given_one_confirm_form_submitted_by_20_threads_then_one_order(require_postgres):
    buyer = _funded_buyer(100_000)
    reward = RewardFactory(points_cost=1_000, stock=50)
    key = uuid4().hex

    outcomes, results, _refusals = race([_order(buyer, reward, key=key) for _ in range(20)], refused=(RedemptionError,))

    assert outcomes == Counter({"ok": 20})
    assert {redemption.pk for redemption in results} == {Redemption.objects.get().pk}
    assert Reward.objects.get(pk=reward.pk).stock == 49
    assert PointsAccount.objects.get(company=buyer.company).balance == 99_000


def test_given_cancel_reject_approve_and_fulfil_racing_on_one_order_then_one_outcome_and_points_back_at_most_once(
    require_postgres,
):
    buyer = _funded_buyer(50_000)
    admin = MembershipFactory(company=buyer.company, role=MembershipRole.ADMIN).user
    staff = StaffFactory(group="Club admins")
    from rewards.catalogue.services import approval_threshold_set

    approval_threshold_set(company=buyer.company, threshold=1_000, by=admin)
    reward = RewardFactory(points_cost=10_000, stock=5)
    order = _order(buyer, reward)()
    assert order.status == RedemptionStatus.AWAITING_APPROVAL
    calls = []
    for _ in range(5):
        calls += [
            lambda: redemption_cancel(redemption=order, by=buyer.user),
            lambda: redemption_reject(redemption=order, by=admin, comment="No"),
            lambda: redemption_reject(redemption=order, by=staff, comment="Out of stock"),
            lambda: redemption_approve(redemption=order, by=admin),
            lambda: redemption_fulfil(redemption=order, by=staff),
        ]

    outcomes, _results, _refusals = race(calls, refused=(RedemptionError,))

    assert set(outcomes) <= {"ok", "refused"}, outcomes  # refusals only, no crash
    order.refresh_from_db()
    returns = LedgerEntry.objects.filter(kind=EntryKind.REVERSAL, reverses=order.redeem_entry).count()
    account = PointsAccount.objects.get(company=buyer.company)
    if order.status in (RedemptionStatus.CANCELLED, RedemptionStatus.REJECTED):
        assert returns == 1 and account.balance == 50_000
        assert Reward.objects.get(pk=reward.pk).stock == 5
    else:
        assert returns == 0 and account.balance == 40_000
        assert Reward.objects.get(pk=reward.pk).stock == 4
    assert ledger_mismatches() == []


def test_given_a_limit_of_2_per_month_when_10_colleagues_race_then_the_company_gets_exactly_2(require_postgres):
    from rewards.models import LimitPeriod

    first = _funded_buyer(1_000_000)
    colleagues = [first] + [
        Membership.objects.select_related("company", "user").get(
            pk=MembershipFactory(company=first.company, role=MembershipRole.PURCHASER).pk
        )
        for _ in range(9)
    ]
    reward = RewardFactory(points_cost=1_000, company_limit=2, limit_period=LimitPeriod.MONTH)

    outcomes, _results, refusals = race(
        [_order(colleague, reward) for colleague in colleagues], refused=(RedemptionError,)
    )

    assert outcomes == Counter({"ok": 2, "refused": 8})
    assert all("2 times per calendar month" in message for message in refusals)
    assert Redemption.objects.filter(company=first.company).count() == 2
