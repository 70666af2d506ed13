"""A person's data in Chromium: a purchaser opens My data from the profile, downloads it, asks
for erasure; their company admin sees the request on the company page and confirms it. At
1280 and 390 pixels, in English and Swedish."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.login import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PURCHASER = "purchaser@bergstrom.example"
COMPANY_ADMIN = "admin@bergstrom.example"


def _log_in(page: Page, base_url: str, email: str, next_url: str) -> None:
    log_in(page, base_url, email, next_url=next_url)


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_a_purchaser_downloads_their_data_and_asks_for_erasure(demo_club, live_server, page: Page, screenshots_dir):
    from privacy.models import ErasureRequest, ErasureStatus

    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    _log_in(page, base, PURCHASER, "/profile/")
    page.get_by_role("link", name="My data").last.click()
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "privacy-0-my-data-1280.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as JSON").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["data"]["profile"][0]["email"] == PURCHASER

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    _fits(page)
    page.screenshot(path=str(screenshots_dir / "privacy-1-my-data-390.png"), full_page=True)

    page.get_by_role("link", name="Ask for erasure").click()
    _fits(page)
    page.screenshot(path=str(screenshots_dir / "privacy-2-erasure-390.png"), full_page=True)
    page.get_by_label("I want my personal data erased.").check()
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Your request has been received")).to_be_visible()

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    _log_in(page, base, COMPANY_ADMIN, "/company/")
    expect(page.get_by_role("heading", name="Requests to erase personal data")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "privacy-3-company-confirm-1280.png"), full_page=True)
    page.get_by_role("button", name="Confirm erasure").click()
    expect(page.get_by_text("personal data has been erased")).to_be_visible()
    assert ErasureRequest.objects.get().status == ErasureStatus.DONE

    # The company admin reads their own data in Swedish, on a phone.
    from members.models import User

    User.objects.filter(email=COMPANY_ADMIN).update(language="sv")
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, base, COMPANY_ADMIN, "/profile/my-data/")
    expect(page.get_by_role("heading", name="Mina uppgifter", exact=True)).to_be_visible()
    _fits(page)
    page.screenshot(path=str(screenshots_dir / "privacy-4-my-data-sv-390.png"), full_page=True)
