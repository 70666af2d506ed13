"""Every content page renders within a fixed number of queries, whatever the amount of content."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.models import HowPointsWorkPage, StandardPage
from tests.cms.conftest import add_page, make_article, make_event, make_offer

pytestmark = pytest.mark.django_db

QUERY_BUDGET = 40


@pytest.fixture
def card_image(db):
    from PIL import Image as PILImage
    from wagtail.images import get_image_model

    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 36), "#0b5394").save(buffer, format="PNG")
    return get_image_model().objects.create(title="Card", file=SimpleUploadedFile("card.png", buffer.getvalue()))


def _build(count, *, offer_index, news_index, event_index, tiers, card_image):
    from cms.models import NewsCategory

    category, _ = NewsCategory.objects.get_or_create(slug="launches", defaults={"name": "Launches"})
    for number in range(count):
        make_offer(offer_index, f"Offer {number}", listing_image=card_image, featured=number % 2 == 0)
        make_offer(offer_index, f"Gold offer {number}", tiers=[tiers["gold"]], listing_image=card_image)
        article = make_article(news_index, f"Article {number}", listing_image=card_image)
        article.categories = [category]
        article.save()
        article.tags.add(f"tag{number}")
        article.save()
        make_event(event_index, f"Event {number}", listing_image=card_image)


def _queries(client, url):
    client.get(url)  # first render generates renditions: measure the steady state
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def test_query_count_does_not_grow_with_content(
    client, home, offer_index, news_index, event_index, search_page, tiers, silver_member, card_image, settings
):
    # A cache of this test's own: in CI the default cache is the Redis both workers share,
    # and the other worker's cache.clear() between two requests costs the next one the
    # site's root paths again (a count that moved by two with nothing else changed).
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cms-query-counts"},
    }
    how = add_page(home, HowPointsWorkPage, title="How points work")
    terms = add_page(home, StandardPage, title="Terms")
    client.force_login(silver_member)
    _build(
        5, offer_index=offer_index, news_index=news_index, event_index=event_index, tiers=tiers, card_image=card_image
    )
    urls = [
        "/",
        offer_index.url,
        "/offers/offer-1/",
        news_index.url,
        "/news/article-1/",
        event_index.url,
        "/events/event-1/",
        how.url,
        terms.url,
        search_page.url + "?q=offer",
        "/dashboard/",
    ]
    few = {url: _queries(client, url) for url in urls}

    _build_more = range(5, 60)
    for number in _build_more:
        make_offer(offer_index, f"Offer {number}", listing_image=card_image)
        make_offer(offer_index, f"Gold offer {number}", tiers=[tiers["gold"]], listing_image=card_image)
        make_article(news_index, f"Article {number}", listing_image=card_image)
        make_event(event_index, f"Event {number}", listing_image=card_image)
    many = {url: _queries(client, url) for url in urls}

    for url in urls:
        assert many[url] <= QUERY_BUDGET, (url, many[url])
        assert many[url] == few[url], (url, few[url], many[url])
