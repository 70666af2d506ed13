"""Fixtures for the integration API tests: a client with a token, and JSON helpers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from api.services import api_client_create
from rewards.models import ProgrammeRules
from tests.factories import StaffFactory


class JsonApi:
    """Django's test client speaking JSON to /api/v1/ with a bearer token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self._headers())

    def post(self, path: str, body):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.post(f"/api/v1{path}", data, content_type="application/json", headers=self._headers())

    def put(self, path: str, body):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.put(f"/api/v1{path}", data, content_type="application/json", headers=self._headers())


@pytest.fixture
def rules(db) -> ProgrammeRules:
    """The default programme: 1 point per SEK, 14-day return window, 24-month expiry."""
    return ProgrammeRules.current()


@pytest.fixture
def api_client_and_token(db):
    return api_client_create(name="ERP", source="erp", created_by=None)


@pytest.fixture
def token(api_client_and_token) -> str:
    return api_client_and_token[1]


@pytest.fixture
def api(client, token, rules) -> JsonApi:
    return JsonApi(client, token)


@pytest.fixture
def superuser_client(client, settings, db):
    settings.STAFF_MFA_REQUIRED = False  # MFA for staff is tested in tests/members
    client.force_login(StaffFactory(is_superuser=True))
    return client


@pytest.fixture
def anonymous_api(client, rules) -> JsonApi:
    return JsonApi(client, None)


# Within the return window, so earned points stay pending; fixed so retries send the same body.
YESTERDAY = (timezone.now() - timedelta(days=1)).replace(microsecond=0)


def purchase_body(of_company, external_id: str = "ORDER-1", **overrides) -> dict:
    body = {
        "external_id": external_id,
        "company": of_company.external_id,
        "occurred_at": YESTERDAY.isoformat(),
        "net_amount": "1000.00",
        "currency": "SEK",
        "lines": [],
    }
    body.update(overrides)
    return body
