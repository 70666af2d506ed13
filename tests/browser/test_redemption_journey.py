"""A purchaser redeems a reward above the company's approval limit, the company admin approves
it, the club's staff fulfil it, and the purchaser follows it to delivery — in Chromium."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from members.models import Company, User
from portal.demo import DEMO_PASSWORD, SeedSummary
from rewards.catalogue.demo import seed_catalogue
from rewards.catalogue.services import approval_threshold_set
from rewards.ledger.services import points_account_for_company
from rewards.models import Redemption, RedemptionStatus, Reward
from tests.rewards.helpers import give_points

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PURCHASER = "purchaser@bergstrom.example"
COMPANY_ADMIN = "admin@bergstrom.example"
STAFF = "admin@club.example"
REWARD = "Winter work jacket"  # 70 000 points: above the 20 000 limit
START_BALANCE = 150_000


def _serve_media(route: Route) -> None:
    """The live server does not serve uploads (DEBUG is off); the pictures are in the test's
    in-memory storage, so hand them to the browser from there."""
    name = route.request.url.split("/media/", 1)[1].split("?", 1)[0]
    if not default_storage.exists(name):
        route.fulfill(status=404)
        return
    with default_storage.open(name) as stored:
        route.fulfill(status=200, body=stored.read(), headers={"Content-Type": "image/webp"})


def _browser_page(browser, base_url: str, email: str) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(re.compile(r".*/media/.*"), _serve_media)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.click("button[type=submit]")  # the address first, then the password
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    return page


@pytest.fixture
def club_with_catalogue(demo_club, settings):
    settings.STAFF_MFA_REQUIRED = False
    seed_catalogue(SeedSummary(), now=timezone.now())
    company = Company.objects.get(name="Bergström Bygg AB")
    give_points(points_account_for_company(company=company), START_BALANCE)
    approval_threshold_set(company=company, threshold=20_000, by=User.objects.get(email=COMPANY_ADMIN))
    return company


def test_a_purchaser_redeems_the_admin_approves_staff_fulfil_and_the_purchaser_sees_it(
    club_with_catalogue, live_server, browser, screenshots_dir
):
    base = live_server.url

    # A purchaser browses the catalogue and picks a reward above the approval limit.
    purchaser = _browser_page(browser, base, PURCHASER)
    purchaser.get_by_role("navigation", name="Main").get_by_role("link", name="Rewards").click()
    expect(purchaser.get_by_role("heading", level=1)).to_have_text("Rewards")
    expect(purchaser.get_by_test_id("catalogue-balance")).to_contain_text("150\u202f000 points")
    expect(purchaser.get_by_test_id("reward-card").first).to_be_visible()
    purchaser.wait_for_load_state("networkidle")
    purchaser.screenshot(path=screenshots_dir / "rewards-1-catalogue.png", full_page=True)
    purchaser.get_by_label("Search").fill("jacket")
    purchaser.get_by_role("button", name="Show rewards").click()
    purchaser.get_by_role("link", name=REWARD).click()
    expect(purchaser.get_by_role("heading", level=1)).to_have_text(REWARD)
    expect(purchaser.get_by_test_id("reward-standing")).to_contain_text("You can redeem this now")
    purchaser.get_by_role("button", name="Redeem").click()

    # The order form has the company's address; the confirm page shows the balance before and after.
    expect(purchaser.get_by_label("City*")).to_have_value("Göteborg")
    purchaser.get_by_label("Note to the club").fill("Size L, please.")
    purchaser.get_by_role("button", name="Review order").click()
    balance = purchaser.get_by_test_id("confirm-balance")
    expect(balance).to_contain_text("150\u202f000 points")
    expect(balance).to_contain_text("\u221270\u202f000 points")
    expect(balance).to_contain_text("80\u202f000 points")
    expect(purchaser.get_by_test_id("needs-approval")).to_contain_text("a company admin must approve it")
    purchaser.screenshot(path=screenshots_dir / "rewards-2-confirm.png", full_page=True)
    purchaser.get_by_role("button", name="Send for approval").click()
    expect(purchaser.get_by_role("alert").filter(has_text="waits for a company admin's approval")).to_be_visible()
    expect(purchaser.get_by_role("heading", level=1)).to_contain_text("Awaiting approval")
    order = Redemption.objects.get()
    assert order.status == RedemptionStatus.AWAITING_APPROVAL
    purchaser.screenshot(path=screenshots_dir / "rewards-3-awaiting-approval.png", full_page=True)

    # The company admin approves it from the approvals page.
    admin = _browser_page(browser, base, COMPANY_ADMIN)
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Rewards").click()
    admin.get_by_role("link", name=re.compile(r"^Approvals")).click()
    waiting = admin.get_by_test_id("awaiting-approval")
    expect(waiting).to_contain_text(order.number)
    expect(waiting).to_contain_text("70\u202f000 points")
    admin.screenshot(path=screenshots_dir / "rewards-4-approvals.png", full_page=True)
    waiting.get_by_label("Comment").fill("Go ahead, it is cold out there.")
    waiting.get_by_role("button", name="Approve").click()
    expect(admin.get_by_role("alert").filter(has_text=f"Order {order.number} is approved.")).to_be_visible()
    expect(admin.get_by_text("Nothing waits for your approval.")).to_be_visible()

    # The club's staff fulfil it from the queue, with a tracking number.
    staff = _browser_page(browser, base, STAFF)
    staff.get_by_role("navigation", name="Main").get_by_role("link", name="Fulfilment").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Fulfilment")
    staff.get_by_role("link", name=order.number).wait_for()
    staff.screenshot(path=screenshots_dir / "rewards-5-fulfilment-queue.png", full_page=True)
    staff.get_by_role("link", name=order.number).click()
    staff.get_by_label("Tracking reference").fill("PostNord 00370712345678901234")
    staff.get_by_role("button", name="Mark fulfilled").click()
    expect(staff.get_by_role("alert").filter(has_text=f"Order {order.number} is fulfilled.")).to_be_visible()

    # The purchaser sees the order fulfilled, with the tracking number, and the balance down.
    purchaser.reload()
    expect(purchaser.get_by_role("heading", level=1)).to_contain_text("Fulfilled")
    expect(purchaser.get_by_test_id("order-summary")).to_contain_text("PostNord 00370712345678901234")
    expect(purchaser.get_by_test_id("order-timeline")).to_contain_text("Approved")
    expect(purchaser.get_by_test_id("order-timeline")).to_contain_text("Go ahead, it is cold out there.")
    purchaser.screenshot(path=screenshots_dir / "rewards-6-fulfilled.png", full_page=True)
    purchaser.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(purchaser.get_by_test_id("points-balance")).to_contain_text("80\u202f000 points")
    purchaser.screenshot(path=screenshots_dir / "rewards-7-dashboard.png", full_page=True)
    order.refresh_from_db()
    assert (order.status, order.tracking_reference) == (RedemptionStatus.FULFILLED, "PostNord 00370712345678901234")


def test_an_e_voucher_shows_its_code_at_once_and_the_history_its_balance_and_who_on_a_phone_in_swedish(
    club_with_catalogue, live_server, browser, screenshots_dir
):
    base = live_server.url
    purchaser = _browser_page(browser, base, PURCHASER)
    gift_card = Reward.objects.get(sku="GC-200")

    # A 200 SEK gift card needs nobody's hands: the code is on the page the member lands on.
    purchaser.goto(f"{base}/rewards/{gift_card.pk}/redeem/")
    purchaser.get_by_role("button", name="Review order").click()
    purchaser.get_by_role("button", name="Confirm and redeem").click()
    expect(purchaser.get_by_role("alert").filter(has_text="your voucher code is below")).to_be_visible()
    order = Redemption.objects.get()
    assert order.status == RedemptionStatus.FULFILLED
    expect(purchaser.get_by_test_id("voucher-codes")).to_contain_text(order.voucher_codes.get().code)
    purchaser.screenshot(path=screenshots_dir / "rewards-8-e-voucher-instant.png", full_page=True)

    # On a phone, in Swedish: the history's balance after and who caused each entry fit.
    User.objects.filter(email=PURCHASER).update(language="sv")
    purchaser.set_viewport_size({"width": 390, "height": 844})
    purchaser.goto(f"{base}/points/history/")
    expect(purchaser.get_by_role("columnheader", name="Saldo efter")).to_be_attached()
    width = purchaser.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    purchaser.screenshot(path=screenshots_dir / "points-history-phone-sv.png", full_page=True)
    purchaser.set_viewport_size({"width": 1280, "height": 900})
    purchaser.reload()
    purchaser.screenshot(path=screenshots_dir / "points-history-1280-sv.png", full_page=True)
