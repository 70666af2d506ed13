"""What a purchase's values may look like: occurred_at is an ISO 8601 string with a UTC
offset (not Unix seconds), and a negative zero amount is zero."""

from __future__ import annotations

import pytest

from rewards.models import Purchase

from .conftest import YESTERDAY, purchase_body

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "occurred_at",
    [
        int(YESTERDAY.timestamp()),
        str(int(YESTERDAY.timestamp())),
        float(YESTERDAY.timestamp()),
        YESTERDAY.date().isoformat(),
    ],
    ids=["unix seconds", "unix seconds as text", "a float", "a date alone"],
)
def test_occurred_at_that_is_not_an_iso_date_and_time_with_an_offset_is_a_422(api, company, occurred_at):
    response = api.post("/purchases", purchase_body(company, occurred_at=occurred_at))

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "occurred_at"]
    assert "ISO 8601" in error["msg"]
    assert Purchase.objects.count() == 0


@pytest.mark.parametrize(
    "occurred_at",
    [
        YESTERDAY.isoformat(),
        YESTERDAY.astimezone().strftime("%Y-%m-%dT%H:%M:%S%z"),
        YESTERDAY.strftime("%Y-%m-%dT%H:%M:%S.123Z"),
        YESTERDAY.strftime("%Y-%m-%dT%H:%MZ"),
    ],
    ids=["offset", "offset without colon", "Z with a fraction", "no seconds"],
)
def test_an_iso_date_and_time_with_an_offset_is_taken(api, company, occurred_at):
    response = api.post("/purchases", purchase_body(company, occurred_at=occurred_at))

    assert response.status_code == 201


@pytest.mark.parametrize("amount", ["-0", "-0.00", -0.0])
def test_a_negative_zero_amount_is_answered_as_zero_and_a_retry_is_identical(api, company, amount):
    body = purchase_body(company, net_amount=amount, lines=[{"sku": "A-1", "amount": amount}])

    first = api.post("/purchases", body)
    again = api.post("/purchases", body)

    assert first.status_code == 201
    assert first.json()["net_amount"] == "0.00"
    assert again.status_code == 200
    assert again.json() == first.json()
