"""A credit note cannot credit more than its purchase: alone, or with the credit notes
already recorded against the same purchase."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from rewards.models import Purchase
from rewards.purchases.services import PurchaseInvalid, purchase_record
from tests.factories import CompanyFactory

from .factories import NOW
from .test_imports import csv_bytes, error_rows, row, run

pytestmark = pytest.mark.django_db

AT = NOW - timedelta(days=1)


@pytest.fixture
def acme(rules):
    return CompanyFactory(external_id="ACME")


def record(company, external_id, amount, original=None):
    return purchase_record(
        company=company,
        source="erp",
        external_id=external_id,
        occurred_at=AT,
        net_amount=Decimal(amount),
        currency="SEK",
        lines=[],
        original_external_id=original,
        now=NOW,
    )


def test_a_credit_note_larger_than_its_purchase_is_refused(acme):
    record(acme, "OK-1", "100.00")

    with pytest.raises(PurchaseInvalid) as refused:
        record(acme, "CN2", "-500.00", original="OK-1")

    assert refused.value.field == "net_amount"
    assert refused.value.message == (
        "This credit note (-500.00 SEK) and the earlier ones (0.00 SEK) exceed the purchase OK-1 (100.00 SEK) they credit."
    )
    assert not Purchase.objects.filter(external_id="CN2").exists()


def test_credit_notes_that_together_exceed_the_purchase_are_refused_on_the_one_that_exceeds(acme):
    record(acme, "OK-1", "100.00")
    record(acme, "CN-1", "-60.00", original="OK-1")

    with pytest.raises(PurchaseInvalid) as refused:
        record(acme, "CN-2", "-40.01", original="OK-1")

    assert "earlier ones (-60.00 SEK)" in refused.value.message
    assert list(Purchase.objects.filter(original__external_id="OK-1").values_list("external_id", flat=True)) == ["CN-1"]


def test_credit_notes_may_credit_the_whole_purchase_exactly_and_a_replay_is_no_new_credit(acme):
    record(acme, "OK-1", "100.00")
    record(acme, "CN-1", "-60.00", original="OK-1")
    _purchase, created = record(acme, "CN-2", "-40.00", original="OK-1")
    assert created

    _purchase, created = record(acme, "CN-2", "-40.00", original="OK-1")  # the same note sent again
    assert not created
    with pytest.raises(PurchaseInvalid):
        record(acme, "CN-3", "-0.01", original="OK-1")


def test_a_csv_row_with_a_credit_note_over_its_purchase_is_a_row_error(acme):
    content = csv_bytes(
        [
            row("ACME", "OK-1", "100.00"),
            row("ACME", "CN-1", "-80.00", original="OK-1"),
            row("ACME", "CN-2", "-30.00", original="OK-1"),  # line 4: 110.00 credited in all
        ]
    )

    purchase_import = run(content)

    assert (purchase_import.rows_created, purchase_import.rows_failed) == (2, 1)
    reasons = {int(line): reason for line, reason, *_rest in error_rows(purchase_import)[1:]}
    assert list(reasons) == [4]
    assert "exceed the purchase OK-1 (100.00 SEK)" in reasons[4]
