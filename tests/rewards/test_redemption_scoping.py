"""Scoping: every rewards URL, walked as the wrong person, answers 403 or 404 (anonymous
visitors get the login page) and changes nothing."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from members.models import MembershipRole
from rewards.catalogue.services import approval_threshold_set
from rewards.models import CompanyRewardSettings, LedgerEntry, Redemption, Reward, VoucherCode
from tests.factories import MembershipFactory, StaffFactory

from .factories import RewardFactory, VoucherCodeFactory, VoucherRewardFactory
from .helpers import give_points, request_redemption

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(company, company_admin, purchaser, account):
    """The company being attacked: a purchaser's order awaiting approval and one ready to fulfil."""
    give_points(account, 100_000)
    approval_threshold_set(company=company, threshold=5_000, by=company_admin)
    reward = RewardFactory(points_cost=10_000, stock=10)
    voucher = VoucherRewardFactory(points_cost=1_000)
    VoucherCodeFactory.create_batch(3, reward=voucher)
    return {
        "reward": reward,
        "voucher": voucher,
        "awaiting": request_redemption(purchaser.membership, reward),
        "ready": request_redemption(company_admin.membership, voucher),
    }


def snapshot() -> dict:
    return {
        "redemptions": sorted(Redemption.objects.values_list("pk", "status", "tracking_reference", "decision_comment")),
        "entries": LedgerEntry.objects.count(),
        "settings": sorted(
            CompanyRewardSettings.objects.values_list("company_id", "approval_threshold", "goal_reward_id")
        ),
        "stock": sorted(Reward.objects.values_list("pk", "stock")),
        "codes": VoucherCode.objects.count(),
        "assigned": VoucherCode.objects.filter(redemption__isnull=False).count(),
    }


def member_requests(target) -> list[tuple[str, str, dict]]:
    reward, awaiting, ready = target["reward"], target["awaiting"], target["ready"]
    redeem = reverse("rewards:redeem", args=[reward.pk])
    order_form = {"quantity": "1", "delivery_name": "X", "delivery_street": "Y", "delivery_postal_code": "1"}
    order_form |= {"delivery_city": "Z", "delivery_country": "SE"}
    return [
        ("get", reverse("rewards:catalogue"), {}),
        ("get", reverse("rewards:reward", args=[reward.pk]), {}),
        ("get", redeem, {}),
        ("post", redeem, {**order_form, "step": "review"}),
        ("post", redeem, {**order_form, "step": "confirm", "request_key": "f" * 32}),
        ("post", reverse("rewards:goal_set", args=[reward.pk]), {}),
        ("post", reverse("rewards:goal_clear"), {}),
        ("get", reverse("rewards:orders"), {}),
        ("get", reverse("rewards:order", args=[awaiting.pk]), {}),
        ("post", reverse("rewards:order_cancel", args=[awaiting.pk]), {}),
        ("post", reverse("rewards:order_cancel", args=[ready.pk]), {}),
        ("get", reverse("rewards:approvals"), {}),
        ("post", reverse("rewards:approvals"), {"approval_threshold": "1"}),
        ("post", reverse("rewards:approval_decide", args=[awaiting.pk]), {"decision": "approve"}),
        ("post", reverse("rewards:approval_decide", args=[awaiting.pk]), {"decision": "reject", "comment": "no"}),
    ]


def staff_requests(target) -> list[tuple[str, str, dict]]:
    ready = target["ready"]
    csv_file = SimpleUploadedFile("codes.csv", b"code\nNEW-1\n", "text/csv")
    return [
        ("get", reverse("rewards_staff:queue"), {}),
        ("get", reverse("rewards_staff:queue") + "?_export=csv", {}),
        ("post", reverse("rewards_staff:bulk_fulfil"), {"selected": [ready.pk]}),
        ("get", reverse("rewards_staff:redemption", args=[ready.pk]), {}),
        ("post", reverse("rewards_staff:fulfil", args=[ready.pk]), {"tracking_reference": "X"}),
        ("post", reverse("rewards_staff:reject", args=[ready.pk]), {"reason": "no"}),
        ("post", reverse("rewards_staff:delivery", args=[ready.pk]), {"tracking_reference": "X"}),
        ("get", reverse("rewards_staff:voucher_upload"), {}),
        ("post", reverse("rewards_staff:voucher_upload"), {"reward": target["voucher"].pk, "file": csv_file}),
    ]


def test_given_an_anonymous_visitor_when_opening_any_rewards_url_then_sent_to_log_in(client, target):
    before = snapshot()

    for method, url, data in member_requests(target) + staff_requests(target):
        response = getattr(client, method)(url, data)

        assert response.status_code == 302, (method, url, response.status_code)
        assert urlsplit(response["Location"]).path == reverse("account_login"), (method, url)

    assert snapshot() == before


def test_given_an_admin_of_another_company_when_using_this_companys_order_ids_then_404_and_nothing_changes(
    client, target, other_company_member
):
    client.force_login(other_company_member)
    before = snapshot()
    foreign = [
        (method, url, data)
        for method, url, data in member_requests(target)
        if "/orders/" in url
        and url != reverse("rewards:orders")
        or "/approvals/" in url
        and url != reverse("rewards:approvals")
    ]
    assert len(foreign) == 5

    for method, url, data in foreign:
        response = getattr(client, method)(url, data)

        assert response.status_code == 404, (method, url, response.status_code)

    orders_page = client.get(reverse("rewards:orders")).content.decode()
    assert target["awaiting"].number not in orders_page and target["ready"].number not in orders_page
    assert target["awaiting"].number not in client.get(reverse("rewards:approvals")).content.decode()
    assert snapshot() == before


def test_given_a_viewer_when_using_anything_that_spends_decides_or_sets_then_403_and_nothing_changes(
    client, target, company
):
    client.force_login(MembershipFactory(company=company, role=MembershipRole.VIEWER).user)
    before = snapshot()
    readable = {
        reverse("rewards:catalogue"),
        reverse("rewards:orders"),
        reverse("rewards:reward", args=[target["reward"].pk]),
    }
    readable.add(reverse("rewards:order", args=[target["awaiting"].pk]))

    for method, url, data in member_requests(target):
        response = getattr(client, method)(url, data)

        expected = 200 if (method == "get" and url in readable) else 403
        assert response.status_code == expected, (method, url, response.status_code)

    assert snapshot() == before


def test_given_a_purchaser_when_deciding_approvals_or_cancelling_a_colleagues_order_then_403(client, target, company):
    client.force_login(MembershipFactory(company=company, role=MembershipRole.PURCHASER).user)
    before = snapshot()
    forbidden = [
        (method, url, data)
        for method, url, data in member_requests(target)
        if "/approvals/" in url or "/cancel/" in url
    ]

    for method, url, data in forbidden:
        response = getattr(client, method)(url, data)

        assert response.status_code == 403, (method, url, response.status_code)

    assert snapshot() == before


@pytest.mark.parametrize("who", ["company admin", "purchaser", "sales rep", "marketing"])
def test_given_anyone_but_fulfilment_staff_when_opening_staff_pages_then_403_and_nothing_changes(
    client, target, company, settings, who
):
    settings.STAFF_MFA_REQUIRED = False
    user = {
        "company admin": lambda: MembershipFactory(company=company, role=MembershipRole.ADMIN).user,
        "purchaser": lambda: MembershipFactory(company=company, role=MembershipRole.PURCHASER).user,
        "sales rep": lambda: StaffFactory(group="Sales reps"),
        "marketing": lambda: StaffFactory(group="Marketing"),
    }[who]()
    client.force_login(user)
    before = snapshot()

    for method, url, data in staff_requests(target):
        response = getattr(client, method)(url, data)

        assert response.status_code == 403, (who, method, url, response.status_code)

    assert snapshot() == before


def test_given_staff_when_opening_member_pages_then_403(client, target, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(StaffFactory(group="Club admins"))
    before = snapshot()

    for method, url, data in member_requests(target):
        response = getattr(client, method)(url, data)

        assert response.status_code == 403, (method, url, response.status_code)

    assert snapshot() == before


def test_given_fulfilment_staff_without_two_factor_when_opening_staff_pages_then_sent_to_set_it_up(client, target):
    client.force_login(StaffFactory(group="Club admins"))

    response = client.get(reverse("rewards_staff:queue"))

    assert response.status_code == 302 and reverse("mfa_activate_totp") in response["Location"]
