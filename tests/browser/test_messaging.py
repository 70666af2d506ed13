"""A rep writes to a client; the member sees the unread badge appear without reloading,
reads and replies; the rep's open conversation shows the reply without reloading."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from members.models import Company
from portal.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REP = "rep.anna@club.example"
PURCHASER = "purchaser@bergstrom.example"
COMPANY = "Bergström Bygg AB"
SUBJECT = "Your spring order"
QUESTION = (
    "Hi Lena! The spring order is packed. Shall we deliver on Thursday? Details: https://shop.example.com/orders/4471"
)
ANSWER = "Thursday is perfect, thank you!"


def _log_in(page: Page, base_url: str, email: str, next_url: str) -> None:
    page.goto(f"{base_url}/accounts/login/?next={next_url}")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Continue").click()  # the address first, then the password
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile(r"^(sign|log) in$", re.IGNORECASE)).click()
    page.wait_for_load_state()


@pytest.fixture
def live_club(demo_club, settings):
    settings.STAFF_MFA_REQUIRED = False  # staff MFA has its own tests (tests/members/test_staff_mfa.py)
    settings.LIVE_BADGES_SECONDS = 1
    settings.LIVE_THREAD_SECONDS = 1
    return demo_club


def test_rep_writes_member_sees_the_badge_live_and_replies_rep_sees_the_reply_live(
    live_club, live_server, browser, screenshots_dir
):
    base = live_server.url
    company = Company.objects.get(name=COMPANY)

    # a member is on their dashboard; nothing unread yet
    member = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _log_in(member, base, PURCHASER, "/dashboard/")
    messages_badge = member.locator("#nav-messages-badge")
    expect(messages_badge).to_be_hidden()
    member.evaluate("window.stillTheSamePage = true")

    # the rep writes to the company from its account page
    rep = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _log_in(rep, base, REP, f"/staff/accounts/{company.pk}/")
    expect(rep.get_by_role("heading", level=1)).to_have_text(COMPANY)
    rep.get_by_role("link", name="New message").first.click()
    rep.get_by_label("Subject").fill(SUBJECT)
    rep.get_by_label("Your message").fill(QUESTION)
    rep.get_by_role("button", name="Send").click()
    expect(rep.get_by_role("heading", level=1)).to_have_text(SUBJECT)
    expect(rep.locator("#message-list")).to_contain_text("The spring order is packed")
    rep.screenshot(path=str(screenshots_dir / "messaging-1-rep-wrote.png"), full_page=True)

    # the member's open page shows the unread badges without a reload
    expect(messages_badge).to_have_text(re.compile(r"^1"), timeout=10_000)
    expect(member.locator("#nav-notifications-badge")).to_be_visible()
    assert member.evaluate("window.stillTheSamePage") is True
    member.screenshot(path=str(screenshots_dir / "messaging-2-member-badge.png"), full_page=True)

    # the member opens the conversation (the link in it is clickable) and replies
    member.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("Messages")).click()
    member.get_by_role("link", name=SUBJECT).click()
    expect(member.locator("#message-list")).to_contain_text("Shall we deliver on Thursday?")
    expect(
        member.locator("#message-list").get_by_role("link", name="https://shop.example.com/orders/4471")
    ).to_be_visible()
    expect(messages_badge).to_be_hidden()  # reading it cleared the badge
    member.get_by_label("Your message").fill(ANSWER)
    member.get_by_role("button", name="Send").click()
    expect(member.locator("#message-list")).to_contain_text(ANSWER)
    member.screenshot(path=str(screenshots_dir / "messaging-3-member-replied.png"), full_page=True)

    # the rep's open conversation shows the reply without a reload
    rep.evaluate("window.stillTheSamePage = true")
    expect(rep.locator("#message-list")).to_contain_text(ANSWER, timeout=10_000)
    assert rep.evaluate("window.stillTheSamePage") is True
    rep.screenshot(path=str(screenshots_dir / "messaging-4-rep-sees-reply.png"), full_page=True)

    # and the notification centre lists what happened, for the member
    member.goto(base + "/notifications/")
    expect(member.locator("main")).to_contain_text(f"Anna Sälj wrote: {SUBJECT}")
    member.screenshot(path=str(screenshots_dir / "messaging-5-member-notifications.png"), full_page=True)
