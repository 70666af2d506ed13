"""POST /purchases/batch lands its items set-based (the CSV import's statements) on PostgreSQL
and writes exactly what the same items write one by one through purchase_record: the same
purchases, lines, entries and accounts, and the same answer per item."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import api as api_module
from api.services import api_client_create
from rewards.models import EntryKind, LedgerEntry, PointsAccount, Purchase
from tests.factories import CompanyFactory
from tests.rewards.factories import ProductCategoryFactory, TierFactory
from tests.rewards.helpers import assert_ledger_consistent
from tests.rewards.test_imports import _ledger, _scenario_companies

from .conftest import JsonApi

pytestmark = pytest.mark.postgres

RECENT = (timezone.now() - timedelta(days=2)).replace(microsecond=0)
LATE = (timezone.now() - timedelta(days=25)).replace(microsecond=0)  # past the return window


def _item(prefix: str, company: int, external_id: str, amount: str, *, at=RECENT, lines=None, original=None) -> dict:
    item = {
        "external_id": external_id,
        "company": f"{prefix}-{company}",
        "occurred_at": at.isoformat(),
        "net_amount": amount,
        "lines": lines if lines is not None else [],
    }
    if original:
        item["original_external_id"] = original
    return item


def _batch(prefix: str) -> list[dict]:
    """Plain purchases (no line, one line with or without a category, late ones), accounts
    owing a shortfall or crossing a tier, a credit note, several lines, a repeat, bad items."""
    items = []
    for n in range(40):
        amount = f"{100 + n * 7}.{n:02d}"
        if n % 5 == 0:
            lines = [{"sku": f"SKU-{n}", "amount": amount, "category": "TOOLS"}]
        elif n % 5 == 1:
            lines = [{"sku": f"SKU-{n}", "amount": amount}]
        else:
            lines = []
        items.append(_item(prefix, n % 5, f"P-{n}", amount, at=LATE if n % 3 == 0 else RECENT, lines=lines))
    items += [
        _item(prefix, 0, "P-1", "999.00"),  # a repeat with other content: conflict
        _item(prefix, 2, "P-2", items[2]["net_amount"], at=RECENT),  # an exact repeat: duplicate
        _item(prefix, 2, "C-1", "-50.00", original="P-2"),  # a credit note
        _item(prefix, 0, "M-1", "30.00", lines=[{"sku": "A", "amount": "10.00"}, {"sku": "B", "amount": "20.00"}]),
        _item(prefix, 0, "W-1", "30.00", lines=[{"sku": "A", "amount": "10.00"}]),  # line ≠ net amount
        _item(prefix, 0, "U-1", "30.00", lines=[{"sku": "A", "amount": "30.00", "category": "NOPE"}]),
        _item(prefix, 0, "N-1", "-5.00"),  # a negative purchase
        _item("NOBODY", 0, "X-1", "5.00"),
    ]
    return items


def _without_ids(body: dict) -> list:
    return [
        (
            item["index"],
            item["status"],
            item.get("detail"),
            [error["loc"] for error in item.get("errors", [])],
            {
                key: value[2:] if key == "company" else value  # "A-0" and "B-0" are both company 0
                for key, value in (item.get("purchase") or {}).items()
                if key not in ("id", "source")
            },
        )
        for item in body["items"]
    ]


@pytest.mark.django_db(transaction=True)
def test_a_set_based_batch_writes_the_same_ledger_and_answers_as_one_by_one(require_postgres, monkeypatch, rules):
    ProductCategoryFactory(code="TOOLS", multiplier=Decimal("1.25"))
    gold = TierFactory(name="Gold", qualifying_points=2000, earn_multiplier=Decimal("1.5"))
    _scenario_companies("A", gold)
    _scenario_companies("B", gold)
    _client_a, token_a = api_client_create(name="ERP A", source="erp-a", created_by=None)
    _client_b, token_b = api_client_create(name="ERP B", source="erp-b", created_by=None)
    from django.test import Client

    calls = []
    real = api_module.purchases_land_set_based

    def counting(purchases, **kwargs):
        calls.append([purchase.external_id for purchase in purchases])
        return real(purchases, **kwargs)

    monkeypatch.setattr(api_module, "purchases_land_set_based", counting)
    with monkeypatch.context() as one_by_one:
        one_by_one.setattr(api_module, "_batch_set_based_items", lambda client, parsed, companies: ([], sorted(parsed)))
        by_services = JsonApi(Client(), token_a).post("/purchases/batch", {"items": _batch("A")})
    set_based = JsonApi(Client(), token_b).post("/purchases/batch", {"items": _batch("B")})

    assert by_services.status_code == set_based.status_code == 200
    a_body, b_body = by_services.json(), set_based.json()
    a_items = _without_ids(a_body)
    b_items = [(i, s, d.replace("erp-b", "erp-a") if d else d, e, p) for i, s, d, e, p in _without_ids(b_body)]
    assert a_items == b_items
    assert {key: a_body[key] for key in ("created", "duplicate", "conflict", "invalid")} == {
        "created": 43,
        "duplicate": 1,
        "conflict": 1,
        "invalid": 3,
    }
    # Companies 0 and 2 have items that go one by one (several lines, a repeat, a credit
    # note), so all their items do; the others' went to the set-based statements in one
    # call, which left those of 1 (a shortfall) and 4 (due for Gold) for one by one.
    assert len(calls) == 1
    assert set(calls[0]) == {f"P-{n}" for n in range(40) if n % 5 in (1, 3, 4)}

    a_entries, a_accounts, a_purchases = _ledger("A", "erp-a")
    b_entries, b_accounts, b_purchases = _ledger("B", "erp-b")
    assert len(a_entries) > 50
    without_created_at = [entry[:9] + entry[10:] for entry in a_entries]
    assert without_created_at == [entry[:9] + entry[10:] for entry in b_entries]
    assert a_accounts == b_accounts
    assert a_purchases == b_purchases
    assert any(entry[2] == EntryKind.RELEASE for entry in b_entries)  # late purchases released at once
    assert_ledger_consistent()
    call_command("check_ledger", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_a_set_based_batch_costs_the_same_queries_for_10_or_500_items_and_a_resend_adds_nothing(
    require_postgres, rules
):
    from django.test import Client

    ProductCategoryFactory(code="TOOLS", multiplier=Decimal("2"))
    companies = [CompanyFactory(external_id=f"Q-{n}") for n in range(50)]
    _client, token = api_client_create(name="ERP", source="erp", created_by=None)
    api = JsonApi(Client(), token)

    def items(count: int, prefix: str) -> list[dict]:
        return [
            {
                "external_id": f"{prefix}-{n}",
                "company": companies[n % len(companies)].external_id,
                "occurred_at": RECENT.isoformat(),
                "net_amount": "100.00",
                "lines": [{"sku": "S", "amount": "100.00", "category": "TOOLS"}] if n % 2 else [],
            }
            for n in range(count)
        ]

    counts = []
    for count, prefix in ((10, "S"), (500, "L")):
        with CaptureQueriesContext(connection) as queries:
            response = api.post("/purchases/batch", {"items": items(count, prefix)})
        assert response.json()["created"] == count
        counts.append(len(queries))
    resent = api.post("/purchases/batch", {"items": items(500, "L")})

    assert counts[1] <= counts[0] + 2, counts
    assert resent.json()["duplicate"] == 500
    assert all(item["purchase"]["points"] in (100, 200) for item in resent.json()["items"])
    assert Purchase.objects.count() == 510
    assert LedgerEntry.objects.filter(kind=EntryKind.EARN).count() == 510
    assert sum(PointsAccount.objects.values_list("pending", flat=True)) == 255 * 100 + 255 * 200
    assert_ledger_consistent()
