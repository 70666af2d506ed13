"""The news index: its category and tag filters."""

from __future__ import annotations

import pytest

from cms.models import NewsCategory
from tests.cms.conftest import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def launches(news_index):
    category = NewsCategory.objects.create(name="Launches", slug="launches")
    article = make_article(news_index, "Autumn drill")
    article.categories = [category]
    article.tags.add("tools")
    article.save()
    NewsCategory.objects.create(name="Events", slug="events")  # a category with no news yet
    return article


@pytest.mark.parametrize(
    "query", [{"category": "bogus"}, {"category": "launches\x00"}, {"tag": "nope"}, {"tag": "tools\x00"}]
)
def test_given_a_category_or_tag_that_does_not_exist_then_404_not_no_news_yet(
    client, purchaser, news_index, launches, query
):
    client.force_login(purchaser)

    response = client.get(news_index.url, query)

    assert response.status_code == 404
    assert "No news yet." not in response.content.decode()


def test_given_a_category_or_tag_that_exists_then_its_news_or_no_news_yet(client, purchaser, news_index, launches):
    client.force_login(purchaser)

    in_category = client.get(news_index.url, {"category": "launches"})
    tagged = client.get(news_index.url, {"tag": "tools"})
    empty_category = client.get(news_index.url, {"category": "events"})

    assert in_category.status_code == tagged.status_code == empty_category.status_code == 200
    assert "Autumn drill" in in_category.content.decode() and "Autumn drill" in tagged.content.decode()
    assert "No news yet." in empty_category.content.decode()


def test_the_older_and_newer_links_keep_the_tag(client, purchaser, news_index):
    """13 articles tagged "tools" (12 a page): "Older" leads to the tag's second page, not the
    whole news's."""
    for number in range(13):
        article = make_article(news_index, f"Tool news {number}")
        article.tags.add("tools")
        article.save()
    client.force_login(purchaser)

    first = client.get(news_index.url, {"tag": "tools"}).content.decode()

    assert "?page=2&amp;tag=tools" in first
    second = client.get(news_index.url, {"tag": "tools", "page": 2}).content.decode()
    assert "?page=1&amp;tag=tools" in second
