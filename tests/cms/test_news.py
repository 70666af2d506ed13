"""The news index: its category and tag filters."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cms.models import NewsCategory
from tests.cms.conftest import make_article
from tests.factories import MembershipFactory, StaffFactory

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


@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [("sv", "Lanseringar", "Launches"), ("nl", "Lanceringen", "Launches"), ("en", "Launches", "Lanseringar")],
)
def test_a_category_is_named_in_the_readers_language(client, news_index, language, shown, not_shown):
    category = NewsCategory.objects.create(
        slug="launches", name_en="Launches", name_sv="Lanseringar", name_nl="Lanceringen"
    )
    article = make_article(news_index, "Autumn drill")
    article.categories = [category]
    article.save()
    user = MembershipFactory().user
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)

    page = client.get(news_index.url).content.decode()

    assert f">{shown}</a>" in page and f">{not_shown}</a>" not in page


def test_a_category_not_translated_yet_shows_the_default_languages_name(client, news_index):
    NewsCategory.objects.create(slug="tips", name_en="Tips for buyers")
    make_article(news_index, "Autumn drill").categories.add(NewsCategory.objects.get(slug="tips"))
    user = MembershipFactory().user
    user.language = "nl"
    user.save(update_fields=["language"])
    client.force_login(user)

    assert ">Tips for buyers</a>" in client.get(news_index.url).content.decode()


def test_marketing_names_a_category_in_every_language_and_only_the_default_is_required(client, settings):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(StaffFactory(group="Marketing"))
    url = reverse("wagtailsnippets_cms_newscategory:add")

    missing_default = client.post(url, {"name_en": "", "name_sv": "Tips", "name_nl": "", "slug": "tips"})
    assert not NewsCategory.objects.filter(slug="tips").exists()
    saved = client.post(url, {"name_en": "Tips", "name_sv": "Tips och råd", "name_nl": "", "slug": "tips"})

    assert missing_default.status_code == 200  # the form again, with the error
    assert saved.status_code == 302
    category = NewsCategory.objects.get(slug="tips")
    assert (category.name_en, category.name_sv, category.name_nl) == (
        "Tips",
        "Tips och råd",
        None,
    )  # None: not translated yet
