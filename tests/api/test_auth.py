"""Tokens: created in the admin and shown once, stored hashed, checked on every call."""

from __future__ import annotations

import hashlib

import pytest

from api.models import ApiClient
from api.services import api_client_authenticate, api_client_create, api_client_revoke

from .conftest import JsonApi

PROTECTED = [
    ("get", "/ping", None),
    ("get", "/companies/EXT-0/balance", None),
    ("get", "/companies/EXT-0/ledger", None),
    ("put", "/companies/EXT-0", {"name": "X", "country": "SE", "org_number": "556016-0680"}),
    ("post", "/purchases", {}),
    ("post", "/purchases/batch", {"items": [{}]}),
]


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer nonsense", "Token cp_abc_def", "Bearer cp_000000000000_wrong"],
)
def test_every_endpoint_refuses_a_call_without_a_valid_token(client, rules, company, method, path, body, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    kwargs = {"content_type": "application/json", "data": "{}"} if body is not None else {}

    response = getattr(client, method)(f"/api/v1{path}", headers=headers, **kwargs)

    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_a_revoked_token_stops_working_at_once(api, api_client_and_token):
    given_client, _token = api_client_and_token
    assert api.get("/ping").status_code == 200

    api_client_revoke(client=given_client)

    assert api.get("/ping").status_code == 401


def test_a_right_prefix_with_a_wrong_secret_is_refused(client, rules, api_client_and_token):
    given_client, token = api_client_and_token
    forged = f"cp_{given_client.token_prefix}_{'A' * 43}"

    assert JsonApi(client, forged).get("/ping").status_code == 401
    assert JsonApi(client, token).get("/ping").json() == {
        "client": "ERP",
        "source": "erp",
        "scopes": [
            "companies:write",
            "purchases:write",
            "points:read",
            "redemptions:read",
            "redemptions:write",
            "invoice_credits:read",
            "invoice_credits:write",
            "webhooks:manage",
        ],
    }


def test_the_token_is_stored_only_as_a_hash(db):
    client, token = api_client_create(name="Shop", source="shop", created_by=None)

    _scheme, prefix, secret = token.split("_")
    stored = ApiClient.objects.get(pk=client.pk)
    assert stored.token_prefix == prefix
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiClient.objects.filter(pk=client.pk).values().get())


def test_using_a_token_records_when_it_was_last_used(api, api_client_and_token):
    given_client, token = api_client_and_token
    assert given_client.last_used_at is None

    api.get("/ping")

    given_client.refresh_from_db()
    assert given_client.last_used_at is not None
    assert api_client_authenticate(token=token) == given_client


def test_the_admin_shows_a_new_token_once_and_it_works(superuser_client, rules):
    response = superuser_client.post("/admin/api/apiclient/add/", {"name": "Web shop", "source": "shop"})

    assert response.status_code == 200
    created = ApiClient.objects.get(name="Web shop")
    token = response.context["token"]
    assert token.startswith(f"cp_{created.token_prefix}_")
    assert token in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert created.created_by is not None
    # ... and never again: not on the change page, not in the list.
    change = superuser_client.get(f"/admin/api/apiclient/{created.pk}/change/")
    listing = superuser_client.get("/admin/api/apiclient/")
    assert token.split("_")[2] not in change.content.decode() + listing.content.decode()
    assert JsonApi(superuser_client, token).get("/ping").status_code == 200


def test_the_admin_revoke_action_revokes(superuser_client, api_client_and_token):
    given_client, token = api_client_and_token

    superuser_client.post(
        "/admin/api/apiclient/", {"action": "revoke", "_selected_action": [given_client.pk]}, follow=True
    )

    given_client.refresh_from_db()
    assert given_client.revoked_at is not None
    assert api_client_authenticate(token=token) is None


def test_a_logged_in_member_reads_nothing_through_the_api_without_a_token(member_client, company, rules):
    """The API does not accept the portal's session: a member's browser cannot read any
    company's data through it, not even their own."""
    for path in (f"/companies/{company.external_id}/balance", f"/companies/{company.external_id}/ledger", "/ping"):
        response = member_client.get(f"/api/v1{path}")
        assert response.status_code == 401, path


def test_the_openapi_document_and_docs_page_are_served_without_a_token(client, db):
    schema = client.get("/api/v1/openapi.json")
    docs = client.get("/api/v1/docs")

    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/purchases", "/api/v1/purchases/batch", "/api/v1/companies/{external_id}"} <= set(paths)
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower()
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in html
    assert "script-src 'self'" in docs["Content-Security-Policy"]
    asset = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert client.get("/api/v1/docs/assets/..%2Fmain.py").status_code == 404


def test_the_docs_page_carries_the_integrators_guide(client, db):
    """docs/integration.md is the document's description: /api/v1/docs shows it above the
    operations (Swagger UI renders it), so the page and the repository say the same."""
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs" / "integration.md").read_text(encoding="utf-8")
    description = client.get("/api/v1/openapi.json").json()["info"]["description"]

    for heading in ("## Authentication and scopes", "## Idempotency", "## Errors", "## Pagination", "## Limits"):
        assert heading in description
    assert "### Verifying" in description and "webhook.verify(request.body" in description
    assert "## File formats" in description
    assert description in guide


def test_the_document_has_no_duplicate_keys(client, db):
    """Swagger UI refuses a document with a key twice (e.g. a status as 200 and "200")."""
    import json

    duplicates = []

    def pairs(items):
        keys = [key for key, _value in items]
        duplicates.extend({key for key in keys if keys.count(key) > 1})
        return dict(items)

    json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=pairs)
    assert duplicates == []
