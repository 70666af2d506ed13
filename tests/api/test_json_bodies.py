"""JSON bodies are JSON: another Content-Type is a 415, a key repeated in an object is a 422
naming it (the last value never silently wins), and a missing body names the fields it needs."""

from __future__ import annotations

import json

import pytest

from rewards.models import Purchase

from .conftest import purchase_body
from .test_imports import WHEN, post_job

pytestmark = pytest.mark.django_db


def _post(client, token: str, path: str, body: str, content_type: str | None):
    headers = {"Authorization": f"Bearer {token}"}
    if content_type is None:  # Django's test client always sends one; send none at all
        return client.generic("POST", f"/api/v1{path}", body, headers=headers, content_type="")
    return client.post(f"/api/v1{path}", body, content_type=content_type, headers=headers)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None], ids=str
)
def test_a_json_body_sent_as_another_type_is_refused_with_415_and_nothing_is_saved(
    client, token, rules, company, content_type
):
    response = _post(client, token, "/purchases", json.dumps(purchase_body(company)), content_type)

    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json()["detail"]
    assert Purchase.objects.count() == 0


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON; charset=UTF-8"])
def test_json_with_parameters_is_accepted(client, token, rules, company, content_type):
    response = _post(client, token, "/purchases", json.dumps(purchase_body(company)), content_type)

    assert response.status_code == 201


def test_json_declared_in_another_charset_is_refused(client, token, rules, company):
    body = json.dumps(purchase_body(company)).encode("latin-1")

    response = _post(client, token, "/purchases", body, "application/json; charset=latin-1")

    assert response.status_code == 415
    assert "UTF-8" in response.json()["detail"]


def test_the_document_states_415_for_json_bodies_only(anonymous_api):
    paths = anonymous_api.get("/openapi.json").json()["paths"]

    assert "415" in paths["/api/v1/purchases"]["post"]["responses"]
    assert "415" in paths["/api/v1/redemptions/{redemption_id}/fulfil"]["post"]["responses"]
    assert "415" not in paths["/api/v1/imports"]["post"]["responses"]


def test_a_repeated_key_is_a_422_naming_it_and_nothing_is_saved(api, company):
    body = json.dumps(purchase_body(company)).replace(
        '"net_amount": "1000.00"', '"net_amount": "1", "net_amount": "1000"'
    )

    response = api.post("/purchases", body)

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "net_amount"]
    assert error["type"] == "duplicate_key"
    assert "net_amount" in error["msg"]
    assert Purchase.objects.count() == 0


def test_a_repeated_key_deep_in_a_batch_is_named_with_its_path(api, company):
    items = [purchase_body(company, "B-1"), purchase_body(company, "B-2", lines=[{"sku": "A", "amount": "1000.00"}])]
    body = json.dumps({"items": items}).replace('"amount": "1000.00"', '"amount": "1.00", "amount": "1000.00"')

    response = api.post("/purchases/batch", body)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "items", 1, "lines", 0, "amount"]
    assert Purchase.objects.count() == 0


def test_a_missing_body_names_the_fields_it_needs(api, rules):
    response = api.put("/companies/C-1", b"")

    assert response.status_code == 422
    locs = [item["loc"] for item in response.json()["detail"]]
    assert ["body", "name"] in locs and ["body", "org_number"] in locs


def test_a_repeated_field_on_an_ndjson_line_refuses_the_file_naming_the_line(client, token, company):
    line = (
        f'{{"company": "{company.external_id}", "external_id": "N-1", "occurred_at": "{WHEN}", '
        f'"net_amount": "1", "net_amount": "1000", "currency": "SEK"}}\n'
    )

    response = post_job(client, token, line.encode(), file_format="ndjson")

    assert response.status_code == 422
    assert response.json()["problems"] == [
        {"line": 1, "msg": "The field net_amount appears more than once on the line."}
    ]
