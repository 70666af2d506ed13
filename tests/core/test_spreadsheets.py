"""core.spreadsheets: a cell a spreadsheet would run as a formula is written as text.

Each export of the project is checked with such a value in its own test module
(``test_*_neutralises_formula_cells``); here the rule itself.
"""

from __future__ import annotations

import io

import pytest

from core.spreadsheets import csv_stream, csv_writer, neutralise

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
    assert "".join(csv_stream([["@x", "ok"]])) == "'@x,ok\r\n"
