"""The set-based import and tiers: the rows of a chunk that earn at an account's current tier
land set-based and the account rises after them, as the services would raise it; the rows
after the one that may lift it go one by one, after the chunk (they earn at the new tier)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from members.models import Company
from outbox import events as outbox_events
from rewards.ledger.services import points_earn_for_purchase
from rewards.purchases import imports
from tests.factories import CompanyFactory

from .factories import NOW, PurchaseFactory, TierFactory
from .helpers import assert_ledger_consistent
from .test_imports import _ledger, csv_bytes, row, run

pytestmark = pytest.mark.postgres


def _near_gold(prefix: str) -> None:
    """Seven companies 100 points short of Gold (their earns of the last 12 months)."""
    for n in range(7):
        company = CompanyFactory(external_id=f"{prefix}-{n}")
        seed = PurchaseFactory(
            company=company,
            source="seed",
            external_id=f"{prefix}-S{n}",
            net_amount=Decimal("1900.00"),
            occurred_at=NOW - timedelta(days=40),
        )
        points_earn_for_purchase(purchase=seed, now=NOW - timedelta(days=40))


def _file(prefix: str, source: str) -> bytes:
    rows = [row(f"{prefix}-{n}", f"P-{n}", "300.00", source=source) for n in range(6)]
    rows.append(row(f"{prefix}-0", "P-second", "1000.00", source=source))  # company 0: two rows
    rows.append(row(f"{prefix}-5", "P-small", "0.40", source=source))  # company 5: two rows, one earns nothing
    # Company 6: two rows, only the second lifts it (so both earn at its tier, then it rises).
    rows.append(row(f"{prefix}-6", "P-6a", "50.00", source=source))
    rows.append(row(f"{prefix}-6", "P-6b", "300.00", source=source))
    return csv_bytes(rows)


def test_one_row_that_lifts_an_account_lands_set_based_and_the_tier_follows_as_with_the_services(
    require_postgres, rules, monkeypatch
):
    TierFactory(name="Gold", qualifying_points=2000, earn_multiplier=Decimal("1.5"))
    _near_gold("A")
    _near_gold("B")
    one_by_one: list[str] = []
    record = imports._record_with_services
    # The tier.changed events both paths announce (to webhooks), as (company, from, to).
    risen: list[tuple[str, str, str]] = []

    def keep(events):
        names = dict(Company.objects.filter(pk__in=[e.company_id for e in events]).values_list("pk", "external_id"))
        risen.extend(
            (names[e.company_id], (e.data["from"] or {}).get("name", ""), e.data["to"]["name"]) for e in events
        )

    monkeypatch.setattr(outbox_events, "_sinks", [(keep, lambda event_type: event_type == "tier.changed")])

    def counted(row, company, now, result):
        one_by_one.append(row.external_id)
        return record(row, company, now, result)

    by_services = run(_file("A", "erp-a"), set_based=False, chunk_size=25)
    a_risen = sorted((company[1:], before, after) for company, before, after in risen)
    risen.clear()
    monkeypatch.setattr(imports, "_record_with_services", counted)
    set_based = run(_file("B", "erp-b"), set_based=True, chunk_size=25)
    b_risen = sorted((company[1:], before, after) for company, before, after in risen)

    assert (by_services.rows_created, set_based.rows_created) == (10, 10)
    # Only the rows after the one that lifted companies 0 and 5 went one by one.
    assert sorted(one_by_one) == ["P-second", "P-small"]
    a_entries, a_accounts, a_purchases = _ledger("A", "erp-a")
    b_entries, b_accounts, b_purchases = _ledger("B", "erp-b")
    assert a_entries == b_entries
    assert a_purchases == b_purchases
    assert a_accounts == b_accounts
    assert [account[4] for account in b_accounts] == ["Gold"] * 7
    # Each company rose once, announced the same way by both paths.
    assert b_risen == a_risen == [(f"-{n}", "", "Gold") for n in range(7)]
    # Company 0's second purchase earned at Gold (×1.5): the upgrade came between its rows.
    second = next(entry for entry in b_entries if entry[3] == "P-second" and entry[1] == "earn")
    first = next(entry for entry in b_entries if entry[3] == "P-1" and entry[1] == "earn")
    assert second[6] > first[6] * 3
    assert_ledger_consistent()
