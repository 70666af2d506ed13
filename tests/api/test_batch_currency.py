"""A batch's items landed together (set-based, PostgreSQL) report their own currency — a
Dutch company's EUR — not the programme's base currency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from api import api as api_module
from members.models import Country
from tests.factories import CompanyFactory

pytestmark = pytest.mark.postgres

RECENT = (timezone.now() - timedelta(days=2)).replace(microsecond=0)


def test_a_batch_of_eur_purchases_reports_eur(require_postgres, api, eur, monkeypatch):
    dutch = CompanyFactory(external_id="NL-1", country=Country.NETHERLANDS, currency="EUR")
    landed = []
    land = api_module.purchases_land_set_based
    monkeypatch.setattr(api_module, "purchases_land_set_based", lambda items: landed.append(len(items)) or land(items))
    items = [
        {
            "external_id": f"EU-{n}",
            "company": dutch.external_id,
            "occurred_at": RECENT.isoformat(),
            "net_amount": "100.00",
            "currency": "EUR",
            "lines": [],
        }
        for n in range(3)
    ]

    response = api.post("/purchases/batch", {"items": items})

    assert response.status_code == 200, response.content
    result = response.json()
    assert landed == [3]  # landed together
    assert [item["status"] for item in result["items"]] == ["created"] * 3
    assert [item["purchase"]["currency"] for item in result["items"]] == ["EUR"] * 3
    one = api.post("/purchases", {**items[0], "external_id": "EU-single"}).json()
    assert one["currency"] == "EUR"
    assert {
        key: value for key, value in result["items"][0]["purchase"].items() if key not in ("id", "external_id")
    } == {key: value for key, value in one.items() if key not in ("id", "external_id")}
