"""A 409 never shows a purchase of a company the client may not use, and always names the
stored purchase's own company."""

from __future__ import annotations

import pytest

from api.services import api_client_create
from tests.factories import CompanyFactory

from .conftest import JsonApi, purchase_body

pytestmark = pytest.mark.django_db

GENERIC = "This external id is already recorded for a company this client cannot use."


@pytest.fixture
def setup(client, rules):
    mine = CompanyFactory(external_id="ERP-1000")
    other = CompanyFactory(external_id="ERP-1001")
    _full, full_token = api_client_create(name="ERP", source="erp", created_by=None)
    _limited, limited_token = api_client_create(
        name="Limited shop", source="erp", created_by=None, all_companies=False, companies=[mine]
    )
    full = JsonApi(client, full_token)
    assert full.post("/purchases", purchase_body(other, "E405", net_amount="5.00")).status_code == 201
    return mine, other, full, JsonApi(client, limited_token)


def test_a_limited_client_gets_a_bare_409_for_another_companys_purchase(setup):
    mine, _other, _full, limited = setup

    response = limited.post("/purchases", purchase_body(mine, "E405", net_amount="7.00"))

    assert response.status_code == 409
    assert response.json() == {"detail": GENERIC}


def test_a_limited_client_batch_conflict_hides_another_companys_purchase(setup):
    mine, _other, _full, limited = setup

    response = limited.post("/purchases/batch", {"items": [purchase_body(mine, "E405", net_amount="7.00")]})

    assert response.status_code == 200
    item = response.json()["items"][0]
    assert item["status"] == "conflict"
    assert item["detail"] == GENERIC
    assert item.get("purchase") is None
    assert "5.00" not in response.content.decode() and "ERP-1001" not in response.content.decode()


@pytest.mark.parametrize("batch", [False, True])
def test_a_conflict_names_the_stored_purchases_own_company(setup, batch):
    mine, _other, full, _limited = setup

    body = purchase_body(mine, "E405", net_amount="7.00")
    if batch:
        response = full.post("/purchases/batch", {"items": [body]})
        assert response.status_code == 200
        conflict = response.json()["items"][0]
        assert conflict["status"] == "conflict"
    else:
        response = full.post("/purchases", body)
        assert response.status_code == 409
        conflict = response.json()
        assert "company" in conflict["fields"]
    assert conflict["purchase"]["company"] == "ERP-1001"
    assert conflict["purchase"]["net_amount"] == "5.00"
