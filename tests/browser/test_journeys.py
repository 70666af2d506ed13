"""The journeys a member takes, in Chromium against the live server and the demo club."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from members.models import User
from portal.demo import DEMO_PASSWORD
from tests.browser.conftest import BROWSER_TIMEOUT_MS

# serialized_rollback: the live server's transactional tests empty every table after
# themselves; this puts back what migrations created (Wagtail's root page, staff groups).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLUB_NAME = "Nordic Supply Club"
COMPANY_NAME = "Bergström Bygg AB"
COMPANY_ADMIN = "admin@bergstrom.example"
PURCHASER = "purchaser@bergstrom.example"
NEWCOMER = "nya.kollegan@bergstrom.example"
NEWCOMER_PASSWORD = "Skruvdragare-2026!"
INVITATION_LINK = re.compile(r"https?://\S+/invitations/[^/\s]+/")


def _log_in(page: Page, *, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Continue").click()  # the address first, then the password
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile(r"^(sign|log) in$", re.IGNORECASE)).click()


def _main_nav(page: Page):
    return page.get_by_role("navigation", name="Main")


def test_member_logs_in_and_sees_the_branded_dashboard(demo_club, live_server, page: Page, screenshots_dir):
    # given the club's public home page
    page.goto(live_server.url + "/")
    expect(_main_nav(page)).to_contain_text(CLUB_NAME)

    # when a member logs in from it
    _main_nav(page).get_by_role("link", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    _log_in(page, email=PURCHASER, password=DEMO_PASSWORD)

    # then they land on their company's dashboard, in the club's colours and name
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(_main_nav(page)).to_contain_text(CLUB_NAME)
    hero = page.locator("section.hero")
    expect(hero).to_contain_text(COMPANY_NAME)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome back")
    page.screenshot(path=screenshots_dir / "dashboard.png", full_page=True)


def test_company_admin_invites_a_colleague_who_signs_up_from_the_email(
    demo_club, live_server, page: Page, new_context, screenshots_dir
):
    # given the company admin, logged in
    page.goto(live_server.url + "/accounts/login/")
    _log_in(page, email=COMPANY_ADMIN, password=DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    # when they invite a colleague from the company page
    _main_nav(page).get_by_role("link", name="Company").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(COMPANY_NAME)
    invite = page.get_by_role("region", name="Invite a colleague")
    invite.get_by_label("E-mail address").fill(NEWCOMER)
    invite.get_by_label("Role").select_option(label="Purchaser")
    invite.get_by_role("button", name="Send invitation").click()

    # then the page confirms it and lists the open invitation
    expect(page.get_by_role("alert").filter(has_text=f"Invitation sent to {NEWCOMER}")).to_be_visible()
    invitations = page.get_by_role("region", name="Open invitations")
    expect(invitations).to_contain_text(NEWCOMER)
    page.screenshot(path=screenshots_dir / "company.png", full_page=True)

    # and they log out
    admin_name = User.objects.get(email=COMPANY_ADMIN).get_full_name()
    _main_nav(page).get_by_role("button", name=admin_name).click()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    # and the invitation e-mail went out (tasks run eagerly; the live server shares the outbox)
    [message] = [message for message in mail.outbox if NEWCOMER in message.to]
    link = INVITATION_LINK.search(message.body).group(0)
    assert link.startswith(live_server.url)

    # when the newcomer, in a browser of their own, opens the link and signs up
    newcomer_page = new_context().new_page()
    newcomer_page.set_default_timeout(BROWSER_TIMEOUT_MS)
    newcomer_page.goto(link)
    expect(newcomer_page).to_have_url(re.compile(r"/accounts/signup/"))
    expect(newcomer_page.get_by_role("heading", level=1)).to_contain_text(f"Join {COMPANY_NAME}")
    expect(newcomer_page.get_by_label("Email")).to_have_value(NEWCOMER)
    expect(newcomer_page.get_by_label("Email")).to_be_disabled()
    newcomer_page.get_by_label("First name").fill("Nora")
    newcomer_page.get_by_label("Last name").fill("Lind")
    newcomer_page.get_by_label(re.compile(r"Password\W*$")).fill(NEWCOMER_PASSWORD)
    newcomer_page.get_by_label("Password (again)").fill(NEWCOMER_PASSWORD)
    newcomer_page.screenshot(path=screenshots_dir / "signup.png", full_page=True)
    newcomer_page.get_by_role("button", name="Create my account").click()

    # then they land on the dashboard as a purchaser of the company, in Swedish: they chose no
    # language yet, so their (Swedish) company's country decides over the English browser
    expect(newcomer_page).to_have_url(re.compile(r"/dashboard/$"))
    hero = newcomer_page.locator("section.hero")
    expect(hero).to_contain_text(f"{COMPANY_NAME} · Inköpare")
    expect(hero).to_contain_text("Välkommen till")
    expect(newcomer_page.get_by_role("heading", name="Så kommer du i gång")).to_be_visible()
    assert newcomer_page.evaluate("document.documentElement.lang") == "sv"
    newcomer_page.screenshot(path=screenshots_dir / "newcomer_dashboard.png", full_page=True)


def test_wrong_password_shows_an_error_and_keeps_the_visitor_out(demo_club, live_server, page: Page, screenshots_dir):
    # given the login page
    page.goto(live_server.url + "/accounts/login/")

    # when a member types a wrong password
    _log_in(page, email=PURCHASER, password="not-the-password")

    # then the form says so, and they stay on the login page
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_text(re.compile(r"not correct", re.IGNORECASE))).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(PURCHASER)
    page.screenshot(path=screenshots_dir / "login_wrong_password.png", full_page=True)
