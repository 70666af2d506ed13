"""GET /redemptions and POST /redemptions/{id}/fulfil: the ERP pulls what to send and marks it
sent; a retried call changes nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import MembershipRole
from rewards.catalogue.services import approval_threshold_set
from rewards.ledger.services import points_account_for_company
from rewards.models import RedemptionEvent, RedemptionStatus
from rewards.redemptions.services import redemption_cancel
from tests.factories import MembershipFactory
from tests.rewards.factories import RewardFactory, VoucherCodeFactory, VoucherRewardFactory
from tests.rewards.helpers import give_points, request_redemption

LIST_QUERIES = 3  # the token, the page (with company and reward), the last-used update at most


@pytest.fixture
def buyer(company):
    membership = MembershipFactory(company=company, role=MembershipRole.PURCHASER)
    give_points(points_account_for_company(company=company), 1_000_000)
    return membership


@pytest.mark.parametrize(
    ("method", "path"), [("get", "/redemptions"), ("get", "/redemptions/1"), ("post", "/redemptions/1/fulfil")]
)
def test_every_redemption_endpoint_needs_a_token(anonymous_api, method, path):
    response = getattr(anonymous_api, method)(path, {}) if method == "post" else anonymous_api.get(path)

    assert response.status_code == 401


def test_the_list_shows_what_is_ready_to_fulfil_oldest_first_with_the_delivery_address(api, company, buyer):
    admin = MembershipFactory(company=company, role=MembershipRole.ADMIN)
    approval_threshold_set(company=company, threshold=5_000, by=admin.user)
    parcel = request_redemption(buyer, RewardFactory(points_cost=1_000, sku="THERMOS"), quantity=2, note="Gate B")
    donation = request_redemption(buyer, RewardFactory(points_cost=1_000, kind="donation", charity_name="UNICEF"))
    voucher = VoucherRewardFactory(points_cost=1_000)
    VoucherCodeFactory(reward=voucher)
    instant = request_redemption(buyer, voucher)  # an e-voucher is fulfilled at once: nothing to do
    request_redemption(buyer, RewardFactory(points_cost=10_000))  # awaiting approval: not yet

    body = api.get("/redemptions").json()

    assert [item["id"] for item in body["items"]] == [parcel.pk, donation.pk]
    first = body["items"][0]
    assert (first["number"], first["status"], first["company"], first["reward_sku"]) == (
        parcel.number,
        "requested",
        company.external_id,
        "THERMOS",
    )
    assert (first["quantity"], first["points"], first["note"]) == (2, 2_000, "Gate B")
    assert first["delivery"]["city"] == "Göteborg" and first["delivery"]["country"] == "SE"
    assert body["items"][1]["delivery"] is None
    assert body["next_cursor"] is None
    (fulfilled,) = api.get("/redemptions", status="fulfilled").json()["items"]
    assert fulfilled["id"] == instant.pk
    assert "code" not in str(fulfilled).lower().replace("reward_sku", "")  # codes are for the company only


def test_a_status_picks_other_states(api, buyer):
    order = request_redemption(buyer, RewardFactory(points_cost=1_000))
    redemption_cancel(redemption=order, by=buyer.user)

    assert [item["id"] for item in api.get("/redemptions", status="cancelled").json()["items"]] == [order.pk]
    assert api.get("/redemptions").json()["items"] == []
    assert api.get("/redemptions", status="nonsense").status_code == 422


def test_paging_never_skips_an_order_when_one_is_fulfilled_meanwhile(api, buyer):
    reward = RewardFactory(points_cost=1_000)
    orders = [request_redemption(buyer, reward) for _ in range(5)]

    first = api.get("/redemptions", limit=2).json()
    api.post(f"/redemptions/{orders[0].pk}/fulfil", {})
    second = api.get("/redemptions", limit=2, cursor=first["next_cursor"]).json()
    third = api.get("/redemptions", limit=2, cursor=second["next_cursor"]).json()

    seen = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert seen == [order.pk for order in orders]
    assert third["next_cursor"] is None


def test_a_forged_cursor_is_a_422_naming_the_cursor(api):
    response = api.get("/redemptions", cursor="bm9wZQ")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_the_list_costs_the_same_queries_for_five_orders_or_two_hundred(api, buyer):
    reward = RewardFactory(points_cost=1_000)
    for _ in range(5):
        request_redemption(buyer, reward)
    api.get("/redemptions")
    with CaptureQueriesContext(connection) as small:
        api.get("/redemptions")
    for _ in range(195):
        request_redemption(buyer, reward)
    with CaptureQueriesContext(connection) as large:
        response = api.get("/redemptions", limit=500)

    assert len(response.json()["items"]) == 200
    assert len(large) == len(small) <= LIST_QUERIES


def test_marking_fulfilled_is_idempotent_and_keeps_the_first_tracking(api, buyer):
    order = request_redemption(buyer, RewardFactory(points_cost=1_000))

    first = api.post(f"/redemptions/{order.pk}/fulfil", {"tracking_reference": "PN-1", "note": "Two boxes"})
    retry = api.post(f"/redemptions/{order.pk}/fulfil", {"tracking_reference": "PN-2"})

    assert first.status_code == retry.status_code == 200
    assert "Idempotent-Replayed" not in first
    assert retry["Idempotent-Replayed"] == "true"
    assert first.json() == retry.json()
    assert (first.json()["status"], first.json()["tracking_reference"]) == ("fulfilled", "PN-1")
    event = RedemptionEvent.objects.get(redemption=order, status=RedemptionStatus.FULFILLED)
    assert (event.actor, event.actor_label) == (None, "API: ERP")
    assert buyer.user.notifications.filter(key=f"redemption:{order.pk}:fulfilled").count() == 1


def test_an_order_that_awaits_approval_or_was_cancelled_cannot_be_fulfilled(api, company, buyer):
    admin = MembershipFactory(company=company, role=MembershipRole.ADMIN)
    approval_threshold_set(company=company, threshold=5_000, by=admin.user)
    waiting = request_redemption(buyer, RewardFactory(points_cost=10_000))
    cancelled = request_redemption(buyer, RewardFactory(points_cost=1_000))
    redemption_cancel(redemption=cancelled, by=buyer.user)

    for order, message in ((waiting, "still waits for the company's approval"), (cancelled, "is cancelled")):
        response = api.post(f"/redemptions/{order.pk}/fulfil", {})
        assert response.status_code == 409
        assert message in response.json()["detail"]
        order.refresh_from_db()
        assert order.status != RedemptionStatus.FULFILLED


def test_an_unknown_redemption_is_a_404_and_a_bad_body_a_422(api, buyer):
    order = request_redemption(buyer, RewardFactory(points_cost=1_000))

    assert api.post("/redemptions/999999/fulfil", {}).json() == {"detail": "No redemption with id 999999."}
    assert api.get("/redemptions/999999").status_code == 404
    too_long = api.post(f"/redemptions/{order.pk}/fulfil", {"tracking_reference": "X" * 201})
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["loc"] == ["body", "tracking_reference"]
    order.refresh_from_db()
    assert order.status == RedemptionStatus.REQUESTED


def test_one_redemption_can_be_read(api, buyer):
    order = request_redemption(buyer, RewardFactory(points_cost=1_000, title="Thermos"))

    body = api.get(f"/redemptions/{order.pk}").json()

    assert (body["id"], body["reward_title"], body["kind"]) == (order.pk, "Thermos", "physical")


def test_the_openapi_document_describes_the_redemption_endpoints(api):
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]

    assert "/api/v1/redemptions" in paths
    assert "/api/v1/redemptions/{redemption_id}/fulfil" in paths


@pytest.mark.parametrize("content_type", [None, "application/json"], ids=["no Content-Type", "json"])
def test_marking_fulfilled_needs_no_body(client, token, buyer, content_type):
    """Given an order to send, when the warehouse posts fulfil with an empty body (nothing to
    track), then it is fulfilled, without a tracking reference or note."""
    order = request_redemption(buyer, RewardFactory(points_cost=1_000))
    headers = {"Authorization": f"Bearer {token}"}

    if content_type is None:
        response = client.generic(
            "POST", f"/api/v1/redemptions/{order.pk}/fulfil", b"", headers=headers, content_type=""
        )
    else:
        response = client.post(
            f"/api/v1/redemptions/{order.pk}/fulfil", b"", content_type=content_type, headers=headers
        )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["tracking_reference"]) == ("fulfilled", "")
    order.refresh_from_db()
    assert order.fulfilled_at is not None
