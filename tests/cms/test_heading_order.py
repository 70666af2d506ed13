"""The content pages' headings never skip a level: a card title is an h2 in a list under the
page's h1 (offers, news, events) and an h3 under a section's h2 (the home page), looking the
same in both."""

from __future__ import annotations

import re

import pytest

from cms.models import NewsCategory
from tests.cms.conftest import make_article, make_event, make_offer
from tests.headings import headings, skipped_levels

pytestmark = pytest.mark.django_db


@pytest.fixture
def content(offer_index, news_index, event_index, tiers):
    """Two cards on each index: an offer for everyone and a Gold one (locked for Silver), two
    articles (one in a category, so the filters show), two events."""
    make_offer(offer_index, "Spring sale", featured=True)
    make_offer(offer_index, "Gold lounge", tiers=[tiers["gold"]])
    article = make_article(news_index, "Autumn drill")
    article.categories = [NewsCategory.objects.create(name="Launches", slug="launches")]
    article.save()
    make_article(news_index, "Warehouse opens")
    make_event(event_index, "Heat pump webinar")
    make_event(event_index, "Trade evening", days_ahead=14)


@pytest.mark.parametrize("index", ["offer_index", "news_index", "event_index"])
def test_given_cards_on_an_index_page_then_their_titles_are_h2_under_the_h1(
    client, silver_member, content, index, request
):
    # given a member on an index page with cards
    client.force_login(silver_member)

    # when they open it
    html = client.get(request.getfixturevalue(index).url).content.decode()

    # then the outline is h1, then an h2 per card, none skipped, and the titles keep their size
    assert not skipped_levels(html), skipped_levels(html)
    levels = [level for level, _text in headings(html)]
    assert levels[0] == 1 and levels.count(2) == 2, headings(html)
    assert len(re.findall(r'<h2 class="h5 card-title"', html)) == 2


def test_given_cards_in_the_home_page_sections_then_their_titles_are_h3_under_the_sections(
    client, gold_member, content, home
):
    client.force_login(gold_member)

    html = client.get(home.url).content.decode()

    assert not skipped_levels(html), skipped_levels(html)
    outline = headings(html)
    assert [level for level, _text in outline if level <= 2][1:] == [2, 2, 2]  # offers, news, events
    assert (3, "Spring sale") in outline and (3, "Heat pump webinar") in outline
