"""A marketer submits an offer, a colleague approves it, and only Gold members see it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.login import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OLD_TITLE = "Gold lounge"
NEW_TITLE = "Gold lounge: free coffee all winter"


def _log_in(page: Page, base_url: str, email: str, password: str, next_url: str = "/") -> None:
    log_in(page, base_url, email, password=password, next_url=next_url)


def _footer_action(page: Page, name: str) -> None:
    """Click an item in the editor's footer action menu, opening the menu first."""
    page.locator("footer").get_by_role("button", name="More actions").click()
    page.locator("footer").get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


@pytest.fixture
def offer_setup(demo_club, settings):
    from cms.models import HomePage, OfferAudience, OfferCallToAction, OfferIndexPage, OfferPage
    from tests.cms.conftest import add_page, member_in_tier
    from tests.factories import StaffFactory

    settings.STAFF_MFA_REQUIRED = False
    from rewards.models import Tier

    gold = Tier.objects.create(name="Gold", qualifying_points=50_000)
    silver = Tier.objects.create(name="Silver", qualifying_points=10_000)
    home = HomePage.objects.get()
    offers = add_page(home, OfferIndexPage, title="Offers")
    offer = add_page(
        offers,
        OfferPage,
        title=OLD_TITLE,
        live=False,
        audience=OfferAudience.TIERS,
        cta_kind=OfferCallToAction.SALES_REP,
        cta_text="Ask your sales rep",
        introduction="Coffee for Gold members.",
    )
    offer.tiers.set([gold])
    offer.save()
    offer.save_revision()
    return {
        "offer": offer,
        "author": StaffFactory(email="author@club.example", group="Marketing"),
        "approver": StaffFactory(email="approver@club.example", group="Marketing"),
        "gold_member": member_in_tier(gold),
        "silver_member": member_in_tier(silver),
    }


def test_an_offer_goes_through_review_and_reaches_gold_members_only(
    offer_setup, live_server, browser, screenshots_dir, password
):
    base = live_server.url
    offer = offer_setup["offer"]
    edit_url = f"/cms/pages/{offer.pk}/edit/"

    # a marketer edits the offer and submits it for review
    author = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _log_in(author, base, offer_setup["author"].email, password, edit_url)
    author.fill("#id_title", NEW_TITLE)
    _footer_action(author, "Submit to Marketing approval")
    author.screenshot(path=str(screenshots_dir / "cms-0-author-after-submit.png"))
    offer.refresh_from_db()
    assert offer.workflow_in_progress
    assert not offer.live
    author.goto(base + edit_url)
    author.locator("footer").get_by_role("button", name="More actions").click()
    expect(author.locator("footer").get_by_role("button", name="Approve and Publish")).to_have_count(0)
    author.screenshot(path=str(screenshots_dir / "cms-1-author-submitted.png"))

    # a second marketer approves it
    approver = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _log_in(approver, base, offer_setup["approver"].email, password, edit_url)
    approver.screenshot(path=str(screenshots_dir / "cms-2-approver-reviews.png"))
    _footer_action(approver, "Approve and Publish")
    offer.refresh_from_db()
    assert offer.live and offer.title == NEW_TITLE
    approver.screenshot(path=str(screenshots_dir / "cms-3-approved.png"))

    # a Gold member sees it on the dashboard; a Silver member does not
    gold = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _log_in(gold, base, offer_setup["gold_member"].email, password, "/dashboard/")
    expect(gold.get_by_test_id("dashboard-offers")).to_contain_text(NEW_TITLE)
    gold.screenshot(path=str(screenshots_dir / "cms-4-gold-dashboard.png"), full_page=True)

    silver = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _log_in(silver, base, offer_setup["silver_member"].email, password, "/dashboard/")
    expect(silver.locator("main")).not_to_contain_text(NEW_TITLE)
    silver.screenshot(path=str(screenshots_dir / "cms-5-silver-dashboard.png"), full_page=True)
    silver.goto(base + "/offers/")
    expect(silver.locator("main")).to_contain_text("Reach Gold to unlock this offer.")
    silver.screenshot(path=str(screenshots_dir / "cms-6-silver-offers-teaser.png"), full_page=True)
