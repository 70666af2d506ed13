"""An API write that cannot get a row lock within LOCK_WAIT_SECONDS (a long import holds the
company's points account) answers 503 with Retry-After and saves nothing, instead of
holding a web worker until gunicorn kills it. Real threads on PostgreSQL."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from api.services import api_client_create
from rewards.ledger.services import points_account_for_company
from rewards.models import LedgerEntry, ProgrammeRules, Purchase
from tests.concurrency import AccountLockHolder
from tests.factories import CompanyFactory

from .conftest import JsonApi, purchase_body

BOUND = 2  # seconds


@pytest.fixture
def setup(require_postgres, settings):
    settings.LOCK_WAIT_SECONDS = BOUND
    ProgrammeRules.current()
    company = CompanyFactory(external_id="C-1")
    points_account_for_company(company=company)
    _client, token = api_client_create(name="ERP", source="erp", created_by=None)
    return company, JsonApi(Client(), token)


@pytest.mark.django_db(transaction=True)
def test_a_purchase_for_a_locked_account_answers_503_within_the_bound_and_saves_nothing(setup):
    company, api = setup

    with AccountLockHolder(company):
        started = time.monotonic()
        response = api.post("/purchases", purchase_body(company, "P-1"))
        waited = time.monotonic() - started

    assert response.status_code == 503
    assert response["Retry-After"] == str(BOUND)
    assert "nothing was saved" in response.json()["detail"]
    assert BOUND - 0.5 <= waited < BOUND + 2
    assert Purchase.objects.count() == 0
    assert LedgerEntry.objects.count() == 0
    # Once the lock is gone the same post goes through.
    assert api.post("/purchases", purchase_body(company, "P-1")).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_a_batch_reports_the_locked_companys_items_unavailable_and_records_the_others(setup):
    company, api = setup
    free = CompanyFactory(external_id="C-2")

    with AccountLockHolder(company):
        response = api.post("/purchases/batch", {"items": [purchase_body(free, "B-1"), purchase_body(company, "B-2")]})

    assert response.status_code == 200
    assert [item["status"] for item in response.json()["items"]] == ["created", "unavailable"]
    assert response["Retry-After"] == str(BOUND)
    assert list(Purchase.objects.values_list("external_id", flat=True)) == ["B-1"]
