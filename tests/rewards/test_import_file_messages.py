"""The purchase import's messages and error report, for the person who made the file.

* The error report opens in Excel with its letters intact: UTF-8, said in the header
  (``charset=utf-8``) and by a byte-order mark, like every CSV the portal gives a person.
* A file saved as UTF-16 ("Unicode text") is refused saying so, not "a NUL byte".
* A readable date at the edge of the calendar (``0001-01-01``) is refused as out of the range
  the portal accepts, not as "not an ISO 8601 date".
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation

from rewards.models import PurchaseImport, PurchaseImportStatus
from rewards.purchases.imports import COLUMNS, purchase_import_run
from tests.factories import CompanyFactory, StaffFactory

from .factories import NOW

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


def _run(text: str, *, encoding: str = "utf-8") -> PurchaseImport:
    purchase_import = PurchaseImport(original_name="purchases.csv")
    purchase_import.file.save("purchases.csv", ContentFile(text.encode(encoding)), save=False)
    purchase_import.save()
    with translation.override("en"):
        return purchase_import_run(import_id=purchase_import.pk, now=NOW)


def _report(purchase_import: PurchaseImport) -> str:
    with purchase_import.error_file.open("rb") as handle:
        return handle.read().decode("utf-8")


@pytest.fixture
def acme(rules):
    return CompanyFactory(external_id="ACME")


def test_given_an_error_report_with_swedish_letters_when_staff_download_it_then_excel_reads_utf8(
    client, settings, acme
):
    settings.STAFF_MFA_REQUIRED = False  # MFA for staff is tested in tests/members/test_staff_mfa.py
    done = _run(f"{HEADER}\nERP-Ö99,erp,P-1,2026-06-10,10.00,SEK,,\n")
    assert done.rows_failed == 1
    client.force_login(StaffFactory(is_superuser=True))

    response = client.get(reverse("admin:rewards_purchaseimport_errors", args=[done.pk]))

    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert body.startswith(b"\xef\xbb\xbf") and not body.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    assert "ERP-Ö99" in body.decode("utf-8-sig")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_given_a_file_saved_as_utf16_when_imported_then_it_is_refused_saying_so(acme, encoding):
    done = _run(f"{HEADER}\nACME,erp,P-1,2026-06-10,10.00,SEK,,\n", encoding=encoding)

    assert done.status == PurchaseImportStatus.FAILED
    assert "saved as UTF-16 or UTF-32" in done.error_message
    assert "NUL byte" not in done.error_message


def test_given_a_header_with_a_nul_byte_in_utf8_then_it_is_still_reported_as_a_nul_byte(acme):
    done = _run(f"{HEADER}\x00x\nACME,erp,P-1,2026-06-10,10.00,SEK,,\n")

    assert done.status == PurchaseImportStatus.FAILED
    assert "NUL byte" in done.error_message


@pytest.mark.parametrize(
    ("occurred_at", "reason"),
    [
        ("0001-01-01", "The date must be on or after"),
        ("0001-01-01T00:00:00+14:00", "The date must be on or after"),
        ("9999-12-31T23:59:59-14:00", "The date is in the future"),
        ("2026-13-01", "is not an ISO 8601 date"),
    ],
)
def test_given_a_date_out_of_the_portals_range_when_imported_then_the_row_says_so(acme, occurred_at, reason):
    done = _run(f"{HEADER}\nACME,erp,P-1,{occurred_at},10.00,SEK,,\nACME,erp,P-2,2026-06-10,10.00,SEK,,\n")

    assert (done.rows_created, done.rows_failed) == (1, 1)
    assert reason in _report(done)
