"""allauth's messages at login and logout are in the language of the page that shows them:
after a login the person's own (profile, else company country), after a logout the browser's.

allauth adds them while the request still belongs to the other one (the login POST is still
anonymous; the logout POST is still the person's), so the adapter renders them late."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from members.models import Country
from tests.factories import CompanyFactory, MembershipFactory, StaffFactory, UserFactory
from tests.mfa import activate_totp, current_code

pytestmark = pytest.mark.django_db


def _logged_in_text(person, language: str) -> str:
    with translation.override(language):
        return translation.gettext("Successfully signed in as %(name)s.") % {"name": person.get_full_name()}


def _logged_out_text(language: str) -> str:
    with translation.override(language):
        return translation.gettext("You have signed out.")


def _login(client, person, password, **headers):
    response = client.post(reverse("account_login"), {"login": person.email, "password": password}, headers=headers)
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.session["_auth_user_id"] == str(person.pk)
    return response


def _stored_messages(response) -> list[str]:
    return [message.message for message in get_messages(response.wsgi_request)]


@pytest.fixture
def swede(db):
    """A member of a Swedish company who never chose a language."""
    return MembershipFactory(company=CompanyFactory(country=Country.SWEDEN), user=UserFactory(language="")).user


@pytest.fixture
def dutch_member(db):
    return MembershipFactory(
        company=CompanyFactory(name="Van Dijk B.V.", country=Country.NETHERLANDS, org_number="12345678"),
        user=UserFactory(language=""),
    ).user


@pytest.mark.parametrize("browser", [None, "en"])
def test_given_an_english_or_no_browser_language_when_a_swede_logs_in_then_the_banner_is_swedish(
    client, cleared_cache, password, swede, browser
):
    headers = {"accept-language": browser} if browser else {}

    response = _login(client, swede, password, **headers)

    assert _logged_in_text(swede, "sv") != _logged_in_text(swede, "en")
    assert _stored_messages(response) == [_logged_in_text(swede, "sv")]


def test_given_a_swedish_browser_when_a_dutch_member_logs_in_then_the_banner_is_dutch(
    client, cleared_cache, password, dutch_member
):
    response = _login(client, dutch_member, password, **{"accept-language": "sv"})

    assert _stored_messages(response) == [_logged_in_text(dutch_member, "nl")]


def test_the_profile_language_decides_the_banner_over_the_company_country(client, cleared_cache, password):
    person = MembershipFactory(company=CompanyFactory(country=Country.SWEDEN), user=UserFactory(language="nl")).user

    response = _login(client, person, password, **{"accept-language": "en"})

    assert _stored_messages(response) == [_logged_in_text(person, "nl")]


def test_when_a_swede_logs_out_on_an_english_browser_then_the_message_is_english_like_the_page(
    client, cleared_cache, password, swede
):
    _login(client, swede, password, **{"accept-language": "en"})

    response = client.post(reverse("account_logout"), headers={"accept-language": "en"})

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert _logged_out_text("sv") != _logged_out_text("en")
    shown = _stored_messages(response)
    assert _logged_out_text("en") in shown
    assert _logged_out_text("sv") not in shown
    login_page = client.get(response["Location"], headers={"accept-language": "en"})
    assert login_page["Content-Language"] == "en"


def test_given_staff_with_a_second_factor_when_the_code_completes_the_login_then_the_banner_is_in_their_language(
    client, cleared_cache, password
):
    staff = StaffFactory(language="nl")
    secret = activate_totp(staff)
    swedish_browser = {"accept-language": "sv"}

    first = client.post(reverse("account_login"), {"login": staff.email, "password": password}, headers=swedish_browser)
    assert first.status_code == 302 and first["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)}, headers=swedish_browser)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert _stored_messages(response) == [_logged_in_text(staff, "nl")]
