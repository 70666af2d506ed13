"""Redeeming in the portal: the form, the confirm page with the balance before and after,
one order per confirm page, bad input refused with a message and nothing reserved; the
order history and order page; company admins' approvals."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import MembershipRole
from rewards.catalogue.services import approval_threshold_set
from rewards.models import CompanyRewardSettings, LedgerEntry, LimitPeriod, Redemption, RedemptionStatus
from rewards.redemptions.services import redemption_approve, redemption_fulfil
from tests.factories import MembershipFactory, StaffFactory

from .factories import RewardFactory, TierFactory, VoucherCodeFactory, VoucherRewardFactory
from .helpers import fresh, give_points, request_redemption

pytestmark = pytest.mark.django_db

ORDERS_BUDGET = 18  # + the unread badges on the bell and Messages (2)
ORDER_BUDGET = 18  # + the unread badges on the bell and Messages (2)


@pytest.fixture
def funded(account):
    give_points(account, 30_000)
    return account


def redeem_data(**overrides) -> dict:
    data = {
        "quantity": "1",
        "delivery_name": "Bygg AB, Lena",
        "delivery_street": "Industrigatan 7",
        "delivery_postal_code": "411 01",
        "delivery_city": "Göteborg",
        "delivery_country": "SE",
        "delivery_phone": "",
        "note": "",
    }
    data.update(overrides)
    return data


def confirm(client, reward, key="0" * 32, **overrides):
    return client.post(
        reverse("rewards:redeem", args=[reward.pk]), {**redeem_data(**overrides), "step": "confirm", "request_key": key}
    )


def test_given_a_physical_reward_when_the_form_opens_then_the_address_is_the_companys(
    member_client, company, purchaser, funded
):
    company.street_address, company.postal_code, company.city = "Hamngatan 4", "411 06", "Göteborg"
    company.save()

    page = member_client.get(reverse("rewards:redeem", args=[RewardFactory().pk])).content.decode()

    assert 'value="Hamngatan 4"' in page and 'value="411 06"' in page and 'value="Göteborg"' in page
    assert f"{company.name}, {purchaser.get_full_name()}" in page


def test_given_the_form_when_reviewed_then_the_confirm_page_shows_balance_before_and_after_and_reserves_nothing(
    member_client, funded
):
    reward = RewardFactory(points_cost=10_000)

    response = member_client.post(reverse("rewards:redeem", args=[reward.pk]), redeem_data(quantity="2"))

    page = response.content.decode()
    assert response.status_code == 200
    table = page[page.index('data-testid="confirm-balance"') :]
    assert (
        table.index("30\u202f000 points") < table.index("\u221220\u202f000 points") < table.index("10\u202f000 points")
    )
    assert re.search(r'name="request_key" value="[0-9a-f]{32}"', page)
    assert "Confirm and redeem" in page
    assert fresh(funded).balance == 30_000 and not Redemption.objects.exists()


def test_given_a_purchaser_above_the_limit_when_reviewing_then_the_confirm_page_says_an_admin_must_approve(
    member_client, funded, company, company_admin
):
    approval_threshold_set(company=company, threshold=5_000, by=company_admin)

    page = member_client.post(
        reverse("rewards:redeem", args=[RewardFactory(points_cost=10_000).pk]), redeem_data()
    ).content.decode()

    assert "a company admin must approve it" in page and "Send for approval" in page


def test_given_the_confirm_page_when_submitted_twice_then_one_order_and_the_second_lands_on_it(member_client, funded):
    reward = RewardFactory(points_cost=10_000, stock=5)

    first = confirm(member_client, reward)
    second = confirm(member_client, reward)

    redemption = Redemption.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == redemption.get_absolute_url()
    assert fresh(funded).balance == 20_000
    follow = member_client.get(second["Location"]).content.decode()
    assert f"Order {redemption.number} was already placed" in follow


@pytest.mark.parametrize(
    ("reward_kwargs", "form", "message"),
    [
        ({"points_cost": 40_000}, {}, "Not enough points: your company has 30\u202f000 points"),
        ({"stock": 1}, {"quantity": "2"}, "Only 1 left; order 1 or fewer."),
        ({}, {"quantity": "0"}, "Order at least one."),
        ({"max_per_order": 3}, {"quantity": "4"}, "One order can have at most 3 of this reward."),
        ({}, {"quantity": "lots"}, "Enter a whole number."),
        ({}, {"delivery_street": ""}, "This field is required."),
        ({"available_until": timezone.now() - timedelta(days=1)}, {}, "could only be redeemed until"),
        ({"company_limit": 1, "limit_period": LimitPeriod.YEAR}, {"quantity": "2"}, "1 times per calendar year"),
    ],
    ids=["balance", "stock", "zero", "too-many", "not-a-number", "no-address", "ended", "limit"],
)
def test_given_bad_input_when_confirming_then_the_form_says_why_and_nothing_is_reserved(
    member_client, funded, reward_kwargs, form, message
):
    reward = RewardFactory(points_cost=reward_kwargs.pop("points_cost", 10_000), **reward_kwargs)
    entries = LedgerEntry.objects.count()

    for step in ("review", "confirm"):
        response = member_client.post(
            reverse("rewards:redeem", args=[reward.pk]), {**redeem_data(**form), "step": step, "request_key": "1" * 32}
        )
        assert response.status_code == 200
        assert message in response.content.decode()

    assert not Redemption.objects.exists()
    assert LedgerEntry.objects.count() == entries and fresh(funded).balance == 30_000


def test_given_a_reward_above_the_tier_when_confirming_then_refused_with_the_tier(member_client, funded):
    reward = RewardFactory(points_cost=1_000, tier_required=TierFactory(name="Gold", qualifying_points=300_000))

    response = confirm(member_client, reward)

    assert "for companies in the Gold tier and above" in response.content.decode()
    assert not Redemption.objects.exists()


def test_given_a_viewer_when_opening_or_posting_the_redeem_page_then_403_and_nothing_reserved(client, viewer, funded):
    client.force_login(viewer)
    reward = RewardFactory(points_cost=1_000)

    assert client.get(reverse("rewards:redeem", args=[reward.pk])).status_code == 403
    assert confirm(client, reward).status_code == 403
    assert not Redemption.objects.exists()


# --- Orders ---------------------------------------------------------------------------------


def test_given_many_orders_when_the_history_opens_then_25_a_page_and_the_queries_stay_the_same(
    member_client, purchaser, account, portal_site, django_assert_max_num_queries
):
    give_points(account, 10_000_000)
    rewards = RewardFactory.create_batch(3, points_cost=1_000)
    for reward in rewards:
        request_redemption(purchaser.membership, reward)
    url = reverse("rewards:orders")
    member_client.get(url)
    with CaptureQueriesContext(connection) as small:
        member_client.get(url)

    for index in range(120):
        request_redemption(purchaser.membership, rewards[index % 3])
    with django_assert_max_num_queries(ORDERS_BUDGET):
        response = member_client.get(url, {"status": "requested", "sort": "-requested_at"})
    with CaptureQueriesContext(connection) as large:
        member_client.get(url)

    assert response.status_code == 200
    assert len(re.findall(r'href="/rewards/orders/\d+/"', response.content.decode())) == 25
    assert len(large) == len(small)


@pytest.mark.parametrize("status", ["bogus", "requested\x00", "REQUESTED"])
def test_given_a_status_the_list_does_not_offer_then_it_says_so_instead_of_no_orders_match(
    member_client, purchaser, funded, status
):
    request_redemption(purchaser.membership, RewardFactory(points_cost=1_000))

    response = member_client.get(reverse("rewards:orders"), {"status": status})

    page = response.content.decode()
    assert response.status_code == 400
    assert "This status is not one the list offers" in page
    assert "No orders match." not in page
    assert 'class="invalid-feedback d-block" id="id_status-error"' in page  # the field that is wrong is marked
    assert 'href="/rewards/orders/">Clear</a>' in page  # and the way back


def test_given_a_status_the_list_offers_then_the_page_is_as_before(member_client, purchaser, funded):
    request_redemption(purchaser.membership, RewardFactory(points_cost=1_000))

    offered = member_client.get(reverse("rewards:orders"), {"status": "requested"})
    other = member_client.get(reverse("rewards:orders"), {"status": "fulfilled"})

    assert offered.status_code == other.status_code == 200
    assert len(re.findall(r'href="/rewards/orders/\d+/"', offered.content.decode())) == 1
    assert "No orders match." in other.content.decode()
    assert "not one the list offers" not in offered.content.decode() + other.content.decode()


def test_a_dutch_reader_sees_the_rewards_dutch_name_in_the_order_history_until_it_is_renamed(
    member_client, purchaser, funded, portal_site
):
    reward = RewardFactory(points_cost=1_000, title_en="Winter work jacket", title_nl="Winterwerkjas")
    order = request_redemption(purchaser.membership, reward)  # ordered in English: the copy is English
    purchaser.language = "nl"
    purchaser.save(update_fields=["language"])

    history = member_client.get(reverse("rewards:orders")).content.decode()
    detail = member_client.get(order.get_absolute_url()).content.decode()
    reward.title_en, reward.title_nl = "Winter jacket, 2027 model", "Winterjas, model 2027"
    reward.save(update_fields=["title_en", "title_nl"])
    renamed = member_client.get(reverse("rewards:orders")).content.decode()

    assert Redemption.objects.get().reward_title == "Winter work jacket"
    assert "Winterwerkjas" in history and "Winter work jacket" not in history
    assert "Winterwerkjas" in detail
    assert "Winter work jacket" in renamed and "2027" not in renamed  # the history reads as ordered


def test_given_an_order_page_with_a_long_history_then_its_queries_do_not_grow(
    member_client, purchaser, funded, django_assert_max_num_queries
):
    staff = StaffFactory(group="Club admins")
    reward = VoucherRewardFactory(points_cost=1_000)
    VoucherCodeFactory.create_batch(5, reward=reward)
    order = request_redemption(purchaser.membership, reward, quantity=5)
    redemption_fulfil(redemption=order, by=staff)

    with django_assert_max_num_queries(ORDER_BUDGET):
        page = member_client.get(order.get_absolute_url()).content.decode()

    assert page.count("<code") == 5


def test_given_an_e_voucher_when_i_confirm_the_order_then_the_code_is_on_the_page_i_land_on(
    member_client, purchaser, funded
):
    reward = VoucherRewardFactory(points_cost=1_000)
    VoucherCodeFactory(reward=reward, code="SECRET-123")
    url = reverse("rewards:redeem", args=[reward.pk])

    response = member_client.post(url, {"quantity": 1, "step": "confirm", "request_key": "a" * 32}, follow=True)

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == Redemption.objects.get().get_absolute_url()
    assert "SECRET-123" in page and "your voucher code is below" in page


def test_given_an_e_voucher_awaiting_approval_then_its_code_shows_only_once_approved(
    member_client, purchaser, funded, company_admin
):
    approval_threshold_set(company=purchaser.membership.company, threshold=500, by=company_admin)
    reward = VoucherRewardFactory(points_cost=1_000)
    VoucherCodeFactory(reward=reward, code="SECRET-123")
    order = request_redemption(purchaser.membership, reward)

    before = member_client.get(order.get_absolute_url()).content.decode()
    redemption_approve(redemption=order, by=company_admin)
    after = member_client.get(order.get_absolute_url()).content.decode()

    assert "SECRET-123" not in before and "as soon as a company admin approves" in before
    assert "SECRET-123" in after


def test_given_my_open_order_when_i_cancel_it_then_the_points_come_back(member_client, purchaser, funded):
    order = request_redemption(purchaser.membership, RewardFactory(points_cost=10_000))

    response = member_client.post(reverse("rewards:order_cancel", args=[order.pk]), {"reason": "Wrong size"})

    order.refresh_from_db()
    assert response.status_code == 302
    assert order.status == RedemptionStatus.CANCELLED
    assert fresh(funded).balance == 30_000
    assert "its points are back in your balance" in member_client.get(response["Location"]).content.decode()


def test_given_a_colleagues_order_when_a_purchaser_cancels_it_then_403(client, company, purchaser, funded):
    order = request_redemption(purchaser.membership, RewardFactory(points_cost=10_000))
    colleague = MembershipFactory(company=company, role=MembershipRole.PURCHASER).user
    client.force_login(colleague)

    assert client.post(reverse("rewards:order_cancel", args=[order.pk])).status_code == 403
    assert Redemption.objects.get().status == RedemptionStatus.REQUESTED


# --- Approvals ------------------------------------------------------------------------------


@pytest.fixture
def waiting(company, company_admin, purchaser, funded):
    approval_threshold_set(company=company, threshold=5_000, by=company_admin)
    return request_redemption(purchaser.membership, RewardFactory(points_cost=10_000))


def test_given_an_order_awaiting_approval_when_the_admin_approves_on_the_page_then_it_is_approved(
    admin_client_of_company, waiting
):
    page = admin_client_of_company.get(reverse("rewards:approvals")).content.decode()
    response = admin_client_of_company.post(
        reverse("rewards:approval_decide", args=[waiting.pk]),
        {"decision": "approve", "comment": "OK", "next": reverse("rewards:approvals")},
    )

    assert waiting.number in page
    assert response["Location"] == reverse("rewards:approvals")
    waiting.refresh_from_db()
    assert (waiting.status, waiting.decision_comment) == (RedemptionStatus.APPROVED, "OK")


def test_given_a_rejection_without_a_comment_when_posted_then_refused_with_a_message(admin_client_of_company, waiting):
    response = admin_client_of_company.post(
        reverse("rewards:approval_decide", args=[waiting.pk]), {"decision": "reject", "comment": ""}, follow=True
    )

    # The approvals page lists several orders: the banner says which one.
    assert f"Order {waiting.number}: Say why you reject the order" in response.content.decode()
    assert Redemption.objects.get().status == RedemptionStatus.AWAITING_APPROVAL


def test_given_a_rejection_with_a_comment_then_the_points_come_back(admin_client_of_company, waiting, funded):
    admin_client_of_company.post(
        reverse("rewards:approval_decide", args=[waiting.pk]), {"decision": "reject", "comment": "Too much now"}
    )

    assert Redemption.objects.get().status == RedemptionStatus.REJECTED
    assert fresh(funded).balance == 30_000


def test_given_the_approval_limit_form_when_saved_or_cleared_then_stored(admin_client_of_company, company):
    url = reverse("rewards:approvals")

    admin_client_of_company.post(url, {"approval_threshold": "25000"})
    assert CompanyRewardSettings.objects.get(company=company).approval_threshold == 25_000
    admin_client_of_company.post(url, {"approval_threshold": ""})
    assert CompanyRewardSettings.objects.get(company=company).approval_threshold is None

    refused = admin_client_of_company.post(url, {"approval_threshold": "-5"})
    assert "Ensure this value is greater than or equal to 0." in refused.content.decode()
    assert CompanyRewardSettings.objects.get(company=company).approval_threshold is None


def test_the_order_form_states_the_most_one_order_may_hold_before_it_is_exceeded(member_client, funded):
    reward = RewardFactory(points_cost=1_000, max_per_order=5, stock=3)

    page = member_client.get(reverse("rewards:redeem", args=[reward.pk])).content.decode()

    assert "At most 3 in one order." in page
    assert re.search(r'<input[^>]*name="quantity"[^>]*max="3"', page)
