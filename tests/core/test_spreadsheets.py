"""core.spreadsheets: a cell a spreadsheet would run as a formula is written as text.

Each export of the project is checked with such a value in its own test module
(``test_*_neutralises_formula_cells``); here the rule itself.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import django_tables2 as tables
import openpyxl
import pytest
from django.utils import formats, translation

from core.formatting import format_money, format_number
from core.spreadsheets import SafeTableExport, csv_stream, csv_writer, neutralise, reader_conventions

EVIL = '=HYPERLINK("http://evil","x")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (EVIL, "'" + EVIL),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Acme AB", "Acme AB"),
        ("a=b", "a=b"),
        ("-150", "-150"),  # a plain number stays a number
        ("-12.50", "-12.50"),
        (-150, -150),
        (None, None),
    ],
)
def test_a_value_that_starts_a_formula_gets_an_apostrophe_and_nothing_else_changes(value, written):
    assert neutralise(value) == written


def test_the_csv_writer_and_the_stream_neutralise_every_cell():
    buffer = io.StringIO()
    csv_writer(buffer, lineterminator="\n").writerow(["Acme", EVIL, -5])

    assert buffer.getvalue() == 'Acme,"\'=HYPERLINK(""http://evil"",""x"")",-5\n'
    assert "".join(csv_stream([["@x", "ok"]], for_reader=False)) == "'@x,ok\r\n"
    with translation.override("en"):
        assert "".join(csv_stream([["@x", "ok"]])) == "\ufeff'@x,ok\r\n"


# --- files that fit the reader's spreadsheet ------------------------------------------------


class _Amounts(tables.Table):
    name = tables.Column()
    amount = tables.Column()
    day = tables.Column()


_ROWS = [
    {"name": "Göteborg", "amount": Decimal("1234.50"), "day": "2026-01-20 14:05"},
    {"name": EVIL, "amount": Decimal("-0.05"), "day": "2026-02-01"},
]


@pytest.mark.parametrize(("language", "delimiter", "decimal"), [("en", ",", "."), ("sv", ";", ","), ("nl", ";", ",")])
def test_the_reader_conventions_follow_the_language(language, delimiter, decimal):
    with translation.override(language):
        conventions = reader_conventions()

    assert (conventions.delimiter, conventions.decimal_separator) == (delimiter, decimal)


def test_a_swedish_csv_export_reads_back_with_decimal_commas():
    with translation.override("sv"):
        content = SafeTableExport("csv", _Amounts(_ROWS)).export()

    assert content.startswith("\ufeff")  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(content.removeprefix("\ufeff")), delimiter=";"))
    assert rows == [
        ["Name", "Amount", "Day"],
        ["Göteborg", "1234,50", "2026-01-20 14:05"],
        ["'" + EVIL, "-0,05", "2026-02-01"],
    ]


def test_an_english_csv_export_keeps_commas_and_points():
    with translation.override("en"):
        content = SafeTableExport("csv", _Amounts(_ROWS)).export()

    rows = list(csv.reader(io.StringIO(content.removeprefix("\ufeff"))))
    assert rows[1] == ["Göteborg", "1234.50", "2026-01-20 14:05"]


def test_an_xlsx_export_has_real_dates_and_numbers():
    with translation.override("nl"):
        content = SafeTableExport("xlsx", _Amounts(_ROWS)).export()

    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[1] == ("Göteborg", 1234.5, datetime(2026, 1, 20, 14, 5))
    assert rows[2][1:] == (-0.05, datetime(2026, 2, 1))
    assert rows[2][0] == "'" + EVIL


def test_the_stream_for_a_dutch_reader_has_a_bom_semicolons_and_decimal_commas():
    with translation.override("nl"):
        text = "".join(csv_stream([["Bouwmaat", Decimal("12.50"), 3]]))

    assert text == "\ufeffBouwmaat;12,50;3\r\n"


@pytest.mark.parametrize(
    ("language", "number", "money"),
    [
        ("en", "1\u202f234\u202f567", "12.35\u00a0EUR"),
        ("sv", "1\u00a0234\u00a0567", "12,35\u00a0EUR"),
        ("nl", "1.234.567", "12,35\u00a0EUR"),
    ],
)
def test_numbers_and_money_are_written_as_each_language_writes_them(language, number, money):
    with translation.override(language):
        assert format_number(1234567) == number
        assert format_money(Decimal("12.35"), "EUR") == money
        assert (
            formats.date_format(date(2026, 1, 20), "SHORT_DATE_FORMAT")
            == {
                "en": "20 Jan 2026",
                "sv": "2026-01-20",
                "nl": "20-01-2026",
            }[language]
        )


def test_xlsx_bytes_neutralises_formulas_and_keeps_numbers_and_dates():
    from datetime import date
    from decimal import Decimal
    from io import BytesIO

    from openpyxl import load_workbook

    from core.spreadsheets import xlsx_bytes

    data = xlsx_bytes(
        [["Company", "Revenue", "Day"], ['=HYPERLINK("http://evil","x")', Decimal("-12.50"), "2026-03-01"]],
        title="At risk: [all]",
    )
    sheet = load_workbook(BytesIO(data)).active
    assert sheet.title == "At risk   all "
    rows = list(sheet.values)
    assert rows[1][0] == '\'=HYPERLINK("http://evil","x")'
    assert rows[1][1] == -12.5
    assert rows[1][2].date() == date(2026, 3, 1)
