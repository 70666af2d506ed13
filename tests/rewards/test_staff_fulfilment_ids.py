"""Ids the staff fulfilment pages take from a request — ticked orders, order numbers in the
search, ids in the URL, the voucher reward — as a hand-made request can send them: not a
number, negative, a digit that is not ASCII, past the largest id the database holds. Each is
an order that is not there (left alone and said so, or a 404), never a 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rewards.models import Redemption, RedemptionStatus, VoucherCode
from rewards.redemptions.forms import id_from_text

from .factories import RewardFactory, VoucherRewardFactory
from .helpers import give_points, request_redemption

pytestmark = pytest.mark.django_db

QUEUE_URL = "/staff/rewards/"
PAST_BIGINT = "99999999999999999999"
NOT_IDS = [PAST_BIGINT, str(2**63), "abc", "-1", "0", "²", "٣", "1e3", " "]


@pytest.fixture
def order(purchaser, account):
    give_points(account, 1_000_000)
    return request_redemption(purchaser.membership, RewardFactory(points_cost=1_000))


def fulfilled() -> list[int]:
    return list(Redemption.objects.filter(status=RedemptionStatus.FULFILLED).values_list("pk", flat=True))


@pytest.mark.parametrize("value", NOT_IDS)
def test_given_a_ticked_value_that_is_no_id_when_marking_fulfilled_then_it_is_reported_not_found(
    client, fulfiller, order, value
):
    response = client.post(reverse("rewards_staff:bulk_fulfil"), {"selected": value, "note": "x"}, follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    if value.strip():
        assert "1 ticked order was not found in your queue; it was left alone." in page
    else:
        assert "Tick the orders to mark fulfilled." in page
    assert fulfilled() == []


def test_given_real_and_impossible_ids_ticked_together_then_the_real_one_is_fulfilled_and_the_rest_counted(
    client, fulfiller, order
):
    response = client.post(
        reverse("rewards_staff:bulk_fulfil"),
        {"selected": [str(order.pk), PAST_BIGINT, "abc", "-1", "123456789"], "note": "x"},
        follow=True,
    )

    page = response.content.decode()
    assert "1 order marked fulfilled." in page
    assert "4 ticked orders were not found in your queue; they were left alone." in page
    assert fulfilled() == [order.pk]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("42", 42), (" 7 ", 7), ("0042", 42), (str(2**63 - 1), 2**63 - 1), *((value, None) for value in NOT_IDS)],
)
def test_id_from_text(value, expected):
    assert id_from_text(value) == expected


@pytest.mark.parametrize("query", [PAST_BIGINT, f"R-{PAST_BIGINT}", "²", "R-²", "R-0", "-1"])
def test_given_a_search_for_an_impossible_order_number_then_the_queue_and_its_export_answer(
    client, fulfiller, order, query
):
    page = client.get(QUEUE_URL, {"q": query, "status": ""})
    export = client.get(QUEUE_URL, {"q": query, "status": "", "_export": "csv"})

    assert page.status_code == 200 and export.status_code == 200
    assert order.number not in page.content.decode()


def test_given_an_order_number_then_the_search_still_finds_it(client, fulfiller, order):
    page = client.get(QUEUE_URL, {"q": order.number.lower(), "status": ""}).content.decode()

    assert order.number in page


@pytest.mark.parametrize(
    ("method", "name", "data"),
    [
        ("get", "rewards_staff:redemption", {}),
        ("post", "rewards_staff:fulfil", {"tracking_reference": "T", "note": ""}),
        ("post", "rewards_staff:reject", {"reason": "x"}),
        ("post", "rewards_staff:delivery", {"tracking_reference": "T", "note": ""}),
    ],
)
def test_given_an_id_past_the_largest_in_the_url_then_404(client, fulfiller, order, method, name, data):
    url = reverse(name, args=[1]).replace("/1/", f"/{PAST_BIGINT}/")

    response = getattr(client, method)(url, data)

    assert response.status_code == 404
    assert fulfilled() == []


def test_given_a_voucher_reward_id_past_the_largest_then_the_form_says_choose_a_reward(client, fulfiller):
    VoucherRewardFactory()

    response = client.post(
        reverse("rewards_staff:voucher_upload"),
        {"reward": PAST_BIGINT, "file": SimpleUploadedFile("codes.csv", b"A-1\n", "text/csv")},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not VoucherCode.objects.exists()
    assert client.get(reverse("rewards_staff:voucher_upload"), {"reward": PAST_BIGINT}).status_code == 200
