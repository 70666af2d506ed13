"""Voucher code files as staff really upload them: saved by Excel in Swedish or Dutch
(semicolons), with a header, a byte-order mark, the wrong encoding, a formula, a code far too
long, a NUL byte, nothing at all. Every line is added or reported with its number and the
reason; a file that cannot be read adds nothing and says why; nothing is a 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.formatting import format_number
from rewards.catalogue.services import (
    VOUCHER_FILE_MAX_BYTES,
    VOUCHER_FILE_MAX_ROWS,
    VOUCHER_REPORT_LINES_SHOWN,
    CatalogueError,
    voucher_codes_upload,
)
from rewards.models import VoucherCode

from .factories import VoucherRewardFactory

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/staff/rewards/vouchers/"


@pytest.fixture
def reward(db):
    return VoucherRewardFactory(title="Gift card, 200 SEK")


def upload(client, reward, data: bytes, name: str = "codes.csv") -> str:
    response = client.post(
        reverse("rewards_staff:voucher_upload"),
        {"reward": reward.pk, "file": SimpleUploadedFile(name, data, "text/csv")},
    )
    assert response.status_code == 200
    return response.content.decode()


def codes() -> list[str]:
    return sorted(VoucherCode.objects.values_list("code", flat=True))


# --- Delimiters and the header ---------------------------------------------------------------


def test_given_a_semicolon_file_with_a_header_when_uploaded_then_only_the_code_is_added(client, fulfiller, reward):
    # What Excel writes in Swedish or Dutch: the header must not become a voucher a member receives.
    page = upload(client, reward, b"code;other\nAAA;1\n")

    assert "1 code added to Gift card, 200 SEK." in page
    assert "Read as separated by semicolons (;)." in page
    assert "Line 1 is the header (skipped); the codes are in column 1, “code”." in page
    assert codes() == ["AAA"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"AAA;1\nBBB;2\n", ["AAA", "BBB"], id="semicolons, no header"),
        pytest.param(b"Kod;Belopp\nSE-1;200\nSE-2;200\n", ["SE-1", "SE-2"], id="Swedish header"),
        pytest.param(b"amount\tcode\n200\tTAB-1\n", ["TAB-1"], id="tabs, code in the second column"),
        pytest.param(b"Voucher code,Value\r\nC-1,200\r\nC-2,200\r\n", ["C-1", "C-2"], id="commas, CRLF"),
        pytest.param(b"sep=;\nvalue;code\n5;X-1\n", ["X-1"], id="Excel's sep= line"),
        pytest.param(b"code\rMAC-1\rMAC-2\r", ["MAC-1", "MAC-2"], id="CR line endings"),
        pytest.param(b'"code";"value"\n"Q-1";"1"\n', ["Q-1"], id="quoted cells"),
        pytest.param(b";;\ncode;x\nE-1;1\n;;\n", ["E-1"], id="empty spreadsheet rows"),
        pytest.param(b"A1\nB2\n", ["A1", "B2"], id="one column, no header"),
    ],
)
def test_given_files_as_spreadsheets_write_them_when_uploaded_then_the_codes_are_read(
    fulfiller, reward, data, expected
):
    report = voucher_codes_upload(reward=reward, data=data, by=fulfiller)

    assert codes() == expected
    assert report.added == len(expected) and not report.rejected


def test_given_a_utf8_file_with_a_byte_order_mark_then_the_header_is_still_recognised(fulfiller, reward):
    report = voucher_codes_upload(reward=reward, data="code;värde\nBOM-1;5\n".encode("utf-8-sig"), by=fulfiller)

    assert report.header_line == 1
    assert codes() == ["BOM-1"]


# --- Codes that are not plain ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("=cmd|' /C calc'!A0", "“=cmd|' /C calc'!A0” begins with “=”, which a spreadsheet reads as the start"),
        ("+SUM(A1)", "begins with “+”, which a spreadsheet reads"),
        ("-2+3", "begins with “-”, which a spreadsheet reads"),
        ("@SUM(A1)", "begins with “@”, which a spreadsheet reads"),
        ('"\t=1+1"', "begins with “=”"),
        (".hidden", "begins with “.”; a code begins with a letter (A–Z) or a digit."),
        ("AB CD", "“AB CD” contains a space; a code has only letters A–Z, digits and the characters - _ . /"),
        ("ÅÄÖ-1", "begins with “Å”"),
        ("GIFT\u00a0CARD", "contains U+00A0"),
        ("A|B", "contains “|”"),
    ],
)
def test_given_a_code_that_is_not_plain_when_uploaded_then_its_line_is_rejected_and_the_rest_added(
    client, fulfiller, reward, code, reason
):
    data = f"code\nGOOD-1\n{code}\nGOOD-2\n".encode()

    page = upload(client, reward, data)

    assert "2 codes added to Gift card, 200 SEK." in page
    assert "1 line was rejected; the report lists it with the reason." in page
    rejected = page[page.index('data-testid="voucher-rejected"') :]
    assert "Line 3: " in rejected and reason.replace("'", "&#x27;").replace('"', "&quot;") in rejected
    assert codes() == ["GOOD-1", "GOOD-2"]


def test_no_stored_code_ever_begins_as_a_formula(fulfiller, reward):
    hostile = ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", " =1", '"=1"', "'=1"]

    voucher_codes_upload(reward=reward, data="\n".join(hostile).encode(), by=fulfiller)

    assert not [code for code in codes() if code[:1] in ("=", "+", "-", "@", "\t", "\r", " ", "'", '"')]


def test_given_a_10_000_character_code_when_uploaded_then_the_line_says_why(client, fulfiller, reward):
    page = upload(client, reward, b"code\n" + b"X" * 10_000 + b"\nOK-1\n" + b"Y" * 101 + b"\n")

    rejected = page[page.index('data-testid="voucher-rejected"') :]
    assert f"Line 2: A code is at most 100 characters; this line has {format_number(10_000)}." in rejected
    assert "Line 4: A code is at most 100 characters; this one has 101." in rejected
    assert codes() == ["OK-1"]


def test_given_only_a_code_too_long_when_uploaded_then_nothing_is_added_and_the_page_says_why(
    client, fulfiller, reward
):
    page = upload(client, reward, b"X" * 10_000 + b"\n")

    assert "No new codes were added; the report says why for each line." in page
    assert "Line 1: A code is at most 100 characters" in page
    assert not VoucherCode.objects.exists()


def test_given_a_quote_left_open_then_only_that_line_is_rejected(fulfiller, reward):
    report = voucher_codes_upload(reward=reward, data=b'code\n"OPEN-1\nNEXT-1\nNEXT-2\n', by=fulfiller)

    assert report.rejected == [(2, "A quoted field is not closed on its line (a row must fit on one line).")]
    assert codes() == ["NEXT-1", "NEXT-2"]


def test_given_a_header_naming_another_column_then_a_row_without_a_code_is_rejected(fulfiller, reward):
    report = voucher_codes_upload(reward=reward, data=b"value;code\n5;K-1\n6\n7;\n", by=fulfiller)

    assert report.rejected == [(3, "There is no code in column 2."), (4, "There is no code in column 2.")]
    assert codes() == ["K-1"]


def test_given_thousands_of_bad_lines_then_the_report_lists_some_and_counts_the_rest(client, fulfiller, reward):
    bad = 500
    page = upload(client, reward, b"code\n" + b"bad code\n" * bad + b"FINE-1\n")

    assert "500 lines were rejected" in page
    assert page.count("contains a space") == VOUCHER_REPORT_LINES_SHOWN
    assert f"… and {bad - VOUCHER_REPORT_LINES_SHOWN} more lines" in page
    assert codes() == ["FINE-1"]


# --- Files that cannot be read ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "The file is empty.", id="empty"),
        pytest.param(b"\n  \r\n\n", "The file is empty.", id="blank lines only"),
        pytest.param("\ufeff".encode(), "The file is empty.", id="a BOM only"),
        pytest.param(b"code\n", "The file has a header line but no codes.", id="header only"),
        pytest.param(b"code\nA-1\nB-\x002\n", "Line 3 contains a NUL byte", id="NUL byte"),
        pytest.param(b"PK\x03\x04\x14\x00\x06\x00garbage", "Line 1 contains a NUL byte", id="a workbook"),
        pytest.param(bytes(range(128, 256)) * 4, "Line 1 is not UTF-8 text", id="binary garbage"),
        pytest.param("Kod;Värde\nA-1;5\n".encode("cp1252"), "Line 1 is not UTF-8 text", id="cp1252"),
        pytest.param("code\nA-1\nÖ-2\n".encode("latin-1"), "Line 3 is not UTF-8 text", id="latin-1"),
        pytest.param("code\nA-1\n".encode("utf-16"), "saved as UTF-16 or UTF-32", id="UTF-16 (Unicode text)"),
    ],
)
def test_given_a_file_that_cannot_be_read_when_uploaded_then_it_is_refused_whole_with_the_reason(
    client, fulfiller, reward, data, message
):
    with pytest.raises(CatalogueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        voucher_codes_upload(reward=reward, data=data, by=fulfiller)

    page = upload(client, reward, data or b"")

    # An empty upload is refused by the form itself ("The submitted file is empty.").
    assert message in page or (not data and "The submitted file is empty." in page)
    assert not VoucherCode.objects.exists()


def test_given_a_file_over_the_size_limit_then_the_form_refuses_it(client, fulfiller, reward):
    page = upload(client, reward, b"A-1\n" * (VOUCHER_FILE_MAX_BYTES // 4 + 1))

    assert "The file is larger than 2 MB; split it into smaller files." in page
    assert not VoucherCode.objects.exists()


def test_given_a_file_over_the_line_limit_then_it_is_refused(fulfiller, reward):
    with pytest.raises(CatalogueError, match="more than 50000 lines"):
        voucher_codes_upload(reward=reward, data=b"A\n" * (VOUCHER_FILE_MAX_ROWS + 1), by=fulfiller)
    assert not VoucherCode.objects.exists()
