"""The order of the checks: a client that may not call an operation (a scope it lacks, a
record of a company it may not use) is told so before its body is looked at — never a 415
or a 422 that describes the body the operation takes."""

from __future__ import annotations

import pytest

from api.models import ApiScope
from api.services import api_client_create
from members.models import Company, MembershipRole
from rewards.ledger.services import points_account_for_company
from tests.factories import CompanyFactory, MembershipFactory
from tests.rewards.factories import RewardFactory
from tests.rewards.helpers import give_points, request_redemption

pytestmark = pytest.mark.django_db

# (scope, method, path): the operations with a JSON body.
WITH_BODY = [
    (ApiScope.COMPANIES_WRITE, "put", "/companies/C-1"),
    (ApiScope.PURCHASES_WRITE, "post", "/purchases"),
    (ApiScope.PURCHASES_WRITE, "post", "/purchases/batch"),
    (ApiScope.REDEMPTIONS_WRITE, "post", "/redemptions/1/fulfil"),
    (ApiScope.INVOICE_CREDITS_WRITE, "post", "/invoice-credits/1/apply"),
    (ApiScope.WEBHOOKS, "post", "/webhooks/endpoints"),
    (ApiScope.WEBHOOKS, "patch", "/webhooks/endpoints/1"),
]


def _send(client, token: str, method: str, path: str, body: str, content_type: str):
    return getattr(client, method)(
        f"/api/v1{path}", body, content_type=content_type, headers={"Authorization": f"Bearer {token}"}
    )


@pytest.mark.parametrize(("scope", "method", "path"), WITH_BODY, ids=lambda value: str(value))
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"name": 7, "lines": "nope", "items": 0, "invoice_reference": 1, "events": 3}', "application/json"),
        ("{not json", "application/json"),
        ('{"a": 1, "a": 2}', "application/json"),
        ("name=Acme", "application/x-www-form-urlencoded"),
    ],
    ids=["invalid fields", "not json", "repeated key", "a form"],
)
def test_a_client_without_the_scope_gets_403_whatever_body_it_sent(
    client, rules, scope, method, path, body, content_type
):
    others = [other for other in ApiScope.values if other != scope]
    _api_client, token = api_client_create(name="Partial", source="erp", created_by=None, scopes=others)

    response = _send(client, token, method, path, body, content_type)

    assert response.status_code == 403
    assert scope.value in response.json()["detail"]


def test_a_limited_client_gets_403_for_another_companys_record_whatever_body_it_sent(client, rules):
    CompanyFactory(external_id="C-1", name="Not yours AB")
    given = CompanyFactory(external_id="GIVEN")
    _api_client, token = api_client_create(
        name="Shop", source="shop", created_by=None, all_companies=False, companies=[given]
    )

    invalid = _send(client, token, "put", "/companies/C-1", '{"name": ""}', "application/json")
    form = _send(client, token, "put", "/companies/C-1", "name=x", "text/plain")
    own = _send(client, token, "put", "/companies/GIVEN", '{"name": ""}', "application/json")

    assert (invalid.status_code, form.status_code) == (403, 403)
    assert "C-1 is not one of them" in invalid.json()["detail"]
    assert own.status_code == 422  # its own company: the body is checked
    assert Company.objects.get(external_id="C-1").name == "Not yours AB"


def test_a_limited_client_gets_404_for_another_companys_order_whatever_body_it_sent(client, rules):
    other = CompanyFactory(external_id="C-1")
    given = CompanyFactory(external_id="GIVEN")
    buyer = MembershipFactory(company=other, role=MembershipRole.PURCHASER)
    give_points(points_account_for_company(company=other), 1000)
    order = request_redemption(buyer, RewardFactory(points_cost=100))
    _api_client, token = api_client_create(
        name="Shop", source="shop", created_by=None, all_companies=False, companies=[given]
    )

    response = _send(client, token, "post", f"/redemptions/{order.pk}/fulfil", '{"note": 5}', "application/json")

    assert response.status_code == 404
    order.refresh_from_db()
    assert order.fulfilled_at is None


def test_an_invalid_path_is_still_a_422_naming_the_path(api):
    response = api.post("/redemptions/0/fulfil", {"note": 5})

    assert response.status_code == 422
    assert ["path", "redemption_id"] in [item["loc"] for item in response.json()["detail"]]
