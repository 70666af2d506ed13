"""Pages in the reader's language: one URL, the Dutch tree for a Dutch reader, the default
language's page (marked with its lang) where a page is not translated yet; listings show one
version of each page; sign-ups of an event's translations count on one list; marketing's
"Untranslated pages" report lists what is missing per language."""

from __future__ import annotations

import pytest
from wagtail.models import Locale

from cms import services
from cms.models import EventRegistration
from tests.cms.conftest import make_article, make_event
from tests.factories import MembershipFactory, StaffFactory

pytestmark = pytest.mark.django_db


def translate(page, language: str, **fields):
    """What the admin's "Translate" does, then the translator's edits, published."""
    copy = page.copy_for_translation(Locale.objects.get(language_code=language))
    for name, value in fields.items():
        setattr(copy, name, value)
    copy.save()
    copy.save_revision().publish()
    return copy


@pytest.fixture
def trees(home, news_index):
    """Home and News in all three languages; one article in English and Dutch only."""
    for language, (home_title, news_title) in {"sv": ("Klubben", "Nyheter"), "nl": ("De club", "Nieuws")}.items():
        translate(home, language, title=home_title)
        translate(news_index, language, title=news_title)
    article = make_article(news_index, "Heat pump launch", slug="heat-pumps")
    translate(article, "nl", title="Lancering warmtepompen", introduction="Over warmtepompen")
    return article


def reader(client, language: str):
    user = MembershipFactory().user
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("language", "title", "marked"),
    [("en", "Heat pump launch", False), ("nl", "Lancering warmtepompen", False), ("sv", "Heat pump launch", True)],
)
def test_given_one_url_when_readers_of_each_language_open_it_then_they_get_their_language_or_the_marked_default(
    client, trees, language, title, marked
):
    response = reader(client, language).get("/news/heat-pumps/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f">{title}</span>" in html
    assert (f'<span lang="en">{title}</span>' in html) is marked
    assert f'<html lang="{language}"' in html


@pytest.mark.parametrize(
    ("language", "title", "marked"),
    [("en", "Site radios", False), ("sv", "Byggradior", False), ("nl", "Site radios", True)],
)
def test_given_a_translation_under_another_address_when_a_reader_opens_the_default_languages_then_they_get_theirs(
    client, trees, news_index, language, title, marked
):
    # given an article whose Swedish translation has a Swedish address
    article = make_article(news_index, "Site radios", slug="site-radios")
    translate(article, "sv", title="Byggradior", slug="byggradior")

    # when readers of each language follow the English address (a notice's link, a colleague's)
    response = reader(client, language).get("/news/site-radios/")

    # then the Swedish reader gets the Swedish page; the Dutch reader, without one, the English
    assert response.status_code == 200
    html = response.content.decode()
    assert f">{title}</span>" in html
    assert (f'<span lang="en">{title}</span>' in html) is marked


def test_given_translated_indexes_when_a_dutch_and_a_swedish_reader_list_the_news_then_each_sees_one_version(
    client, trees
):
    dutch = reader(client, "nl").get("/news/").content.decode()
    swedish = reader(client, "sv").get("/news/").content.decode()

    assert "Lancering warmtepompen" in dutch and "Heat pump launch" not in dutch
    assert "Heat pump launch" in swedish and "Lancering warmtepompen" not in swedish
    assert 'card-title" lang="en"><a class="stretched-link" href="/news/heat-pumps/">Heat pump launch' in swedish
    assert ">Nieuws</span>" in dutch and ">Nyheter</span>" in swedish


def test_given_an_event_in_two_languages_when_people_sign_up_on_either_page_then_one_list_counts(
    client, home, event_index
):
    translate(home, "nl", title="De club")
    translate(event_index, "nl", title="Evenementen")
    event = make_event(event_index, "Factory tour", capacity=1, slug="tour")
    dutch_event = translate(event, "nl", title="Fabrieksbezoek")

    response = reader(client, "nl").post("/events/tour/", {"action": "sign_up"})
    second = MembershipFactory().user
    services.event_sign_up(event_id=event.pk, user=second)

    assert response.status_code in (200, 302)
    registrations = EventRegistration.objects.order_by("pk")
    assert [r.event_id for r in registrations] == [event.pk, event.pk]
    assert [r.status for r in registrations] == ["confirmed", "waitlisted"]  # one capacity for both pages
    assert dutch_event.registration_event().pk == event.pk


def test_given_pages_missing_in_swedish_when_marketing_opens_the_report_then_they_are_listed_with_the_languages(
    client, settings, trees
):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(StaffFactory(group="Marketing"))

    missing_in_swedish = client.get("/cms/reports/untranslated/?missing_in=sv")
    missing_in_dutch = client.get("/cms/reports/untranslated/?missing_in=nl")

    assert missing_in_swedish.status_code == missing_in_dutch.status_code == 200
    swedish = missing_in_swedish.content.decode()
    assert "Heat pump launch" in swedish and "Swedish" in swedish
    assert "Heat pump launch" not in missing_in_dutch.content.decode()
    assert f"/cms/translation/submit/page/{trees.pk}/" in swedish


def test_given_marketing_when_they_open_a_page_then_they_may_translate_it(client, settings, trees):
    settings.STAFF_MFA_REQUIRED = False
    marketer = StaffFactory(group="Marketing")
    client.force_login(marketer)

    response = client.get(f"/cms/translation/submit/page/{trees.pk}/")

    assert marketer.has_perm("simple_translation.submit_translation")
    assert response.status_code == 200


def test_given_a_dutch_member_signed_up_when_they_read_my_data_then_the_event_and_status_are_in_dutch(
    client, home, event_index
):
    from django.urls import reverse
    from django.utils import translation

    from cms.models import RegistrationStatus

    translate(home, "nl", title="De club")
    translate(event_index, "nl", title="Evenementen")
    event = make_event(event_index, "Factory tour", slug="tour")
    translate(event, "nl", title="Fabrieksbezoek")
    client = reader(client, "nl")
    client.post("/events/tour/", {"action": "sign_up"})

    page = client.get(reverse("privacy:my_data")).content.decode()

    with translation.override("nl"):
        confirmed = str(RegistrationStatus.CONFIRMED.label)
    assert "Fabrieksbezoek" in page and "Factory tour" not in page
    assert f'<dd class="col-sm-8 text-break">{confirmed}</dd>' in page
    assert '<dd class="col-sm-8 text-break">confirmed</dd>' not in page
