"""The points history stays cheap however long the ledger: each entry keeps the balance right
after it (written under the account lock, also when many writers race), and the CSV export
streams in chunks instead of building every row in the request."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from django.db import connection

from core.texts import free_text
from rewards.ledger import views as ledger_views
from rewards.ledger.selectors import balance_after_mismatches
from rewards.ledger.services import points_account_for_company, points_adjust, points_award, points_redeem
from rewards.models import LedgerEntry, PointsAccount
from tests.factories import StaffFactory

from .helpers import assert_ledger_consistent

HISTORY_URL = "/points/history/"


@pytest.mark.django_db
def test_every_service_write_stores_the_balance_right_after_it(company, rules):
    account = points_account_for_company(company=company)
    staff = StaffFactory()

    points_adjust(account=account, points=500, reason="Welcome", by=staff, key="a")
    points_award(company_id=company.pk, points=200, key="b", memo=free_text("Survey"))
    points_redeem(account=account, points=300, key="c", by=None, memo=free_text("Thermos"))
    points_adjust(account=account, points=-50, reason="Typo", by=staff, key="d")

    stored = list(LedgerEntry.objects.filter(account=account).order_by("pk").values_list("balance_after", flat=True))
    assert stored == [500, 700, 400, 350]
    assert PointsAccount.objects.get(pk=account.pk).balance == 350
    assert_ledger_consistent()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_each_store_the_balance_after_their_own_entry(require_postgres, company, rules):
    # given an account with points and eight threads that credit and spend it at the same time
    account = points_account_for_company(company=company)
    staff = StaffFactory()
    points_adjust(account=account, points=10_000, reason="Start", by=staff, key="start")
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            for step in range(10):
                if (number + step) % 2:
                    points_adjust(account=account, points=7, reason="Plus", by=staff, key=f"plus:{number}:{step}")
                else:
                    points_redeem(
                        account=account, points=5, key=f"spend:{number}:{step}", by=None, memo=free_text("Gift")
                    )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then every entry's balance_after is the running balance in the order they were written,
    # and the newest one equals the account's balance
    assert errors == []
    entries = list(LedgerEntry.objects.filter(account=account).order_by("pk").values_list("points", "balance_after"))
    assert len(entries) == 81
    running = 0
    for points, balance_after in entries:
        running += points
        assert balance_after == running
    assert entries[-1][1] == PointsAccount.objects.get(pk=account.pk).balance == 10_000 + 40 * 7 - 40 * 5
    assert balance_after_mismatches() == []
    assert_ledger_consistent()


@pytest.mark.django_db
def test_the_csv_export_streams_every_entry_in_chunks_newest_first(
    member_client, company, rules, portal_site, monkeypatch
):
    # given 23 entries and chunks of 5 (the real chunk is 2 000)
    monkeypatch.setattr(ledger_views, "EXPORT_CHUNK", 5)
    account = points_account_for_company(company=company)
    staff = StaffFactory()
    for number in range(23):
        points_adjust(account=account, points=10 + number, reason=f"Entry {number}", by=staff, key=f"e{number}")

    response = member_client.get(HISTORY_URL, {"_export": "csv"})

    # then the response streams, the header comes once, and every entry follows, newest first,
    # each with the balance after it
    assert response.streaming
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[-1] == "Balance after"
    assert len(body) == 23 and "Balance after" not in [row[-1] for row in body]
    assert [row[2] for row in body] == [f"Entry {number}" for number in reversed(range(23))]
    expected = LedgerEntry.objects.filter(account=account).order_by("-created_at", "-pk")
    assert [row[-1].replace("\u202f", "").replace(",", "") for row in body] == [
        str(entry.balance_after) for entry in expected
    ]


@pytest.mark.django_db
def test_an_export_of_no_entries_is_the_header_alone(member_client, company, rules, portal_site):
    points_account_for_company(company=company)

    response = member_client.get(HISTORY_URL, {"_export": "csv"})

    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0][0] == "Date"


@pytest.mark.django_db
def test_the_two_ended_paginator_gives_the_same_pages_as_django_s(company, rules):
    from django.core.paginator import Paginator

    from core.pagination import TwoEndedPaginator

    account = points_account_for_company(company=company)
    staff = StaffFactory()
    for number in range(23):
        points_adjust(account=account, points=1 + number, reason=f"E{number}", by=staff, key=f"p{number}")
    entries = LedgerEntry.objects.filter(account=account).order_by("-created_at", "-pk")

    for per_page, orphans in [(5, 0), (5, 2), (4, 0), (25, 0)]:
        plain, two_ended = (
            Paginator(entries, per_page, orphans=orphans),
            TwoEndedPaginator(entries, per_page, orphans=orphans),
        )
        assert two_ended.num_pages == plain.num_pages
        for number in plain.page_range:
            assert [e.pk for e in two_ended.page(number)] == [e.pk for e in plain.page(number)], (per_page, number)


@pytest.mark.django_db
def test_the_history_s_last_pages_are_read_from_the_oldest_end(member_client, company, rules, portal_site, monkeypatch):
    """Through the view (django-tables2 hands the paginator its rows, not the queryset): the
    last page reads the oldest entries with a small OFFSET, not every newer entry."""
    from django.test.utils import CaptureQueriesContext

    from core.pagination import TwoEndedPaginator

    monkeypatch.setattr(
        ledger_views.PointsHistoryView, "table_pagination", {"per_page": 5, "paginator_class": TwoEndedPaginator}
    )
    account = points_account_for_company(company=company)
    staff = StaffFactory()
    for number in range(23):
        points_adjust(account=account, points=1 + number, reason=f"Entry-{number:02d}", by=staff, key=f"h{number}")

    pages = {}
    for page in (1, 4, 5):
        with CaptureQueriesContext(connection) as queries:
            response = member_client.get(HISTORY_URL, {"page": page})
        assert response.status_code == 200
        html = response.content.decode()
        shown = [n for n in range(23) if f"Entry-{n:02d}" in html]
        pages[page] = sorted(shown, key=lambda n: html.index(f"Entry-{n:02d}"))  # in the page's order
        entry_reads = [q["sql"] for q in queries if 'FROM "rewards_ledgerentry"' in q["sql"] and "LIMIT 5" in q["sql"]]
        if page == 1:
            assert entry_reads and " DESC" in entry_reads[0]
    assert pages == {1: [22, 21, 20, 19, 18], 4: [7, 6, 5, 4, 3], 5: [2, 1, 0]}
    with CaptureQueriesContext(connection) as queries:
        member_client.get(HISTORY_URL, {"page": 5})
    last_read = [q["sql"] for q in queries if 'FROM "rewards_ledgerentry"' in q["sql"] and "LIMIT 3" in q["sql"]]
    assert last_read and " ASC" in last_read[0] and "OFFSET 20" not in last_read[0]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "sv", "nl"])
def test_the_export_s_rows_are_the_table_s_own_values(company, rules, language):
    """The export's fast path writes what django-tables2's ``as_values`` would: every kind of
    entry, its dates note, origin, value and balance, in the reader's language."""
    from datetime import timedelta

    from django.utils import timezone
    from django.utils.translation import override

    from rewards.ledger.selectors import company_ledger_entries
    from rewards.ledger.services import entry_reverse, points_earn_for_purchase, points_release_pending
    from rewards.ledger.tables import LedgerEntryTable

    from .factories import PurchaseFactory

    account = points_account_for_company(company=company)
    staff = StaffFactory()
    then = timezone.now() - timedelta(days=40)
    points_earn_for_purchase(purchase=PurchaseFactory(company=company, occurred_at=then), now=then)
    points_release_pending(now=then + timedelta(days=20))
    points_earn_for_purchase(purchase=PurchaseFactory(company=company))  # still pending
    points_award(company_id=company.pk, points=40, key="award", memo=free_text("Quiz"))
    redeemed = points_redeem(account=account, points=30, key="r1", by=None, memo=free_text("=HYPERLINK(1)"))
    entry_reverse(entry=redeemed, reason="Order cancelled", by=staff)
    points_adjust(account=account, points=-5, reason="Fix", by=staff, key="adj")
    entries = list(company_ledger_entries(company=company))
    assert {entry.kind for entry in entries} >= {"earn", "release", "redeem", "reversal", "adjust"}

    with override(language):
        for exclude in ((), ledger_views.PointsHistoryView.exclude_columns):
            fast = LedgerEntryTable(entries, rules=rules, club_name="Club").export_values(
                entries, exclude_columns=exclude
            )
            table = LedgerEntryTable(entries, rules=rules, club_name="Club")
            assert list(fast) == list(table.as_values(exclude_columns=exclude))
