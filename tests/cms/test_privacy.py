"""Members only: every content page needs a login, except the public landing page."""

from __future__ import annotations

import pytest

from cms.models import HowPointsWorkPage, StandardPage
from tests.cms.conftest import add_page, make_article, make_event, make_offer

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_login_from_every_content_page(
    client, home, offer_index, news_index, event_index, search_page
):
    pages = [
        offer_index,
        make_offer(offer_index, "Spring sale"),
        news_index,
        make_article(news_index, "Launch"),
        event_index,
        make_event(event_index, "Trade evening"),
        add_page(home, StandardPage, title="Terms"),
        add_page(home, HowPointsWorkPage, title="How points work"),
        search_page,
    ]
    for page in pages:
        response = client.get(page.url)
        assert response.status_code == 302, page.url
        assert response["Location"] == f"/accounts/login/?next={page.url}"


def test_the_home_page_is_a_public_teaser_without_member_content(client, home, offer_index):
    make_offer(offer_index, "Spring sale")

    response = client.get("/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Log in" in body
    assert "Spring sale" not in body


def test_members_see_offers_news_and_events_on_the_home_page(
    client, purchaser, home, offer_index, news_index, event_index
):
    make_offer(offer_index, "Spring sale")
    make_article(news_index, "New cordless range")
    make_event(event_index, "Trade evening")
    client.force_login(purchaser)

    body = client.get("/").content.decode()

    assert "Spring sale" in body
    assert "New cordless range" in body
    assert "Trade evening" in body


def test_search_finds_only_what_the_member_may_see(client, search_page, offer_index, news_index, tiers, silver_member):
    make_offer(offer_index, "Drill bonanza for everyone")
    make_offer(offer_index, "Drill lounge for gold", tiers=[tiers["gold"]])
    make_offer(offer_index, "Drill clearance ended", days_left=-1)
    make_article(news_index, "Drill launch news")
    client.force_login(silver_member)

    body = client.get(search_page.url, {"q": "drill"}).content.decode()

    assert "Drill bonanza for everyone" in body
    assert "Drill launch news" in body
    assert "Drill lounge for gold" not in body
    assert "Drill clearance ended" not in body


def test_navigation_links_to_offers_news_and_events(client, purchaser, offer_index, news_index, event_index):
    client.force_login(purchaser)
    body = client.get("/dashboard/").content.decode()
    for url in ("/offers/", "/news/", "/events/"):
        assert f'href="{url}"' in body
