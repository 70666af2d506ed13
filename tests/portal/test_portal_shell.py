"""The portal shell: branded error pages, the brand stylesheet, CSP, sessions and language."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from core.models import Branding
from tests.mfa import login_with_totp

pytestmark = pytest.mark.django_db

CLUB_NAME = "Nordbygg Partnerklubb"


@pytest.fixture
def branding(portal_site):
    branding = Branding.for_site(portal_site)
    branding.club_name = CLUB_NAME
    branding.save()
    return branding


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


# --- Error pages ---------------------------------------------------------------------------


def test_given_an_unknown_url_when_opened_then_branded_404(client, branding):
    response = client.get("/no-such-page/at-all/")

    assert response.status_code == 404
    page = response.content.decode()
    assert CLUB_NAME in page
    assert "We could not find that page" in page


def test_given_a_viewer_when_opening_an_admin_page_then_branded_403(client, branding, viewer):
    client.force_login(viewer)

    response = client.get(reverse("members:invite"))

    assert response.status_code == 403
    page = response.content.decode()
    assert CLUB_NAME in page
    assert "You do not have access to this page" in page


def test_given_a_sales_rep_when_opening_the_cms_then_the_403_says_to_ask_a_club_admin(client, branding, rep, settings):
    settings.STAFF_MFA_REQUIRED = False  # MFA for staff is tested in tests/members/test_staff_mfa.py
    client.force_login(rep)

    response = client.get("/cms/", follow=True)  # Wagtail sends who may not use it to its login

    assert response.status_code == 403
    page = response.content.decode()
    assert "You do not have access to this page" in page
    assert "ask a club admin for access" in page
    assert "your sales rep" not in page and "your company's admin" not in page


def test_given_a_member_or_a_visitor_then_the_403_says_to_ask_the_company_admin_or_the_sales_rep(
    client, branding, viewer, rf
):
    from django.contrib.auth.models import AnonymousUser

    from portal.views import permission_denied

    client.force_login(viewer)
    member_page = client.get(reverse("members:invite")).content.decode()
    request = rf.get("/somewhere/")
    request.user, request.membership = AnonymousUser(), None
    visitor_page = permission_denied(request).content.decode()

    for page in (member_page, visitor_page):
        assert "ask your company's admin or your sales rep" in page
        assert "club admin" not in page


def test_given_a_form_without_csrf_token_when_posted_then_branded_csrf_page(branding, purchaser):
    client = Client(enforce_csrf_checks=True)
    client.force_login(purchaser)

    response = client.post(reverse("members:set_language"), {"language": "sv", "next": "/dashboard/"})

    assert response.status_code == 403
    page = response.content.decode()
    assert CLUB_NAME in page
    assert "Your form expired" in page
    purchaser.refresh_from_db()
    assert purchaser.language == "en"  # unchanged


# --- Branding --------------------------------------------------------------------------------


def test_given_a_new_primary_colour_when_fetching_brand_css_then_it_is_used(client, branding):
    before = client.get("/brand.css")
    branding.primary_colour = "#1d4d2b"
    branding.save()

    after = client.get("/brand.css")

    assert before.status_code == after.status_code == 200
    assert after["Content-Type"].startswith("text/css")
    assert "--brand-primary: #0b5394;" in before.content.decode()
    css = after.content.decode()
    assert "--brand-primary: #1d4d2b;" in css
    assert "--brand-primary-rgb: 29, 77, 43;" in css
    assert "--brand-on-primary: #ffffff;" in css
    assert before["ETag"] != after["ETag"]


def test_given_a_light_primary_colour_when_cleaning_branding_then_refused_with_contrast_message(branding):
    branding.primary_colour = "#ffdd00"

    with pytest.raises(ValidationError) as error:
        branding.clean()

    message = error.value.message_dict["primary_colour"][0]
    assert "contrasts only" in message
    assert "4.5:1" in message


def test_given_a_dark_primary_colour_when_cleaning_branding_then_accepted(branding):
    branding.primary_colour = "#0b5394"

    branding.clean()


# --- Content Security Policy ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/dashboard/", "/company/", "/profile/"])
def test_given_a_portal_page_then_strict_csp_without_inline_scripts(client, branding, purchaser, path):
    client.force_login(purchaser)

    response = client.get(path)

    assert response.status_code == 200
    csp = _csp(response)
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["object-src"] == ["'none'"]


def test_given_the_login_page_then_strict_csp(client, branding):
    csp = _csp(client.get(reverse("account_login")))

    assert "'unsafe-inline'" not in csp["script-src"]


@pytest.mark.parametrize("path", ["/admin/", "/cms/"])
def test_given_the_admins_then_csp_allows_their_inline_scripts_and_styles(client, branding, club_admin, path):
    login_with_totp(client, club_admin)

    response = client.get(path)

    assert response.status_code == 200
    csp = _csp(response)
    assert "'unsafe-inline'" in csp["script-src"]
    assert "'unsafe-inline'" in csp["style-src"]
    assert "'self'" in csp["script-src"]


# --- Sessions and language ---------------------------------------------------------------------


def test_given_a_login_with_remember_me_then_the_session_cookie_lasts_the_idle_timeout(
    client, branding, purchaser, password, cleared_cache
):
    response = client.post(reverse("account_login"), {"login": purchaser.email, "password": password, "remember": "on"})

    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_given_a_login_without_remember_me_then_the_cookie_ends_with_the_browser_and_the_session_when_idle(
    client, branding, purchaser, password, cleared_cache
):
    response = client.post(reverse("account_login"), {"login": purchaser.email, "password": password})

    assert response.status_code == 302
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""
    assert client.session.get_expiry_age() == settings.SESSION_IDLE_TIMEOUT_MINUTES * 60


def test_given_an_open_session_when_browsing_then_its_end_moves_forward(client, branding, purchaser):
    client.force_login(purchaser)

    response = client.get(reverse("dashboard"))

    assert int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == settings.SESSION_IDLE_TIMEOUT_MINUTES * 60


def test_given_a_member_when_switching_to_swedish_then_profile_keeps_it_and_pages_are_swedish(
    client, branding, purchaser
):
    client.force_login(purchaser)
    assert client.get(reverse("dashboard"))["Content-Language"] == "en"

    response = client.post(reverse("members:set_language"), {"language": "sv", "next": "/dashboard/"})

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    purchaser.refresh_from_db()
    assert purchaser.language == "sv"
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)  # the profile alone decides
    page = client.get(reverse("dashboard"))
    assert page["Content-Language"] == "sv"
    assert '<html lang="sv">' in page.content.decode()


def test_given_a_visitor_when_switching_language_then_only_the_cookie_changes(client, branding):
    response = client.post(reverse("members:set_language"), {"language": "sv", "next": "/accounts/login/"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sv"
    assert client.get(reverse("account_login"))["Content-Language"] == "sv"


def test_given_an_unknown_language_when_switching_then_profile_unchanged(client, branding, purchaser):
    client.force_login(purchaser)

    client.post(reverse("members:set_language"), {"language": "de", "next": "/dashboard/"})

    purchaser.refresh_from_db()
    assert purchaser.language == "en"  # the factory's choice, untouched
