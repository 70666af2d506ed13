"""core.spreadsheets.money_cell: an amount in an export is a number in cents."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.spreadsheets import money_cell


@pytest.mark.parametrize(
    ("amount", "cell"),
    [
        (Decimal("45849.9800000000"), "45849.98"),  # a sum SQLite handed back
        (Decimal("528500.06"), "528500.06"),
        (Decimal("0.005"), "0.01"),  # half away from zero, as SQL's ROUND
        (Decimal("-0.005"), "-0.01"),
        (Decimal("-0.0001"), "0.00"),  # never "-0.00"
        (Decimal("12"), "12.00"),
        (12, "12.00"),
    ],
)
def test_an_amount_is_written_in_cents_and_stays_a_number(amount, cell):
    written = money_cell(amount)

    assert isinstance(written, Decimal)
    assert str(written) == cell


def test_no_figure_stays_an_empty_cell():
    assert money_cell(None) is None
