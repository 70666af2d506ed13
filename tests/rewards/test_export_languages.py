"""The points history export fits the reader's spreadsheet: a Swedish member's CSV reads back
with ``;`` and decimal commas, an English one's with ``,`` and decimal points."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from rewards.ledger.services import points_account_for_company, points_adjust
from rewards.models import ProgrammeRules
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

HISTORY_URL = "/points/history/"


@pytest.fixture
def history(company):
    rules = ProgrammeRules.current()
    rules.point_value = Decimal("0.05")
    rules.currency = "SEK"
    rules.save()
    points_adjust(
        account=points_account_for_company(company=company),
        points=1_234,
        reason="Välkomstpoäng",
        by=StaffFactory(),
        key="welcome",
    )


def _rows(response, delimiter: str) -> list[list[str]]:
    content = response.getvalue()  # once: the export streams
    assert content.startswith(b"\xef\xbb\xbf")  # a UTF-8 BOM: Excel reads å, ä, ö
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))


def test_a_swedish_member_exports_a_csv_with_semicolons_and_decimal_commas(client, purchaser, history, portal_site):
    purchaser.language = ""  # a Swedish company's contact: Swedish
    purchaser.save(update_fields=["language"])
    client.force_login(purchaser)

    response = client.get(HISTORY_URL, {"_export": "csv"})

    header, row = _rows(response, ";")
    cells = dict(zip(header, row, strict=True))  # by header: the columns' order is not the point
    assert (cells["Poäng"], cells["Värde (SEK)"]) == ("1234", "61,70")


def test_an_english_member_exports_commas_and_decimal_points(client, purchaser, history, portal_site):
    client.force_login(purchaser)

    header, row = _rows(client.get(HISTORY_URL, {"_export": "csv"}), ",")
    cells = dict(zip(header, row, strict=True))
    assert (cells["Points"], cells["Value (SEK)"]) == ("1234", "61.70")
