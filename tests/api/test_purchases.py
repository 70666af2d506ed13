"""POST /purchases and /purchases/batch: idempotent, conflicts explained, bad input named."""

from __future__ import annotations

import pytest

from privacy.closing import company_close
from rewards.models import EntryKind, LedgerEntry, PointsAccount, Purchase
from tests.factories import StaffFactory
from tests.rewards.factories import ProductCategoryFactory

from .conftest import purchase_body


def test_a_purchase_is_recorded_and_earns_pending_points(api, company):
    response = api.post("/purchases", purchase_body(company))

    assert response.status_code == 201
    body = response.json()
    assert (body["external_id"], body["company"], body["kind"], body["points"]) == (
        "ORDER-1",
        company.external_id,
        "purchase",
        1000,
    )
    assert body["source"] == "erp"
    assert PointsAccount.objects.get(company=company).pending == 1000


def test_a_retry_returns_the_first_result_and_writes_nothing(api, company):
    first = api.post("/purchases", purchase_body(company))

    retry = api.post("/purchases", purchase_body(company))

    assert retry.status_code == 200
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert Purchase.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.EARN).count() == 1


def test_the_same_id_with_a_different_body_is_a_conflict(api, company):
    api.post("/purchases", purchase_body(company))

    response = api.post(
        "/purchases", purchase_body(company, net_amount="999.00", lines=[{"sku": "A", "amount": "999.00"}])
    )

    assert response.status_code == 409
    body = response.json()
    assert body["fields"] == ["net_amount", "lines"]
    assert "already recorded with a different net_amount, lines" in body["detail"]
    assert body["purchase"]["points"] == 1000
    assert Purchase.objects.count() == 1
    assert PointsAccount.objects.get(company=company).pending == 1000


def test_the_same_moment_in_another_time_zone_is_the_same_purchase(api, company):
    api.post("/purchases", purchase_body(company, occurred_at="2026-11-01T12:00:00+01:00"))

    response = api.post("/purchases", purchase_body(company, occurred_at="2026-11-01T11:00:00Z"))

    assert response.status_code == 200


def test_lines_earn_with_their_category_multiplier(api, company):
    ProductCategoryFactory(code="PAINT", multiplier="3")
    lines = [{"sku": "P-1", "amount": "100.00", "category": "PAINT"}, {"sku": "N-1", "amount": "900.00"}]

    response = api.post("/purchases", purchase_body(company, lines=lines))

    assert response.status_code == 201
    assert response.json()["points"] == 300 + 900


def test_a_credit_note_takes_back_the_points_of_the_purchase_it_credits(api, company):
    api.post("/purchases", purchase_body(company, "ORDER-1"))

    response = api.post(
        "/purchases", purchase_body(company, "CREDIT-1", net_amount="-400.00", original_external_id="ORDER-1")
    )

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["points"]) == ("credit_note", -400)
    assert PointsAccount.objects.get(company=company).pending == 600
    assert (
        api.post(
            "/purchases", purchase_body(company, "CREDIT-1", net_amount="-400.00", original_external_id="ORDER-1")
        ).json()
        == response.json()
    )


def test_a_credit_note_for_an_unknown_purchase_is_refused(api, company):
    response = api.post(
        "/purchases", purchase_body(company, "CREDIT-1", net_amount="-400.00", original_external_id="NOPE")
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "original_external_id"]
    assert not Purchase.objects.exists()


def _loc_and_msg(response) -> list[tuple[tuple, str]]:
    return [(tuple(item["loc"]), item["msg"]) for item in response.json()["detail"]]


@pytest.mark.parametrize(
    ("overrides", "loc", "message_part"),
    [
        ({"net_amount": "-5.00"}, ("body", "net_amount"), "cannot have a negative net amount"),
        ({"net_amount": "abc"}, ("body", "net_amount"), "valid decimal"),
        ({"net_amount": "10.001"}, ("body", "net_amount"), "decimal places"),
        ({"net_amount": 1e20}, ("body", "net_amount"), "digits"),
        ({"occurred_at": "yesterday"}, ("body", "occurred_at"), "ISO 8601 date and time"),
        ({"occurred_at": "2026-06-15T12:00:00"}, ("body", "occurred_at"), "with a UTC offset"),
        ({"company": "NO-SUCH-COMPANY"}, ("body", "company"), "No company with external id NO-SUCH-COMPANY"),
        ({"currency": "XYZ"}, ("body", "currency"), "XYZ is not a currency code"),
        ({"currency": "sek"}, ("body", "currency"), "pattern"),
        ({"external_id": ""}, ("body", "external_id"), "at least 1 character"),
        ({"external_id": 42}, ("body", "external_id"), "valid string"),
        (
            {"lines": [{"sku": "A", "amount": "1.00", "category": "NOPE"}]},
            ("body", "lines", 0, "category"),
            "Unknown product category NOPE",
        ),
        ({"lines": [{"sku": "A"}]}, ("body", "lines", 0, "amount"), "Field required"),
        ({"lines": "many"}, ("body", "lines"), "valid list"),
    ],
)
def test_bad_input_is_refused_with_a_message_on_the_field(api, company, overrides, loc, message_part):
    response = api.post("/purchases", purchase_body(company, **overrides))

    assert response.status_code == 422
    errors = _loc_and_msg(response)
    assert any(error_loc == loc and message_part in message for error_loc, message in errors), errors
    assert not Purchase.objects.exists()


def test_a_missing_field_is_named(api, company):
    body = purchase_body(company)
    del body["occurred_at"]

    response = api.post("/purchases", body)

    assert response.status_code == 422
    assert _loc_and_msg(response) == [(("body", "occurred_at"), "Field required")]


@pytest.mark.parametrize("raw", ["{not json", "", "[]", "null", '"text"'])
def test_malformed_json_gets_a_clear_error_not_a_500(api, raw):
    response = api.post("/purchases", raw)

    assert response.status_code in (400, 422)
    assert "detail" in response.json()


def test_a_batch_lands_the_good_items_and_reports_every_outcome(api, company):
    api.post("/purchases", purchase_body(company, "OLD-1"))
    items = [
        purchase_body(company, "NEW-1"),
        purchase_body(company, "OLD-1"),  # sent before with the same content
        purchase_body(company, "OLD-1", net_amount="1.00"),  # sent before with other content
        purchase_body(company, "BAD-1", net_amount="a lot"),
        purchase_body(company, "BAD-2", company="NOBODY"),
        purchase_body(company, "NEW-2", net_amount="50.00"),
        "not an object",
    ]

    response = api.post("/purchases/batch", {"items": items})

    assert response.status_code == 200
    body = response.json()
    assert [(item["index"], item["status"]) for item in body["items"]] == [
        (0, "created"),
        (1, "duplicate"),
        (2, "conflict"),
        (3, "invalid"),
        (4, "invalid"),
        (5, "created"),
        (6, "invalid"),
    ]
    assert (body["created"], body["duplicate"], body["conflict"], body["invalid"]) == (2, 1, 1, 3)
    assert body["items"][3]["errors"][0]["loc"] == ["body", "items", 3, "net_amount"]
    assert body["items"][4]["errors"][0]["loc"] == ["body", "items", 4, "company"]
    assert body["items"][2]["purchase"]["net_amount"] == "1000.00"
    assert set(Purchase.objects.values_list("external_id", flat=True)) == {"OLD-1", "NEW-1", "NEW-2"}
    assert PointsAccount.objects.get(company=company).pending == 1000 + 1000 + 50


def test_resending_a_whole_batch_adds_nothing(api, company):
    items = [purchase_body(company, f"ORDER-{n}") for n in range(5)]
    api.post("/purchases/batch", {"items": items})

    response = api.post("/purchases/batch", {"items": items})

    assert response.json()["duplicate"] == 5
    assert LedgerEntry.objects.filter(kind=EntryKind.EARN).count() == 5


@pytest.mark.parametrize("items", [[], [{}] * 1001])
def test_a_batch_must_hold_1_to_1000_items(api, items):
    response = api.post("/purchases/batch", {"items": items})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "items"]


def test_a_purchases_query_count_does_not_grow_with_its_lines(api, company):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ProductCategoryFactory(code="PAINT", multiplier="2")
    counts = []
    for n, line_count in enumerate((1, 100)):
        lines = [{"sku": f"S-{i}", "amount": "10.00", "category": "PAINT"} for i in range(line_count)]
        with CaptureQueriesContext(connection) as queries:
            response = api.post("/purchases", purchase_body(company, f"ORDER-{n}", lines=lines))
        assert response.status_code == 201
        counts.append(len(queries))

    # The second purchase finds the company's account already there (the first created it).
    assert counts[1] <= counts[0]


def test_a_company_that_has_left_the_club_gets_no_new_purchase_alone_or_in_a_batch(api, company):
    api.post("/purchases", purchase_body(company, "BEFORE"))
    company_close(company=company, by=StaffFactory(group="Club admins"))
    entries = LedgerEntry.objects.filter(account__company=company).count()

    single = api.post("/purchases", purchase_body(company, "AFTER"))
    retry = api.post("/purchases", purchase_body(company, "BEFORE"))
    batch = api.post(
        "/purchases/batch",
        {"items": [purchase_body(company, "AFTER-1"), purchase_body(company, "BEFORE")]},
    )

    assert single.status_code == 422
    assert _loc_and_msg(single)[0][0] == ("body", "company")
    assert "has left the club" in _loc_and_msg(single)[0][1]
    assert retry.status_code == 200  # sent before it closed: still the same purchase
    assert [(item["index"], item["status"]) for item in batch.json()["items"]] == [(0, "invalid"), (1, "duplicate")]
    assert "has left the club" in batch.json()["items"][0]["errors"][0]["msg"]
    assert list(Purchase.objects.values_list("external_id", flat=True)) == ["BEFORE"]
    assert LedgerEntry.objects.filter(account__company=company).count() == entries
