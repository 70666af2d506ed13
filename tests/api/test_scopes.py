"""API scopes: a client does only what it was granted (403 with a clear detail otherwise),
and a client limited to its companies touches only the companies it created or was given."""

from __future__ import annotations

import pytest

from api.models import ApiClient, ApiScope
from api.services import api_client_create
from members.models import Company, MembershipRole
from rewards.ledger.services import points_account_for_company
from rewards.models import Purchase
from tests.factories import CompanyFactory, MembershipFactory
from tests.rewards.factories import RewardFactory
from tests.rewards.helpers import give_points, request_redemption

from .conftest import JsonApi, purchase_body

pytestmark = pytest.mark.django_db

COMPANY = {"name": "Acme AB", "country": "SE", "org_number": "556677-8899"}

# (scope, method, path, body): one call per operation that needs a scope.
OPERATIONS = [
    (ApiScope.COMPANIES_WRITE, "put", "/companies/C-1", COMPANY),
    (ApiScope.PURCHASES_WRITE, "post", "/purchases", "purchase"),
    (ApiScope.PURCHASES_WRITE, "post", "/purchases/batch", "batch"),
    (ApiScope.POINTS_READ, "get", "/companies/C-1/balance", None),
    (ApiScope.POINTS_READ, "get", "/companies/C-1/ledger", None),
    (ApiScope.REDEMPTIONS_READ, "get", "/redemptions", None),
    (ApiScope.REDEMPTIONS_READ, "get", "/redemptions/1", None),
    (ApiScope.REDEMPTIONS_WRITE, "post", "/redemptions/1/fulfil", {}),
    (ApiScope.INVOICE_CREDITS_READ, "get", "/invoice-credits", None),
    (ApiScope.INVOICE_CREDITS_WRITE, "post", "/invoice-credits/1/apply", {"invoice_reference": "INV-1"}),
]


def _call(api: JsonApi, method: str, path: str, body, company):
    if body == "purchase":
        body = purchase_body(company)
    elif body == "batch":
        body = {"items": [purchase_body(company)]}
    return getattr(api, method)(path, body) if method != "get" else api.get(path)


@pytest.fixture
def customer(rules):
    return CompanyFactory(external_id="C-1")


@pytest.mark.parametrize(("scope", "method", "path", "body"), OPERATIONS, ids=lambda value: str(value))
def test_a_client_without_the_scope_gets_403_naming_it_and_nothing_changes(client, customer, scope, method, path, body):
    others = [other for other in ApiScope.values if other != scope]
    _api_client, token = api_client_create(name="Partial", source="erp", created_by=None, scopes=others)

    response = _call(JsonApi(client, token), method, path, body, customer)

    assert response.status_code == 403
    assert scope.value in response.json()["detail"]
    assert Purchase.objects.count() == 0
    assert Company.objects.get().name == customer.name


@pytest.mark.parametrize(("scope", "method", "path", "body"), OPERATIONS, ids=lambda value: str(value))
def test_a_client_with_only_that_scope_gets_past_the_check(client, customer, scope, method, path, body):
    _api_client, token = api_client_create(name="Narrow", source="erp", created_by=None, scopes=[scope])

    response = _call(JsonApi(client, token), method, path, body, customer)

    assert response.status_code != 403


def test_a_read_only_client_can_read_points_but_not_post(client, customer):
    _api_client, token = api_client_create(name="BI", source="bi", created_by=None, scopes=[ApiScope.POINTS_READ])
    api = JsonApi(client, token)

    assert api.get("/companies/C-1/balance").status_code == 200
    refused = api.post("/purchases", purchase_body(customer))
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("This API client lacks the permission purchases:write")


@pytest.fixture
def limited(client, customer):
    """A client limited to its companies, given C-1 only."""
    given = CompanyFactory(external_id="GIVEN")
    api_client, token = api_client_create(
        name="Shop", source="shop", created_by=None, all_companies=False, companies=[given]
    )
    return api_client, JsonApi(client, token), given


def test_a_limited_client_uses_the_companies_it_was_given_and_no_other(limited, customer):
    _api_client, api, given = limited

    assert api.get(f"/companies/{given.external_id}/balance").status_code == 200
    assert api.post("/purchases", purchase_body(given, "P-1")).status_code == 201
    for response in (
        api.get("/companies/C-1/balance"),
        api.get("/companies/C-1/ledger"),
        api.post("/purchases", purchase_body(customer, "P-2")),
        api.put("/companies/C-1", COMPANY),
    ):
        assert response.status_code == 403
        assert "C-1 is not one of them" in response.json()["detail"]
    assert list(Purchase.objects.values_list("external_id", flat=True)) == ["P-1"]
    customer.refresh_from_db()
    assert customer.name != COMPANY["name"]


def test_a_company_a_limited_client_creates_becomes_one_of_its_own(limited):
    api_client, api, _given = limited

    assert api.put("/companies/NEW-1", COMPANY).status_code == 201

    assert api_client.companies.filter(external_id="NEW-1").exists()
    assert api.get("/companies/NEW-1/balance").status_code == 200
    assert api.put("/companies/NEW-1", {**COMPANY, "city": "Lund"}).status_code == 200


def test_a_batch_reports_items_for_other_companies_as_forbidden_and_records_the_rest(limited, customer):
    _api_client, api, given = limited

    response = api.post("/purchases/batch", {"items": [purchase_body(given, "B-1"), purchase_body(customer, "B-2")]})

    assert response.status_code == 200
    result = response.json()
    assert [item["status"] for item in result["items"]] == ["created", "forbidden"]
    assert "not one of them" in result["items"][1]["detail"]
    assert result["forbidden"] == 1
    assert list(Purchase.objects.values_list("external_id", flat=True)) == ["B-1"]


def test_a_limited_client_sees_only_its_companies_redemptions(limited, customer):
    _api_client, api, given = limited
    reward = RewardFactory(points_cost=100)
    orders = {}
    for company in (given, customer):
        buyer = MembershipFactory(company=company, role=MembershipRole.PURCHASER)
        give_points(points_account_for_company(company=company), 1000)
        orders[company.external_id] = request_redemption(buyer, reward)

    listed = api.get("/redemptions").json()["items"]

    assert [item["company"] for item in listed] == ["GIVEN"]
    other = orders["C-1"]
    assert api.get(f"/redemptions/{other.pk}").status_code == 404
    assert api.post(f"/redemptions/{other.pk}/fulfil", {}).status_code == 404
    other.refresh_from_db()
    assert other.fulfilled_at is None


def test_the_migration_grants_existing_clients_what_they_could_do_before(django_db_blocker):
    """A client that existed before scopes keeps every permission and every company."""
    from importlib import import_module

    migration = import_module("api.migrations.0002_client_scopes")
    old = ApiClient.objects.create(name="Old ERP", source="erp", token_prefix="abc", secret_hash="x", scopes=[])

    from django.apps import apps

    migration.grant_existing_clients_everything(apps, None)

    old.refresh_from_db()
    assert old.scopes == migration.SCOPES_BEFORE  # every scope there was then
    assert old.all_companies is True


def test_the_admin_sets_a_new_clients_scopes_and_companies(superuser_client, rules):
    given = CompanyFactory(external_id="GIVEN")

    response = superuser_client.post(
        "/admin/api/apiclient/add/",
        {
            "name": "Web shop",
            "source": "shop",
            "scopes": ["purchases:write", "points:read"],
            "companies": [given.pk],
        },
    )

    assert response.status_code == 200
    created = ApiClient.objects.get(name="Web shop")
    assert created.scopes == ["purchases:write", "points:read"]
    assert created.all_companies is False
    assert list(created.companies.all()) == [given]
    token = response.context["token"]
    assert JsonApi(superuser_client, token).get("/redemptions").status_code == 403


def test_the_admin_changes_an_existing_clients_scopes(superuser_client, api_client_and_token):
    api_client, token = api_client_and_token

    superuser_client.post(
        f"/admin/api/apiclient/{api_client.pk}/change/",
        {"name": api_client.name, "scopes": ["redemptions:read"], "all_companies": "on"},
    )

    api_client.refresh_from_db()
    assert api_client.scopes == ["redemptions:read"]
