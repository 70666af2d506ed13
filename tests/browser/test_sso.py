"""Signing in with the company's own account, in Chromium, against a real OpenID provider
(panva's oidc-provider on loopback: tests/oidc.py): discovery, the code flow with PKCE, the
ID token checked by allauth, and the logout that ends the provider's session too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.oidc import CLIENT_ID, CLIENT_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOT_LOOPBACK = re.compile(r"^https?://(?!127\.0\.0\.1|localhost)")


@pytest.fixture
def acme(demo_club, oidc_providers_live):
    from members.models import IdentityProvider, IdentityProviderDomain, MembershipRole
    from members.sso import seal_secret
    from tests.factories import CompanyFactory, MembershipFactory

    company = CompanyFactory(name="Acme Verkstad AB")
    provider = IdentityProvider.objects.create(
        company=company,
        name="Acme (Microsoft)",
        slug="acme",
        issuer=oidc_providers_live.issuers["acme"],
        client_id=CLIENT_ID,
        client_secret_sealed=seal_secret(CLIENT_SECRET),
    )
    IdentityProviderDomain.objects.create(provider=provider, domain="acme.test")
    MembershipFactory(
        company=company, role=MembershipRole.PURCHASER, user__email="karin@acme.test", user__first_name="Karin"
    )
    return provider


def _offline(page: Page) -> Page:
    # The provider's development pages link a web font; nothing leaves the machine.
    page.route(NOT_LOOPBACK, lambda route: route.abort())
    return page


def test_a_member_signs_in_with_the_company_account_and_logs_out_of_both(
    acme, live_server, page: Page, screenshots_dir
):
    _offline(page)
    issuer = acme.issuer

    # given the login page, which asks for the address first
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_label("Password")).to_have_count(0)

    # when Karin types her Acme address
    page.get_by_label("Email").fill("karin@acme.test")
    page.get_by_role("button", name="Continue").click()

    # then she is at Acme's provider (discovery found its authorization endpoint; the
    # request carries a PKCE challenge and her address as the login hint)
    expect(page).to_have_url(re.compile("^" + re.escape(issuer) + "/interaction/"))
    page.screenshot(path=screenshots_dir / "sso_provider_login.png", full_page=True)

    # when she signs in there
    page.fill("input[name=login]", "karin@acme.test")
    page.fill("input[name=password]", "her company password")
    page.get_by_role("button", name="Sign-in").click()

    # then she is back, logged in to her company's dashboard
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator("section.hero")).to_contain_text("Acme Verkstad AB")

    # when she logs out
    page.goto(f"{live_server.url}/accounts/logout/")
    page.locator("main").get_by_role("button", name=re.compile(r"(log|sign) out", re.IGNORECASE)).click()

    # then the provider ends its session too (RP-initiated logout) and sends her back
    expect(page).to_have_url(re.compile("^" + re.escape(issuer) + "/session/end"))
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    # and the next sign-in asks at the provider again: its session is gone as well
    page.get_by_label("Email").fill("karin@acme.test")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("input[name=password]")).to_be_visible()
    expect(page).to_have_url(re.compile("^" + re.escape(issuer) + "/interaction/"))


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_login_steps_look_finished(acme, live_server, browser: Browser, screenshots_dir, language, width):
    page = _offline(
        browser.new_context(
            viewport={"width": width, "height": 800},
            locale=language,
            extra_http_headers={"Accept-Language": language},
        ).new_page()
    )
    continue_label = {"en": "Continue", "sv": "Fortsätt"}[language]

    # the address step
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("input[name=login]")).to_be_focused()
    page.screenshot(path=screenshots_dir / f"login_step_address_{language}_{width}.png", full_page=True)

    # an address whose domain has no provider: the password step, address kept
    page.fill("input[name=login]", "someone@elsewhere.test")
    page.get_by_role("button", name=continue_label).click()
    expect(page.locator("input[name=password]")).to_be_focused()
    expect(page.locator("input[name=login]")).to_have_value("someone@elsewhere.test")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=screenshots_dir / f"login_step_password_{language}_{width}.png", full_page=True)
