"""PUT /companies/{external_id}: create or update a company from the ERP."""

from __future__ import annotations

import json

from api.services import api_client_create
from members.models import Company
from tests.factories import CompanyFactory

from .conftest import JsonApi

BODY = {
    "name": "Byggvaror Norr AB",
    "country": "SE",
    "org_number": "5560160680",
    "street_address": "Storgatan 1",
    "postal_code": "111 22",
    "city": "Stockholm",
}


def test_a_new_company_is_created_with_a_normalised_org_number(api):
    response = api.put("/companies/C-100", BODY)

    assert response.status_code == 201
    assert response.json()["org_number"] == "556016-0680"
    company = Company.objects.get(external_id="C-100")
    assert (company.name, company.city, company.is_active) == ("Byggvaror Norr AB", "Stockholm", True)


def test_sending_the_same_company_again_changes_nothing(api):
    first = api.put("/companies/C-100", BODY)

    again = api.put("/companies/C-100", BODY)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert Company.objects.filter(external_id="C-100").count() == 1


def test_a_changed_company_is_updated(api):
    api.put("/companies/C-100", BODY)

    response = api.put("/companies/C-100", {**BODY, "name": "Byggvaror Norr & Söner AB", "city": "Luleå"})

    assert response.status_code == 200
    company = Company.objects.get(external_id="C-100")
    assert (company.name, company.city) == ("Byggvaror Norr & Söner AB", "Luleå")


def test_a_dutch_company_needs_a_kvk_number(api):
    bad = api.put("/companies/C-200", {**BODY, "country": "NL", "org_number": "1234"})
    good = api.put("/companies/C-200", {**BODY, "country": "NL", "org_number": "12345678"})

    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "org_number"]
    assert "eight digits" in bad.json()["detail"][0]["msg"]
    assert good.status_code == 201


def test_field_errors_are_reported_per_field_and_nothing_is_saved(api):
    response = api.put("/companies/C-300", {"name": "", "country": "DE", "org_number": "556016-0681"})

    assert response.status_code == 422
    fields = {tuple(item["loc"]) for item in response.json()["detail"]}
    assert {("body", "name"), ("body", "country")} <= fields
    assert not Company.objects.filter(external_id="C-300").exists()


def test_a_wrong_swedish_check_digit_is_refused(api):
    response = api.put("/companies/C-300", {**BODY, "org_number": "556016-0681"})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "org_number"],
            "msg": "This Swedish organisation number has a wrong check digit.",
            "type": "value_error",
        }
    ]


def test_another_companys_org_number_is_refused(api):
    other = CompanyFactory()

    response = api.put("/companies/C-400", {**BODY, "org_number": other.org_number})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "org_number"]
    assert not Company.objects.filter(external_id="C-400").exists()


def test_a_new_country_keeps_the_currency_a_company_without_one_of_its_own_buys_in(api):
    """The API sends no currency, and a new country does not switch one: a row stored without
    a currency (bulk-created) buys in its country's, and keeps buying in it when the ERP moves
    the company. A change of currency is the club's, in the admin, which first checks the open
    orders of money it would strand (tests/members/test_company_currency_change.py)."""
    api.put("/companies/C-500", BODY)
    Company.objects.filter(external_id="C-500").update(currency="")  # as bulk_create leaves it
    assert Company.objects.get(external_id="C-500").purchase_currency == "SEK"

    response = api.put("/companies/C-500", {**BODY, "country": "NL", "org_number": "12345678", "city": "Utrecht"})

    assert response.status_code == 200
    company = Company.objects.get(external_id="C-500")
    assert (company.country, company.currency, company.purchase_currency) == ("NL", "SEK", "SEK")


def test_a_limited_client_reusing_another_companys_org_number_learns_nothing_of_that_company(client, rules):
    """Given a company outside a limited client's companies, when the client creates or updates
    a company with that company's org number, then the refusal names neither the company nor
    its id, and nothing changes."""
    CompanyFactory(external_id="SECRET-7", name="Hemliga Bolaget AB", country="SE", org_number="556016-0680")
    _client, token = api_client_create(name="Shop", source="shop", created_by=None, all_companies=False)
    limited = JsonApi(client, token)
    assert limited.put("/companies/MINE", {**BODY, "org_number": "556036-0793"}).status_code == 201

    created = limited.put("/companies/NEW", BODY)
    updated = limited.put("/companies/MINE", BODY)

    for response in (created, updated):
        assert response.status_code == 422
        text = response.content.decode()
        assert "SECRET-7" not in text and "Hemliga" not in text
        assert str(Company.objects.get(external_id="SECRET-7").pk) not in json.loads(text)["detail"][0]["msg"]
        assert response.json()["detail"][0]["loc"] == ["body", "org_number"]
    assert not Company.objects.filter(external_id="NEW").exists()
    assert Company.objects.get(external_id="MINE").org_number == "556036-0793"
