"""The purchase import's error report lists an unreadable line's columns, and the import
takes amounts written with the digits 0–9 only.

* A line with a NUL byte (or bytes that are not UTF-8) was reported as ``9,The row contains a
  NUL byte.`` with no columns, so nobody could tell which purchase failed. The report's
  format is ``line, reason, <the row's columns>``: the columns are there now, the NUL bytes
  as U+FFFD, formula cells neutralised like every other row's.
* ``\\d`` and ``Decimal`` read Arabic-Indic and full-width digits: a ``net_amount`` of
  ``١٠٠`` was imported as 100. The documented format is a decimal with ``.`` and the digits
  0–9; other digits are refused with a reason that says so.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.base import ContentFile

from rewards.models import Purchase, PurchaseImport, PurchaseImportStatus
from rewards.purchases.imports import COLUMNS, purchase_import_run
from tests.factories import CompanyFactory

from .factories import NOW

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS).encode()
EVIL = '=HYPERLINK("http://evil","x")'


@pytest.fixture
def acme(rules):
    return CompanyFactory(external_id="ACME")


@pytest.fixture(params=[False, True], ids=["row by row", "set based"])
def set_based(request):
    if request.param:
        request.getfixturevalue("require_postgres")
    return request.param


def run(lines: list[bytes], *, set_based: bool, delimiter: bytes = b",") -> PurchaseImport:
    header = HEADER.replace(b",", delimiter)
    purchase_import = PurchaseImport(original_name="purchases.csv")
    purchase_import.file.save("purchases.csv", ContentFile(b"\n".join([header, *lines]) + b"\n"), save=False)
    purchase_import.save()
    return purchase_import_run(import_id=purchase_import.pk, now=NOW, set_based=set_based)


def report(purchase_import: PurchaseImport) -> dict[int, list[str]]:
    """The error report's rows by line: ``[reason, *the row's columns]``."""
    with purchase_import.error_file.open("rb") as handle:
        header, *rows = csv.reader(io.StringIO(handle.read().decode("utf-8")))
    assert header[:2] == ["line", "reason"]
    return {int(row[0]): row[1:] for row in rows}


# --- The columns of an unreadable line ------------------------------------------------------------


def test_a_line_with_a_nul_byte_is_reported_with_its_columns(acme, set_based):
    # Given a file whose second and fourth data lines hold NUL bytes, one with a formula cell
    lines = [
        b"ACME,erp,P-1,2026-06-10,100.00,SEK,,",
        b"ACME,erp,P-\x002,2026-06-10,10\x00.00,SEK,,",
        b"ACME,erp,P-3,2026-06-10,100.00,SEK,,",
        b'"' + EVIL.replace('"', '""').encode() + b'",erp,P-4\x00,2026-06-10,1.00,SEK,,',
    ]

    # when it is imported
    done = run(lines, set_based=set_based)

    # then the good lines land, and each NUL line is in the report with its columns
    assert done.status == PurchaseImportStatus.DONE
    assert (done.rows_created, done.rows_failed) == (2, 2)
    rows = report(done)
    assert rows[3] == [
        "The row contains a NUL byte.",
        "ACME",
        "erp",
        "P-\ufffd2",
        "2026-06-10",
        "10\ufffd.00",
        "SEK",
        "",
        "",
    ]
    # with the formula cell written as text, as for any other row
    assert rows[5][:4] == ["The row contains a NUL byte.", "'" + EVIL, "erp", "P-4\ufffd"]
    assert set(Purchase.objects.values_list("external_id", flat=True)) == {"P-1", "P-3"}


def test_every_unreadable_line_keeps_what_can_be_read_of_its_columns(acme):
    # Given lines that cannot be read: bytes that are not UTF-8, a quote left open, a stray CR,
    # and a line too long to read at all
    lines = [
        b"ACME,erp,UTF-1,2026-06-10,10.00,S\xffK,,",
        b'ACME,erp,"QUOTE-1,2026-06-10,10.00,SEK,,',
        b"ACME,erp,CR-1,2026-06-10,10.00\rSEK,,",
        b"ACME,erp,LONG-1,2026-06-10,10.00,SEK,," + b"x" * 5000,
    ]

    rows = report(run(lines, set_based=False))

    # then each is reported with its reason and the columns it has
    assert rows[2][0] == "The row is not valid UTF-8." and rows[2][1:4] == ["ACME", "erp", "UTF-1"]
    assert rows[2][6] == "S\ufffdK"
    assert "not closed on its line" in rows[3][0] and rows[3][1:3] == ["ACME", "erp"]
    assert rows[3][3].startswith("QUOTE-1")
    assert "carriage return" in rows[4][0] and rows[4][1:4] == ["ACME", "erp", "CR-1"]
    assert rows[4][5] == "10.00\ufffdSEK"
    assert "longer than" in rows[5][0] and rows[5][1:] == []  # never read into memory


# --- Digits other than 0–9 ------------------------------------------------------------------------

OTHER_DIGITS = [
    ("١٠٠", "Arabic-Indic"),
    ("۱۰۰.۵۰", "Persian"),
    ("１００", "full-width"),
    ("१००", "Devanagari"),
    ("1٠0.00", "mixed"),
]


@pytest.mark.parametrize(("amount", "_script"), OTHER_DIGITS, ids=[script for _a, script in OTHER_DIGITS])
def test_an_amount_in_other_digits_is_refused_with_a_reason_that_says_so(acme, set_based, amount, _script):
    # Given a row whose net_amount is written with digits other than 0–9
    lines = [f"ACME,erp,P-1,2026-06-10,{amount},SEK,,".encode(), b"ACME,erp,P-2,2026-06-10,100.00,SEK,,"]

    # when it is imported
    done = run(lines, set_based=set_based)

    # then that row fails, saying why, and nothing is recorded for it
    assert (done.rows_created, done.rows_failed) == (1, 1)
    reason, *columns = report(done)[2]
    assert reason == f"net_amount '{amount}' has digits other than 0–9: write the amount with the digits 0 to 9."
    assert columns[2] == "P-1"
    assert list(Purchase.objects.values_list("external_id", "net_amount")) == [("P-2", 100)]


def test_a_negative_amount_in_other_digits_is_text_in_the_error_report(acme):
    # "-١٠٠" is no number a spreadsheet reads: it would take it for a formula
    lines = ["ACME,erp,C-1,2026-06-10,-١٠٠,SEK,,P-0".encode()]

    reason, *columns = report(run(lines, set_based=False))[2]

    assert "has digits other than 0–9" in reason
    assert columns[4] == "'-١٠٠"


def test_other_digits_are_refused_with_a_decimal_comma_too(acme):
    lines = ["ACME;erp;P-1;2026-06-10;١٠٠,٥٠;SEK;;".encode(), b"ACME;erp;P-2;2026-06-10;100,50;SEK;;"]

    done = run(lines, set_based=False, delimiter=b";")

    assert (done.rows_created, done.rows_failed) == (1, 1)
    assert "has digits other than 0–9" in report(done)[2][0]


def test_a_date_in_other_digits_is_refused(acme):
    lines = [
        "ACME,erp,P-1,٢٠٢٦-٠٦-١٠,100.00,SEK,,".encode(),
        "ACME,erp,P-2,2026-06-10T09:30:00+٠٢:00,100.00,SEK,,".encode(),
    ]

    done = run(lines, set_based=False)

    assert (done.rows_created, done.rows_failed) == (0, 2)
    assert all("is not an ISO 8601 date" in row[0] for row in report(done).values())
