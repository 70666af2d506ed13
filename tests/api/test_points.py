"""GET /companies/{id}/balance and /ledger: what an ERP can read back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from rewards.ledger.services import points_account_for_company
from rewards.models import EntryKind, LedgerEntry
from tests.factories import CompanyFactory
from tests.rewards.factories import TierFactory

from .conftest import purchase_body


def test_the_balance_shows_points_their_value_pending_and_tier(api, company):
    TierFactory(name="Silver", qualifying_points=500)
    TierFactory(name="Gold", qualifying_points=5000)
    api.post("/purchases", purchase_body(company))

    response = api.get(f"/companies/{company.external_id}/balance")

    assert response.status_code == 200
    body = response.json()
    assert (body["balance"], body["balance_value"], body["currency"]) == (0, "0.00", "SEK")
    assert (body["pending"], body["pending_value"]) == (1000, "50.00")
    assert sum(item["points"] for item in body["pending_releases"]) == 1000
    assert body["tier"] == {"name": "Silver", "qualifying_points": 500}
    assert (body["next_tier"]["name"], body["points_to_next_tier"]) == ("Gold", 4000)
    assert body["expiring_soon"] == []


def test_a_company_that_has_not_earned_yet_has_an_empty_balance(api, company):
    body = api.get(f"/companies/{company.external_id}/balance").json()

    assert (body["balance"], body["pending"], body["tier"]) == (0, 0, None)


def test_an_unknown_company_is_a_404_with_a_message(api):
    for path in ("/companies/NOPE/balance", "/companies/NOPE/ledger"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "No company with external id NOPE."}


def _entries(account, count: int, *, at, key: str) -> None:
    """``count`` small adjustments, several sharing each timestamp (ties are broken by id)."""
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            account=account,
            kind=EntryKind.ADJUST,
            points=1,
            idempotency_key=f"{key}:{n}",
            created_at=at + timedelta(seconds=n // 3),
            expires_at=at + timedelta(days=700),
        )
        for n in range(count)
    )


def test_the_ledger_pages_through_every_entry_once_with_a_fixed_query_count(
    api, company, django_assert_max_num_queries
):
    account = points_account_for_company(company=company)
    start = timezone.now() - timedelta(days=30)
    _entries(account, 450, at=start, key="old")
    _entries(points_account_for_company(company=CompanyFactory()), 20, at=start, key="other")
    expected = list(
        LedgerEntry.objects.filter(account=account).order_by("-created_at", "-pk").values_list("pk", flat=True)
    )

    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        with django_assert_max_num_queries(4):
            response = api.get(f"/companies/{company.external_id}/ledger", **params)
        assert response.status_code == 200
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        if pages == 2:
            # New entries arriving while a client pages must not shift the later pages.
            _entries(account, 30, at=timezone.now(), key="new")
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert pages == 5
    assert seen == expected


def test_a_ledger_entry_names_its_purchase(api, company):
    api.post("/purchases", purchase_body(company, "ORDER-7"))

    items = api.get(f"/companies/{company.external_id}/ledger").json()["items"]

    assert [(item["kind"], item["pending_points"], item["purchase_external_id"]) for item in items] == [
        ("earn", 1000, "ORDER-7")
    ]


def test_a_ledger_entrys_memo_is_in_the_language_the_integrator_asks_for(api, client, token, company):
    api.post("/purchases", purchase_body(company, "ORDER-8"))
    path = f"/api/v1/companies/{company.external_id}/ledger"

    def memo(language: str) -> str:
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}
        return client.get(path, headers=headers).json()["items"][0]["memo"]

    assert (memo("en"), memo("sv"), memo("nl")) == ("Purchase ORDER-8", "Köp ORDER-8", "Aankoop ORDER-8")
    translation.activate("en")  # the request left its language active in this thread


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"cursor": "garbage"}, ["query", "cursor"]),
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": "x"}, ["query", "limit"]),
    ],
)
def test_bad_paging_parameters_are_named(api, company, params, loc):
    response = api.get(f"/companies/{company.external_id}/ledger", **params)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc
