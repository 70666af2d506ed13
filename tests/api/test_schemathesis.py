"""The OpenAPI document is the contract: schemathesis generates requests for every operation
from it (valid and invalid ones) and sends them to the app in-process (WSGI, no server)
with a real token. The build fails on any 5xx, an undocumented status, a body that does not
match the documented schema, or a wrong content type.

Kept fast for CI: a fixed number of examples per operation, derandomized (the same
requests every run, so a failure reproduces).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.services import api_client_create
from clubportal.wsgi import application
from rewards.ledger.services import points_account_for_company
from rewards.models import ProgrammeRules
from tests.factories import CompanyFactory, MembershipFactory
from tests.rewards.factories import RewardFactory
from tests.rewards.helpers import give_points, request_redemption

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]


# Loaded from the app itself, as an integrator would: GET /api/v1/openapi.json (public).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def bearer(db):
    """A real client's token with every scope, and something to find: a company with points
    and an order (most generated ids still miss, which exercises the 404s).

    Requests go through Django's real WSGI handler, which closes the database connection at
    the end of each request; inside the test's transaction that must not happen (Django's
    own test client disconnects the same signals)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    ProgrammeRules.current()
    company = CompanyFactory(external_id="0")
    buyer = MembershipFactory(company=company)
    give_points(points_account_for_company(company=company), 10_000)
    request_redemption(buyer, RewardFactory(points_cost=100))
    _client, token = api_client_create(name="Schemathesis", source="fuzz", created_by=None)
    yield {"Authorization": f"Bearer {token}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)
