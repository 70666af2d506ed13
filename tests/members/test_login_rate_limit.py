"""Login rate limits (settings.ACCOUNT_RATE_LIMITS): guessing passwords stops working.

allauth applies two limits to POST /accounts/login/: ``login_failed`` ("10/m/ip,5/5m/key")
refuses further attempts for an address once it has failed five times, with a message on
the form; ``login`` (30/m/ip) answers every further POST from the address with HTTP 429.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many failed login attempts"


def _login(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_the_configured_failed_login_limit_is_five_per_address():
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"] == "10/m/ip,5/5m/key"


def test_given_five_failed_logins_for_an_address_when_trying_again_then_even_the_right_password_is_refused(
    client, cleared_cache, password
):
    person = MembershipFactory().user
    for attempt in range(5):
        response = _login(client, person.email, f"wrong-guess-{attempt}")
        assert response.status_code == 200
        assert TOO_MANY not in response.content.decode()

    blocked = _login(client, person.email, password)

    assert blocked.status_code == 200
    assert TOO_MANY in blocked.content.decode()
    assert "_auth_user_id" not in client.session


def test_given_an_address_is_blocked_when_a_colleague_logs_in_then_they_are_not_affected(
    client, cleared_cache, password
):
    blocked_person, colleague = MembershipFactory().user, MembershipFactory().user
    for attempt in range(6):
        _login(client, blocked_person.email, f"wrong-guess-{attempt}")

    response = _login(client, colleague.email, password)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(colleague.pk)


def test_given_repeated_failed_logins_when_the_limit_is_exceeded_then_http_429(client, cleared_cache):
    person = MembershipFactory().user
    statuses = [_login(client, person.email, f"wrong-guess-{attempt}").status_code for attempt in range(30)]

    response = _login(client, person.email, "one-more-guess")

    assert set(statuses) == {200}
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_given_a_cleared_cache_when_logging_in_then_the_limit_starts_again(client, cleared_cache, password):
    person = MembershipFactory().user
    for attempt in range(6):
        _login(client, person.email, f"wrong-guess-{attempt}")

    cleared_cache.clear()
    response = _login(client, person.email, password)

    assert response.status_code == 302
