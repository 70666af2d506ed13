"""Bulk ingest: POST /imports (CSV or NDJSON) becomes a purchase import run by the admin's
import code; GET follows it; the client's key makes it idempotent; a killed job resumes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from api.models import ApiImportJob
from api.services import api_client_create
from rewards.models import PointsAccount, Purchase, PurchaseImport, PurchaseImportStatus
from rewards.purchases.imports import purchase_import_run
from tests.factories import CompanyFactory

WHEN = (timezone.now() - timedelta(days=1)).replace(microsecond=0).isoformat()
HEADER = "company_external_id,source,external_id,occurred_at,net_amount,currency\n"


def csv_file(company, count: int = 3, *, source: str = "erp", start: int = 1) -> bytes:
    rows = "".join(f"{company.external_id},{source},P-{n},{WHEN},100.00,SEK\n" for n in range(start, start + count))
    return (HEADER + rows).encode()


def ndjson_file(*items: dict) -> bytes:
    return "".join(json.dumps(item) + "\n" for item in items).encode()


def post_job(client: Client, token: str, content: bytes, *, key: str | None = "night-1", file_format: str = "csv"):
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    upload = SimpleUploadedFile(f"purchases.{file_format}", content, content_type="text/plain")
    return client.post("/api/v1/imports", {"file": upload, "format": file_format}, headers=headers)


def get(client: Client, token: str, path: str):
    return client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def erp(db, rules):
    return api_client_create(name="ERP", source="erp", created_by=None)


def test_a_csv_job_is_accepted_at_once_and_followed_to_done(client, erp, company, django_capture_on_commit_callbacks):
    _client, token = erp
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post_job(client, token, csv_file(company))

    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "queued" and job["rows_done"] == 0
    assert response["Location"] == f"/api/v1/imports/{job['id']}"
    assert Purchase.objects.count() == 0  # nothing yet: the worker runs it after the commit

    for callback in queued:
        callback()
    followed = get(client, token, f"/imports/{job['id']}").json()
    assert followed["status"] == "done"
    assert (followed["total_rows"], followed["rows_done"], followed["rows_created"], followed["rows_failed"]) == (
        3,
        3,
        3,
        0,
    )
    assert followed["error_report_url"] is None
    assert PointsAccount.objects.get(company=company).pending == 300


def test_ndjson_runs_the_same_path_and_failed_lines_are_in_the_error_report(
    client, erp, company, django_capture_on_commit_callbacks
):
    _client, token = erp
    content = ndjson_file(
        {
            "company": company.external_id,
            "external_id": "N-1",
            "occurred_at": WHEN,
            "net_amount": 250.5,
            "currency": "SEK",
        },
        {
            "company": company.external_id,
            "external_id": "N-2",
            "occurred_at": WHEN,
            "net_amount": "12.345",
            "currency": "SEK",
        },
        {"company": "NOBODY", "external_id": "N-3", "occurred_at": WHEN, "net_amount": "1", "currency": "SEK"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post_job(client, token, content, file_format="ndjson")

    assert response.status_code == 202
    job = get(client, token, f"/imports/{response.json()['id']}").json()
    assert (job["status"], job["rows_created"], job["rows_failed"]) == ("done", 1, 2)
    purchase = Purchase.objects.get()
    assert (purchase.source, purchase.external_id, str(purchase.net_amount)) == ("erp", "N-1", "250.50")
    report = client.get(job["error_report_url"], headers={"Authorization": f"Bearer {token}"})
    assert report.status_code == 200
    text = b"".join(report.streaming_content).decode()
    assert "N-2" in text and "N-3" in text
    assert text.splitlines()[1].startswith("3,")  # NDJSON line 2 is the import's line 3


def test_the_same_job_posted_twice_runs_once(client, erp, company, django_capture_on_commit_callbacks):
    _client, token = erp
    with django_capture_on_commit_callbacks(execute=True):
        first = post_job(client, token, csv_file(company))
    with django_capture_on_commit_callbacks(execute=True):
        again = post_job(client, token, csv_file(company))

    assert (first.status_code, again.status_code) == (202, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert PurchaseImport.objects.count() == 1 and ApiImportJob.objects.count() == 1
    assert Purchase.objects.count() == 3


def test_the_same_key_with_another_file_is_a_conflict(client, erp, company, django_capture_on_commit_callbacks):
    _client, token = erp
    with django_capture_on_commit_callbacks(execute=True):
        post_job(client, token, csv_file(company))

    response = post_job(client, token, csv_file(company, count=4))

    assert response.status_code == 409
    assert "night-1" in response.json()["detail"]
    assert PurchaseImport.objects.count() == 1


def test_a_killed_job_resumes_and_records_every_row_once(client, erp, company, django_capture_on_commit_callbacks):
    _client, token = erp
    with django_capture_on_commit_callbacks(execute=False):
        job_id = post_job(client, token, csv_file(company, count=7)).json()["id"]
    purchase_import = ApiImportJob.objects.get(pk=job_id).purchase_import

    class WorkerDied(BaseException):
        pass

    def die(current):
        raise WorkerDied

    with pytest.raises(WorkerDied):
        purchase_import_run(import_id=purchase_import.pk, chunk_size=3, progress=die)
    halfway = get(client, token, f"/imports/{job_id}").json()
    assert (halfway["status"], halfway["rows_done"]) == ("running", 3)

    purchase_import_run(import_id=purchase_import.pk, chunk_size=3)  # the worker's redelivery

    done = get(client, token, f"/imports/{job_id}").json()
    assert (done["status"], done["rows_done"], done["rows_created"], done["rows_duplicate"]) == ("done", 7, 7, 0)
    assert Purchase.objects.count() == 7
    assert PurchaseImport.objects.get().status == PurchaseImportStatus.DONE


def test_rows_under_another_source_refuse_the_whole_file(client, erp, company):
    _client, token = erp
    content = csv_file(company, count=2) + f"{company.external_id},shop,S-1,{WHEN},5.00,SEK\n".encode()

    response = post_job(client, token, content)

    assert response.status_code == 422
    assert response.json()["problems"][0]["line"] == 4
    assert "shop" in response.json()["problems"][0]["msg"]
    assert PurchaseImport.objects.count() == 0


def test_a_limited_client_cannot_import_for_another_company(client, company, rules):
    other = CompanyFactory()
    _client, token = api_client_create(
        name="Shop", source="erp", created_by=None, all_companies=False, companies=[company]
    )

    response = post_job(client, token, csv_file(company, count=1) + csv_file(other, count=1, start=9)[len(HEADER) :])

    assert response.status_code == 422
    assert other.external_id in response.json()["problems"][0]["msg"]
    assert PurchaseImport.objects.count() == 0


@pytest.mark.parametrize(
    "content",
    [b"not json\n", b"[1, 2]\n", b'{"company": "A", "bogus": 1}\n', b'{"company": "A\\u0000B"}\n', b"\xff\xfe{}\n"],
)
def test_unreadable_ndjson_is_refused_with_its_line(client, erp, content):
    _client, token = erp

    response = post_job(client, token, b"\n" + content, file_format="ndjson")

    assert response.status_code == 422
    assert response.json()["problems"][0]["line"] == 2
    assert PurchaseImport.objects.count() == 0


@pytest.mark.parametrize("key", [None, "", "x" * 101, "tab\there", "åäö"])
def test_a_job_needs_a_printable_idempotency_key(client, erp, company, key):
    _client, token = erp

    response = post_job(client, token, csv_file(company), key=key)

    assert response.status_code == 422
    assert PurchaseImport.objects.count() == 0


def test_a_file_without_the_header_is_refused(client, erp):
    _client, token = erp

    response = post_job(client, token, b"a,b,c\n1,2,3\n")

    assert response.status_code == 422
    assert "header" in response.json()["detail"]


def test_another_client_never_sees_a_job(client, erp, company, django_capture_on_commit_callbacks, rules):
    _client, token = erp
    with django_capture_on_commit_callbacks(execute=True):
        job_id = post_job(client, token, csv_file(company)).json()["id"]
    _other, other_token = api_client_create(name="Other", source="other", created_by=None)

    assert get(client, other_token, f"/imports/{job_id}").status_code == 404
    assert get(client, other_token, f"/imports/{job_id}/errors").status_code == 404
