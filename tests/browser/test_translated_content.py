"""A Dutch purchaser's catalogue in Dutch: reward names, summaries and shelves from the demo's
translations, and a reward not translated yet shown in the club's default language, marked
with lang="en" (WCAG 3.1.2). Screenshots at 1280 and 390 px go to
``artifacts/screenshots/content-nl-*.png``."""

from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import Browser

from portal.demo import DUTCH_READER, SeedSummary
from rewards.catalogue.demo import seed_catalogue
from rewards.demo import _seed_tiers
from rewards.models import Reward
from tests.browser.login import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_dutch_purchaser_reads_the_catalogue_in_dutch_with_fallbacks_marked(
    demo_club, live_server, browser: Browser, screenshots_dir
):
    from django.utils import timezone

    summary = SeedSummary()
    _seed_tiers(summary)
    seed_catalogue(summary, now=timezone.now())
    # One reward marketing has not translated into Dutch yet.
    Reward.objects.filter(sku="THERMOS").update(title_nl=None, summary_nl=None, description_nl=None)
    with translation.override("en"):
        thermos = Reward.objects.get(sku="THERMOS")

    for width, height in ((1280, 900), (390, 844)):
        page = browser.new_context(
            viewport={"width": width, "height": height}, extra_http_headers={"Accept-Language": "en"}
        ).new_page()
        log_in(page, live_server.url, DUTCH_READER)
        page.wait_for_url("**/dashboard/")

        page.goto(f"{live_server.url}/rewards/")
        assert page.locator("html").get_attribute("lang") == "nl"
        cards = page.locator(".reward-card__link")
        names = cards.all_inner_texts()
        assert "Koffiemachine voor de bouwkeet" in names and "Coffee machine for the site hut" not in names
        fallback = page.locator(".reward-card__link", has_text=thermos.title)
        assert fallback.get_attribute("lang") == "en"
        assert page.locator(".reward-card__link[lang]").count() == 1  # only the untranslated one
        page.screenshot(path=str(screenshots_dir / f"content-nl-catalogue-{width}.png"), full_page=True)

        page.goto(f"{live_server.url}{Reward.objects.get(sku='COFFEE-SITE').get_absolute_url()}")
        assert page.locator("#reward-heading").inner_text() == "Koffiemachine voor de bouwkeet"
        assert page.locator("#reward-heading").get_attribute("lang") is None
        page.screenshot(path=str(screenshots_dir / f"content-nl-reward-{width}.png"), full_page=True)

        page.goto(f"{live_server.url}{thermos.get_absolute_url()}")
        assert page.locator("#reward-heading").get_attribute("lang") == "en"
        page.screenshot(path=str(screenshots_dir / f"content-nl-fallback-{width}.png"), full_page=True)
        page.context.close()


def test_a_dutch_purchaser_reads_an_offer_page_in_dutch_at_its_usual_address(
    demo_club, live_server, browser: Browser, screenshots_dir
):
    from django.utils import timezone

    from cms.demo import seed_content

    summary = SeedSummary()
    _seed_tiers(summary)
    seed_catalogue(summary, now=timezone.now())
    seed_content(summary)

    for width, height in ((1280, 900), (390, 844)):
        page = browser.new_context(
            viewport={"width": width, "height": height}, extra_http_headers={"Accept-Language": "en"}
        ).new_page()
        log_in(page, live_server.url, DUTCH_READER)
        page.wait_for_url("**/dashboard/")

        page.goto(f"{live_server.url}/offers/")
        assert page.locator("h1").inner_text() == "Aanbiedingen"
        page.screenshot(path=str(screenshots_dir / f"content-nl-offers-{width}.png"), full_page=True)

        page.goto(f"{live_server.url}/offers/site-hut-coffee/")
        assert page.locator("h1").inner_text() == "Goede koffie in de bouwkeet"
        assert page.locator("h1 span").get_attribute("lang") is None
        assert "Zolang de voorraad strekt." in page.content()
        page.screenshot(path=str(screenshots_dir / f"content-nl-offer-{width}.png"), full_page=True)
        page.context.close()
