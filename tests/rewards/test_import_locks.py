"""A running import never makes a single-purchase write wait more than a few seconds.

On PostgreSQL with real threads: while an import records a large chunk whose rows go
one by one through the services (the row-by-row path, and on the set-based path the rows
of accounts it must route), a purchase posted for one of the chunk's companies is recorded
within the bound (rewards.purchases.imports.ACCOUNT_LOCK_BOUND_SECONDS), not after the whole chunk.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from rewards.models import Purchase, PurchaseImportStatus
from rewards.purchases.imports import ACCOUNT_LOCK_BOUND_SECONDS, purchase_import_run
from rewards.purchases.services import purchase_record
from tests.factories import CompanyFactory

from .factories import NOW, TierFactory
from .helpers import assert_ledger_consistent
from .test_imports import csv_bytes, new_import, row

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROWS = 500
COMPANIES = 10
# The import must still be recording when the write comes: the write waits this long first.
IMPORT_HEAD_START_SECONDS = 1.5


@pytest.mark.parametrize("path", ["row_by_row", "set_based_routed"])
def test_a_purchase_posted_during_a_large_import_chunk_is_recorded_within_the_bound(require_postgres, rules, path):
    # given companies and a file of one large chunk whose rows all go through the services
    companies = [CompanyFactory(external_id=f"C{n}") for n in range(COMPANIES)]
    if path == "set_based_routed":
        TierFactory(qualifying_points=1)  # every account may rise a tier: its rows are routed
    content = csv_bytes([row(f"C{n % COMPANIES}", f"P-{n}") for n in range(ROWS)])
    purchase_import = new_import(content)
    finished = threading.Event()

    def run_import():
        try:
            purchase_import_run(
                import_id=purchase_import.pk, now=NOW, chunk_size=ROWS, set_based=path == "set_based_routed"
            )
        finally:
            finished.set()
            connection.close()

    importer = threading.Thread(target=run_import)

    # when the import runs, and a purchase is posted for one of its companies meanwhile
    importer.start()
    time.sleep(IMPORT_HEAD_START_SECONDS)
    waited = {}

    def post_purchase():
        started = time.monotonic()
        try:
            purchase_record(
                company=companies[0],
                source="api",
                external_id="LIVE-1",
                occurred_at=NOW,
                net_amount=Decimal("10.00"),
                currency="SEK",
                lines=[],
                now=NOW,
                notify=False,
            )
        finally:
            waited["seconds"] = time.monotonic() - started
            waited["import_still_running"] = not finished.is_set()
            connection.close()

    writer = threading.Thread(target=post_purchase)
    writer.start()
    writer.join(timeout=120)
    importer.join(timeout=300)

    # then the post was recorded within the bound while the import was still going
    assert waited["import_still_running"], "the file is too small to overlap the write on this machine"
    assert waited["seconds"] < ACCOUNT_LOCK_BOUND_SECONDS + 1, waited
    # and the import finished exactly
    purchase_import.refresh_from_db()
    assert purchase_import.status == PurchaseImportStatus.DONE
    assert (purchase_import.rows_created, purchase_import.rows_failed) == (ROWS, 0)
    assert Purchase.objects.count() == ROWS + 1
    assert_ledger_consistent()
