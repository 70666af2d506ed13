"""The ERP and invoice credits: the open credits, cursor-paged and scoped to the client's
companies; marking one applied, idempotent; the scopes; the signed webhooks."""

from __future__ import annotations

import pytest

from api.models import ApiScope
from api.services import api_client_create
from members.models import MembershipRole
from rewards.models import InvoiceCredit, InvoiceCreditStatus
from tests.factories import CompanyFactory, MembershipFactory
from tests.rewards.factories import RewardFactory
from tests.rewards.helpers import give_points, request_redemption

from .test_webhooks import _api_for, _subscribe, _verify, receiver, run_after_commit  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def credit_reward(db):
    return RewardFactory(kind="invoice_credit", title="500 SEK off", points_cost=10_000, value="500.00")


def _credits_for(company, reward, count: int) -> list[InvoiceCredit]:
    from rewards.ledger.services import points_account_for_company

    give_points(points_account_for_company(company=company), reward.points_cost * count)
    buyer = MembershipFactory(company=company, role=MembershipRole.ADMIN)
    for _ in range(count):
        request_redemption(buyer, reward)
    return list(InvoiceCredit.objects.filter(company=company).order_by("pk"))


def test_the_open_credits_are_listed_oldest_first_a_page_at_a_time(api, company, credit_reward):
    credits = _credits_for(company, credit_reward, 3)

    first = api.get("/invoice-credits", limit=2).json()
    second = api.get("/invoice-credits", limit=2, cursor=first["next_cursor"]).json()

    assert [item["id"] for item in first["items"] + second["items"]] == [credit.pk for credit in credits]
    assert second["next_cursor"] is None
    item = first["items"][0]
    assert item["amount"] == "500.00" and item["currency"] == "SEK" and item["points"] == 10_000
    assert item["status"] == "open" and item["company"] == company.external_id and item["source"] == "redemption"
    assert item["redemption_number"].startswith("R-")


def test_applying_a_credit_is_idempotent_and_it_leaves_the_open_list(api, company, credit_reward):
    credit = _credits_for(company, credit_reward, 1)[0]

    first = api.post(f"/invoice-credits/{credit.pk}/apply", {"invoice_reference": "INV-9001"})
    retry = api.post(f"/invoice-credits/{credit.pk}/apply", {"invoice_reference": "INV-OTHER"})

    assert first.status_code == retry.status_code == 200
    assert "Idempotent-Replayed" not in first.headers and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["invoice_reference"] == "INV-9001" and retry.json()["status"] == "applied"
    assert api.get("/invoice-credits").json()["items"] == []
    assert [item["id"] for item in api.get("/invoice-credits", status="applied").json()["items"]] == [credit.pk]


@pytest.mark.parametrize(
    "body", [{}, {"invoice_reference": ""}, {"invoice_reference": "x" * 101}, {"invoice_reference": "A\u0000B"}]
)
def test_a_bad_invoice_reference_answers_422_and_the_credit_stays_open(api, company, credit_reward, body):
    credit = _credits_for(company, credit_reward, 1)[0]

    assert api.post(f"/invoice-credits/{credit.pk}/apply", body).status_code == 422
    assert InvoiceCredit.objects.get().status == InvoiceCreditStatus.OPEN


def test_a_crafted_or_foreign_cursor_answers_422(api, company, credit_reward):
    _credits_for(company, credit_reward, 3)
    redemptions_cursor = api.get("/redemptions", limit=1, status="fulfilled").json()["next_cursor"]

    assert api.get("/invoice-credits", cursor="not-a-cursor").status_code == 422
    assert api.get("/invoice-credits", cursor=redemptions_cursor).status_code == 422


def test_a_client_limited_to_its_companies_sees_and_applies_only_theirs(company, credit_reward, rules):
    other = CompanyFactory()
    mine = _credits_for(company, credit_reward, 1)[0]
    theirs = _credits_for(other, credit_reward, 1)[0]
    _client, token = api_client_create(
        name="Shop", source="shop", created_by=None, all_companies=False, companies=[company]
    )
    shop = _api_for(token)

    listed = [item["id"] for item in shop.get("/invoice-credits").json()["items"]]
    refused = shop.post(f"/invoice-credits/{theirs.pk}/apply", {"invoice_reference": "INV-1"})

    assert listed == [mine.pk]
    assert refused.status_code == 404
    assert InvoiceCredit.objects.get(pk=theirs.pk).status == InvoiceCreditStatus.OPEN


def test_each_operation_needs_its_scope(company, credit_reward, rules):
    credit = _credits_for(company, credit_reward, 1)[0]
    _client, token = api_client_create(
        name="Reader", source="reader", created_by=None, scopes=[ApiScope.INVOICE_CREDITS_READ]
    )
    reader = _api_for(token)
    _client, token = api_client_create(name="Points", source="points", created_by=None, scopes=[ApiScope.POINTS_READ])
    stranger = _api_for(token)

    assert reader.get("/invoice-credits").status_code == 200
    refused = reader.post(f"/invoice-credits/{credit.pk}/apply", {"invoice_reference": "INV-1"})
    assert refused.status_code == 403 and "invoice_credits:write" in refused.json()["detail"]
    assert stranger.get("/invoice-credits").status_code == 403
    assert InvoiceCredit.objects.get().status == InvoiceCreditStatus.OPEN


def test_the_credit_is_announced_signed_when_made_and_when_applied(
    api,
    company,
    credit_reward,
    receiver,  # noqa: F811
    run_after_commit,  # noqa: F811
):
    _endpoint, secret = _subscribe(api, receiver.url, events=["invoice_credit.created", "invoice_credit.applied"])
    with run_after_commit():
        credit = _credits_for(company, credit_reward, 1)[0]
    with run_after_commit():
        api.post(f"/invoice-credits/{credit.pk}/apply", {"invoice_reference": "INV-5"})
        api.post(f"/invoice-credits/{credit.pk}/apply", {"invoice_reference": "INV-5"})  # a retry: no second event

    payloads = [_verify(secret, headers, body) for headers, body in receiver.requests]
    assert [(p["type"], p["version"]) for p in payloads] == [
        ("invoice_credit.created", 1),
        ("invoice_credit.applied", 1),
    ]
    created, applied = (p["data"]["invoice_credit"] for p in payloads)
    assert created["id"] == credit.pk and created["amount"] == "500.00" and created["status"] == "open"
    assert applied["status"] == "applied" and applied["invoice_reference"] == "INV-5"


def test_a_client_without_the_read_scope_cannot_subscribe_to_credit_events(db, rules):
    _client, token = api_client_create(name="Hooks", source="hooks", created_by=None, scopes=[ApiScope.WEBHOOKS])

    refused = _api_for(token).post(
        "/webhooks/endpoints", {"url": "http://127.0.0.1/x", "events": ["invoice_credit.created"]}
    )

    assert refused.status_code == 422 and "invoice_credits:read" in refused.json()["detail"][0]["msg"]


def test_applying_a_credit_without_a_body_names_the_invoice_reference_it_needs(api, company, credit_reward):
    (credit,) = _credits_for(company, credit_reward, 1)

    response = api.post(f"/invoice-credits/{credit.pk}/apply", b"")

    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [["body", "invoice_reference"]]
    credit.refresh_from_db()
    assert credit.status == InvoiceCreditStatus.OPEN
