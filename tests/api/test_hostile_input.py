"""Hostile input never answers 500 and never saves anything: every class of input found by
the edge-case review (NUL and control characters in a path, a body field or a batch item;
numbers past what the ledger can hold; dates in year 1 or 9999; crafted cursors; input
longer than allowed) answers a 4xx that names the problem."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Company, MembershipRole
from rewards.ledger.services import points_account_for_company
from rewards.models import LedgerEntry, Purchase, PurchaseLine
from tests.factories import CompanyFactory, MembershipFactory
from tests.rewards.factories import RewardFactory
from tests.rewards.helpers import give_points, request_redemption

from .conftest import purchase_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(db):
    return CompanyFactory(external_id="C-1")


def _nothing_saved():
    return Purchase.objects.count() == 0 and PurchaseLine.objects.count() == 0 and LedgerEntry.objects.count() == 0


def _locs(response) -> list[list]:
    return [item["loc"] for item in response.json()["detail"]]


CONTROL_CHARACTERS = ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\ud800"]


@pytest.mark.parametrize("character", CONTROL_CHARACTERS, ids=repr)
@pytest.mark.parametrize(
    "field",
    ["external_id", "company", "original_external_id", "lines.0.sku", "lines.0.category"],
)
def test_a_control_character_in_any_purchase_field_is_a_422_naming_it(api, customer, field, character):
    body = purchase_body(customer, lines=[{"sku": "SKU-1", "amount": "1000.00"}])
    if field.startswith("lines"):
        body["lines"][0][field.rsplit(".", 1)[1]] = f"X{character}Y"
    else:
        body[field] = f"X{character}Y"

    response = api.post("/purchases", body)

    assert response.status_code == 422
    assert ["body", *(int(part) if part.isdigit() else part for part in field.split("."))] in _locs(response)
    assert _nothing_saved()


@pytest.mark.parametrize("character", ["\x00", "\x1f", "\x9f"], ids=repr)
def test_a_control_character_in_a_company_body_or_path_is_a_422(api, character):
    company = {"name": "Acme AB", "country": "SE", "org_number": "556677-8899", "city": "Malmö"}

    in_body = api.put("/companies/NEW-1", {**company, "name": f"Acme{character}AB"})
    in_path = api.put(f"/companies/NEW{character}1", company)

    assert in_body.status_code == 422
    assert ["body", "name"] in _locs(in_body)
    assert in_path.status_code == 422
    assert ["path", "external_id"] in _locs(in_path)
    assert not Company.objects.exists()


@pytest.mark.parametrize("path", ["/companies/C%001/balance", "/companies/C%001/ledger"])
def test_a_nul_in_a_read_path_is_a_422_not_a_500(api, customer, path):
    response = api.get(path)

    assert response.status_code == 422
    assert ["path", "external_id"] in _locs(response)


def test_a_nul_in_a_query_parameter_is_a_422(api, customer):
    response = api.get("/companies/C-1/ledger", cursor="abc\x00")

    assert response.status_code == 422
    assert ["query", "cursor"] in _locs(response)


def test_a_fulfilment_note_keeps_line_breaks_but_refuses_nul(api, customer):
    buyer = MembershipFactory(company=customer, role=MembershipRole.PURCHASER)
    give_points(points_account_for_company(company=customer), 1000)
    order = request_redemption(buyer, RewardFactory(points_cost=100))

    response = api.post(f"/redemptions/{order.pk}/fulfil", {"note": "Line one\nline two\x00"})
    assert response.status_code == 422
    assert ["body", "note"] in _locs(response)

    fine = api.post(f"/redemptions/{order.pk}/fulfil", {"note": "Line one\r\nline two\tend"})
    assert fine.status_code == 200
    assert fine.json()["fulfilment_note"] == "Line one\r\nline two\tend"
    # The redemption is looked up before the body is read: no such redemption is a 404.
    assert api.post("/redemptions/999999/fulfil", {"note": "\x00"}).status_code == 404


def test_a_batch_with_one_nul_item_reports_it_and_records_the_others(api, customer):
    items = [
        purchase_body(customer, "B-1"),
        purchase_body(customer, "B-2\x00"),
        purchase_body(customer, "B-3", lines=[{"sku": "S\x00", "amount": "1000.00"}]),
        purchase_body(customer, "B-4"),
    ]

    response = api.post("/purchases/batch", {"items": items})

    assert response.status_code == 200
    result = response.json()
    assert [item["status"] for item in result["items"]] == ["created", "invalid", "invalid", "created"]
    assert result["items"][1]["external_id"] is None  # a refused id is not echoed
    assert ["body", "items", 1, "external_id"] in [error["loc"] for error in result["items"][1]["errors"]]
    assert ["body", "items", 2, "lines", 0, "sku"] in [error["loc"] for error in result["items"][2]["errors"]]
    assert (result["created"], result["invalid"]) == (2, 2)
    assert set(Purchase.objects.values_list("external_id", flat=True)) == {"B-1", "B-4"}


@pytest.mark.parametrize(
    "amount", ["99999999999.99", "100000000.00", "-100000000.00", "1e30", 1e300, "NaN", "Infinity", "0.001"]
)
def test_an_amount_past_the_bounds_is_a_422_and_saves_nothing(api, customer, amount):
    response = api.post("/purchases", purchase_body(customer, net_amount=amount))

    assert response.status_code == 422
    assert ["body", "net_amount"] in _locs(response)
    assert _nothing_saved()


def test_a_line_amount_past_the_bounds_is_a_422(api, customer):
    body = purchase_body(customer, lines=[{"sku": "S", "amount": "99999999999.99"}])

    response = api.post("/purchases", body)

    assert response.status_code == 422
    assert ["body", "lines", 0, "amount"] in _locs(response)
    assert _nothing_saved()


def test_the_largest_amount_allowed_is_recorded_with_its_points(api, customer):
    response = api.post("/purchases", purchase_body(customer, net_amount="99999999.99"))

    assert response.status_code == 201
    assert response.json()["points"] == 100_000_000  # rounded to whole points


def test_a_programme_that_would_overflow_the_points_column_refuses_the_purchase(api, customer, rules):
    rules.points_per_currency_unit = 100  # 99 999 999.99 SEK would be ~10 billion points
    rules.save()

    response = api.post("/purchases", purchase_body(customer, net_amount="99999999.99"))

    assert response.status_code == 422
    assert "at most 1000000000" in response.json()["detail"][0]["msg"]
    assert _nothing_saved()


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59+00:00",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+00:00",
        "0001-01-01T00:00:00+14:00",
        "1999-12-31T23:59:59+00:00",
    ],
)
def test_a_date_outside_the_bounds_is_a_422_with_a_clear_message(api, customer, moment):
    response = api.post("/purchases", purchase_body(customer, occurred_at=moment))

    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "occurred_at"]
    assert "2000-01-01" in error["msg"] or "future" in error["msg"]
    assert _nothing_saved()


def test_a_date_a_little_ahead_is_clock_skew_but_two_hours_ahead_is_refused(api, customer):
    soon = (timezone.now() + timedelta(minutes=10)).isoformat()
    later = (timezone.now() + timedelta(hours=2)).isoformat()

    assert api.post("/purchases", purchase_body(customer, "SOON", occurred_at=soon)).status_code == 201
    refused = api.post("/purchases", purchase_body(customer, "LATER", occurred_at=later))
    assert refused.status_code == 422
    assert "future" in refused.json()["detail"][0]["msg"]


def _b64(payload) -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


CRAFTED_CURSORS = [
    "not base64!",
    _b64(b"\xff\xfe"),
    _b64("just a string"),
    _b64(["2026-01-01T00:00:00+00:00"]),
    _b64(["2026-01-01T00:00:00+00:00", 2**64]),
    _b64(["2026-01-01T00:00:00+00:00", -1]),
    _b64(["2026-01-01T00:00:00+00:00", True]),
    _b64(["2026-01-01T00:00:00+00:00", 1.5]),
    _b64(["9999-12-31T23:59:59-14:00", 1]),
    _b64(["0001-01-01T00:00:00+14:00", 1]),
    _b64(["2026-01-01T00:00:00", 1]),
    _b64([["nested"], 1]),
    _b64({"a": 1, "b": 2}),
    _b64("[" * 150),
]


@pytest.mark.parametrize("cursor", CRAFTED_CURSORS)
def test_a_crafted_ledger_cursor_is_a_422(api, customer, cursor):
    response = api.get("/companies/C-1/ledger", cursor=cursor)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize("cursor", [_b64(["r", 2**64]), _b64(["r", 0]), _b64(["x", 1]), _b64(["r"]), "%%%"])
def test_a_crafted_redemptions_cursor_is_a_422(api, cursor):
    response = api.get("/redemptions", cursor=cursor)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_a_redemption_id_past_the_bigint_range_is_a_422(api):
    assert api.get(f"/redemptions/{2**64}").status_code == 422
    assert api.post(f"/redemptions/{2**64}/fulfil", {}).status_code == 422


@pytest.mark.parametrize(
    "field,length", [("external_id", 101), ("company", 65), ("original_external_id", 101), ("currency", 4)]
)
def test_over_long_input_is_a_422(api, customer, field, length):
    response = api.post("/purchases", purchase_body(customer, **{field: "A" * length}))

    assert response.status_code == 422
    assert ["body", field] in _locs(response)
    assert _nothing_saved()


def test_an_over_long_path_is_a_422(api):
    assert api.get("/companies/" + "C" * 65 + "/balance").status_code == 422
    assert api.put("/companies/" + "C" * 5000, {"name": "A", "country": "SE", "org_number": "x"}).status_code == 422


def test_a_body_that_is_not_json_is_a_400_with_a_json_detail(api):
    response = api.post("/purchases", "{not json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["detail"]


def test_a_body_past_the_upload_limit_is_a_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api.post("/purchases/batch", {"items": [{"external_id": "X" * 2000}]})

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}
