"""NDJSON file jobs: hostile lines (too deep, too long) never answer 500, and JSON numbers
are read as POST /purchases reads them (1.5e2 is 150)."""

from __future__ import annotations

import pytest

from rewards.models import Purchase, PurchaseImport

from .test_imports import WHEN, get, post_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def erp(db, rules):
    from api.services import api_client_create

    return api_client_create(name="ERP", source="erp", created_by=None)


def _line(company, external_id: str, amount: str) -> bytes:
    return (
        f'{{"company": "{company.external_id}", "external_id": "{external_id}", "occurred_at": "{WHEN}", '
        f'"net_amount": {amount}, "currency": "SEK"}}\n'
    ).encode()


def _report(client, token, job) -> str:
    report = client.get(job["error_report_url"], headers={"Authorization": f"Bearer {token}"})
    return b"".join(report.streaming_content).decode()


def test_a_deeply_nested_short_line_is_refused_with_its_line_not_a_500(client, erp):
    _client, token = erp

    response = post_job(client, token, b"\n" + b"[" * 2000 + b"]" * 2000 + b"\n", file_format="ndjson")

    assert response.status_code == 422
    body = response.json()
    assert body["problems"][0]["line"] == 2
    assert "Traceback" not in response.content.decode()
    assert PurchaseImport.objects.count() == 0


@pytest.mark.parametrize(
    "hostile", [b"[" * 50000 + b"]" * 50000, b'{"a":' * 5000 + b"1" + b"}" * 5000], ids=["arrays", "objects"]
)
def test_a_line_over_4096_bytes_fails_alone_in_the_report(
    client, erp, company, hostile, django_capture_on_commit_callbacks
):
    _client, token = erp
    content = _line(company, "N-1", '"10.00"') + hostile + b"\n" + _line(company, "N-3", '"20.00"')

    with django_capture_on_commit_callbacks(execute=True):
        response = post_job(client, token, content, file_format="ndjson")

    assert response.status_code == 202, response.content[:500]
    job = get(client, token, f"/imports/{response.json()['id']}").json()
    assert (job["status"], job["rows_created"], job["rows_failed"]) == ("done", 2, 1)
    report = _report(client, token, job)
    assert report.splitlines()[1].startswith("3,")  # NDJSON line 2 is the import's line 3
    assert "longer than 4096 bytes" in report


def test_json_numbers_are_read_as_post_purchases_reads_them(client, erp, company, django_capture_on_commit_callbacks):
    _client, token = erp
    content = _line(company, "E-1", "1.5e2") + _line(company, "E-2", "1.500") + _line(company, "E-3", "1.234")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_job(client, token, content, file_format="ndjson")

    assert response.status_code == 202, response.content[:500]
    job = get(client, token, f"/imports/{response.json()['id']}").json()
    assert (job["status"], job["rows_created"], job["rows_failed"]) == ("done", 2, 1)
    amounts = dict(Purchase.objects.values_list("external_id", "net_amount"))
    assert {key: str(value) for key, value in amounts.items()} == {"E-1": "150.00", "E-2": "1.50"}
    report = _report(client, token, job)
    assert "E-3" in report and "1.234" in report and "E+" not in report
