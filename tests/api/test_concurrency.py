"""Concurrent posts of one purchase on PostgreSQL: one purchase, one earn entry, same answer."""

from __future__ import annotations

import itertools
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from api.services import api_client_create
from members.models import Company
from privacy.closing import company_close
from rewards.ledger.selectors import ledger_mismatches
from rewards.models import EntryKind, LedgerEntry, PointsAccount, ProgrammeRules, Purchase
from rewards.purchases.services import PurchaseInvalid, purchase_record
from tests.factories import CompanyFactory, StaffFactory

from .conftest import YESTERDAY, JsonApi, purchase_body

POSTS = 100


def _thread_count(wanted: int) -> int:
    """Threads to use: each holds a database connection, and the server's limit is shared
    with whoever else is testing on it. Posts are spread over the threads."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int - (SELECT count(*) FROM pg_stat_activity)")
        free = cursor.fetchone()[0]
    return max(2, min(wanted, free - 15))


def _run_together(posts: int, call) -> list:
    """Run ``call`` ``posts`` times on as many threads as the server allows, all released
    at once by a barrier. Returns the results (or exceptions) in no particular order."""
    threads_wanted = _thread_count(posts)
    per_thread = [posts // threads_wanted + (1 if n < posts % threads_wanted else 0) for n in range(threads_wanted)]
    barrier = threading.Barrier(threads_wanted)
    results: list = []
    lock = threading.Lock()

    def worker(count: int) -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(count):
                try:
                    outcome = call()
                except Exception as exc:  # reported below
                    outcome = exc
                with lock:
                    results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(count,)) for count in per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == posts
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_records_of_one_purchase_create_exactly_one(require_postgres):
    ProgrammeRules.current()
    company = CompanyFactory()

    results = _run_together(
        POSTS,
        lambda: purchase_record(
            company=company,
            source="erp",
            external_id="ORDER-1",
            occurred_at=YESTERDAY,
            net_amount=Decimal("1000.00"),
            currency="SEK",
            lines=[],
        ),
    )

    errors = [result for result in results if isinstance(result, Exception)]
    assert errors == []
    assert sorted(created for _purchase, created in results).count(True) == 1
    assert {purchase.pk for purchase, _created in results} == {Purchase.objects.get().pk}
    assert LedgerEntry.objects.filter(kind=EntryKind.EARN).count() == 1
    assert ledger_mismatches() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_http_posts_of_one_purchase_create_exactly_one(require_postgres):
    ProgrammeRules.current()
    company = CompanyFactory()
    _client, token = api_client_create(name="ERP", source="erp", created_by=None)
    body = purchase_body(company, "ORDER-1")

    responses = _run_together(POSTS, lambda: JsonApi(Client(), token).post("/purchases", body))

    statuses = sorted(getattr(response, "status_code", repr(response)) for response in responses)
    assert statuses == [200] * (POSTS - 1) + [201]
    assert len({response.content for response in responses}) == 1  # every caller got the same answer
    assert Purchase.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.EARN).count() == 1
    assert ledger_mismatches() == []


@pytest.mark.django_db(transaction=True)
def test_purchases_racing_the_company_closing_land_before_it_or_not_at_all(require_postgres):
    ProgrammeRules.current()
    company = CompanyFactory()  # loaded before the closing: every purchase below sees it active
    closer = StaffFactory(group="Club admins")
    numbers = itertools.count()

    def post(number):
        return purchase_record(
            company=company,
            source="erp",
            external_id=f"ORDER-{number}",
            occurred_at=YESTERDAY,
            net_amount=Decimal("100.00"),
            currency="SEK",
            lines=[],
        )

    post("BEFORE")  # so the closing always has points to settle

    def post_or_close():
        number = next(numbers)
        if number == POSTS // 4:
            return company_close(company=Company.objects.get(pk=company.pk), by=closer)
        return post(number)

    results = _run_together(POSTS, post_or_close)

    refused = [result for result in results if isinstance(result, PurchaseInvalid)]
    unexpected = [result for result in results if isinstance(result, Exception) and result not in refused]
    assert unexpected == []
    assert all("has left the club" in str(result) for result in refused)
    close = LedgerEntry.objects.get(account__company=company, kind=EntryKind.CLOSE)
    # Everything that landed landed before the closing, which settled it: nothing after it.
    assert not LedgerEntry.objects.filter(account__company=company, pk__gt=close.pk).exists()
    assert Purchase.objects.filter(company=company).count() == 1 + POSTS - 1 - len(refused)
    account = PointsAccount.objects.get(company=company)
    assert (account.balance, account.pending) == (0, 0)
    assert ledger_mismatches() == []
