"""An amount sent as a string is written with the digits 0–9, as the CSV import requires.

``Decimal`` reads Arabic-Indic, full-width and other digits ("١٠٠" is 100), underscores,
exponents and surrounding spaces; the API took them all, where the document's pattern (and
the import) allow the digits 0–9, a minus sign and a point only. JSON numbers are unchanged.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rewards.models import LedgerEntry, Purchase
from tests.factories import CompanyFactory

from .conftest import YESTERDAY, purchase_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(db):
    return CompanyFactory(external_id="C-1")


@pytest.mark.parametrize("amount", ["١٠٠", "１００.００", "۱۰۰", "1_000", "1e2", " 100", "+100", "100."])
def test_an_amount_string_in_other_digits_or_forms_is_a_422_and_saves_nothing(api, customer, amount):
    # When a purchase comes with such a net amount
    response = api.post("/purchases", purchase_body(customer, net_amount=amount))

    # then it is refused, naming the field, and nothing is saved
    assert response.status_code == 422
    errors = {tuple(item["loc"]): item for item in response.json()["detail"]}
    assert errors[("body", "net_amount")]["type"] == "decimal_parsing"
    assert "the digits 0-9" in errors[("body", "net_amount")]["msg"]
    assert Purchase.objects.count() == 0 and LedgerEntry.objects.count() == 0


def test_a_line_amount_in_other_digits_is_a_422(api, customer):
    body = purchase_body(customer, lines=[{"sku": "S", "amount": "١٠٠٠.٠٠"}])

    response = api.post("/purchases", body)

    assert response.status_code == 422
    assert ["body", "lines", 0, "amount"] in [item["loc"] for item in response.json()["detail"]]


@pytest.mark.parametrize(
    ("amount", "recorded"),
    [("1000.00", "1000.00"), ("1000", "1000.00"), ("0999.5", "999.50"), (1000, "1000.00"), (12.5, "12.50")],
)
def test_amounts_written_as_documented_are_still_recorded(api, customer, amount, recorded):
    response = api.post("/purchases", purchase_body(customer, net_amount=amount))

    assert response.status_code in (200, 201), response.content
    assert Purchase.objects.get().net_amount == Decimal(recorded)


def test_an_ndjson_job_reports_other_digits_as_the_csv_import_does(
    client, rules, api_client_and_token, customer, django_capture_on_commit_callbacks
):
    _client, token = api_client_and_token
    when = YESTERDAY.isoformat()
    items = [
        {"company": "C-1", "external_id": "N-1", "occurred_at": when, "net_amount": "١٠٠", "currency": "SEK"},
        {"company": "C-1", "external_id": "N-2", "occurred_at": when, "net_amount": "100", "currency": "SEK"},
    ]
    upload = SimpleUploadedFile(
        "purchases.ndjson", "".join(json.dumps(item) + "\n" for item in items).encode(), content_type="text/plain"
    )
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "digits-1"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/imports", {"file": upload, "format": "ndjson"}, headers=headers)

    assert response.status_code == 202
    job = client.get(f"/api/v1/imports/{response.json()['id']}", headers=headers).json()
    assert (job["status"], job["rows_created"], job["rows_failed"]) == ("done", 1, 1)
    report = b"".join(client.get(job["error_report_url"], headers=headers).streaming_content).decode()
    assert "has digits other than 0–9" in report and "N-1" in report
    assert list(Purchase.objects.values_list("external_id", flat=True)) == ["N-2"]
