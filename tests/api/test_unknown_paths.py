"""Every answer under /api/v1/ is JSON with `detail`, also for a path no endpoint has (404,
never a slash redirect, an HTML page or a 500) and a method a path does not take (405)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/purchase"),
        ("put", "/api/v1/companies/a/b"),
        ("get", "/api/v1/nope"),
        ("post", "/api/v1/purchases/"),
        ("get", "/api/v1/companies/a%2Fb/balance"),
        ("put", "/api/v1/companies/a%2Fb"),
    ],
)
def test_an_unknown_path_is_a_json_404(client, api, debug, method, path):
    headers = {"Authorization": f"Bearer {api.token}"}
    if method == "get":
        response = client.get(path, headers=headers)
    else:
        response = getattr(client, method)(path, "{}", content_type="application/json", headers=headers)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith(f"No such endpoint: {method.upper()} ")
    assert "/api/v1/docs" in response.json()["detail"]


def test_real_endpoints_still_answer(api, company):
    assert api.get("/ping").status_code == 200
    assert api.get(f"/companies/{company.external_id}/balance").status_code == 200


def test_a_method_the_path_does_not_take_is_a_json_405(client, api):
    response = client.delete("/api/v1/ping", headers={"Authorization": f"Bearer {api.token}"})

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert "GET" in response["Allow"]
    assert "DELETE" in response.json()["detail"]
