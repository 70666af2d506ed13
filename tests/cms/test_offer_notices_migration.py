"""``cms/0008``: the duplicate offer notices of databases announced before offers were keyed
on their translations — one per person and offer is kept, unread if any copy was, and it
reads in each person's language; going back keys them on the default language's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone, translation
from wagtail.models import Locale

from core.texts import FREE_TEXT
from notifications.models import Notification, NotificationKind
from tests.cms.conftest import make_offer
from tests.factories import UserFactory

BEFORE = [("cms", "0007_content_locales")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture
def _back_to_the_latest_migrations():
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def translated(page, language: str, **fields):
    """A published translation (the locale made if a transactional test before this one flushed it)."""
    copy = page.copy_for_translation(Locale.objects.get_or_create(language_code=language)[0])
    for name, value in fields.items():
        setattr(copy, name, value)
    copy.save()
    copy.save_revision().publish()
    return copy


def old_notice(person, page, *, minutes: int, read: bool = False, emailed: bool = False, **fields):
    """An offer notice as the old code wrote it: keyed on the page, in the page's words."""
    at = timezone.now() - timedelta(days=1) + timedelta(minutes=minutes)
    return Notification.objects.create(
        recipient=person,
        kind=NotificationKind.OFFER,
        key=f"offer:{page.pk}",
        title_key="notice.offer",
        title_params={"title": page.title},
        body_key=FREE_TEXT,
        body_params={"text": page.introduction},
        url=page.url,
        created_at=at,
        read_at=at if read else None,
        emailed_at=at if emailed else None,
        **fields,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_back_to_the_latest_migrations")
def test_given_an_offer_notice_per_translation_when_migrated_then_one_per_person_is_kept_and_it_goes_back(
    home, offer_index
):
    # given an offer in three languages, each announced on its own (the old key, the page's id)
    for language in ("sv", "nl"):
        translated(home, language, title=f"Home {language}")
        translated(offer_index, language, title=f"Offers {language}")
    english = make_offer(offer_index, "Good coffee for the site hut", slug="site-hut-coffee")
    english.save_revision().publish()
    swedish = translated(english, "sv", title="Gott kaffe i bodan", introduction="En maskin byggd för damm")
    dutch = translated(english, "nl", title="Goede koffie in de bouwkeet", introduction="Een machine")
    gone_offer_notice_key = "offer:999999"
    migrate(BEFORE)
    Notification.objects.all().delete()  # what the publishes above announced with today's code
    reader, other = UserFactory(language="sv"), UserFactory(language="en")
    kept = old_notice(reader, english, minutes=0, read=True)
    old_notice(reader, swedish, minutes=1)  # unread
    old_notice(reader, dutch, minutes=2, read=True, emailed=True)
    others = old_notice(other, english, minutes=0, read=True)
    old_notice(other, swedish, minutes=1, read=True)
    Notification.objects.create(
        recipient=other, kind=NotificationKind.OFFER, key=gone_offer_notice_key, title_key=FREE_TEXT
    )
    points = Notification.objects.create(
        recipient=reader, kind=NotificationKind.POINTS, key="points:1", title_key=FREE_TEXT
    )

    # when the migration runs
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    # then each person keeps their earliest notice of the offer, keyed on its translations,
    # unread if any copy was, e-mailed if any was, in their language with the English link
    offer_key = f"offer:{english.translation_key}"
    readers = Notification.objects.filter(recipient=reader).order_by("pk")
    assert [(n.pk, n.key) for n in readers] == [(kept.pk, offer_key), (points.pk, "points:1")]
    notice = readers[0]
    assert notice.read_at is None and notice.emailed_at is not None
    assert notice.url == "/offers/site-hut-coffee/"
    with translation.override("sv"):
        assert (notice.title, notice.body) == ("Nytt erbjudande: Gott kaffe i bodan", "En maskin byggd för damm")
    with translation.override("en"):
        assert notice.title == "New offer: Good coffee for the site hut"
    theirs = Notification.objects.filter(recipient=other).order_by("pk")
    assert [(n.pk, n.key, n.is_read) for n in theirs] == [
        (others.pk, offer_key, True),
        (theirs[1].pk, gone_offer_notice_key, False),
    ]

    # and going back keys them on the English page, in its words
    migrate(BEFORE)
    back = Notification.objects.get(pk=kept.pk)
    assert back.key == f"offer:{english.pk}"
    assert (back.title_params, back.body_key, back.body_params) == (
        {"title": "Good coffee for the site hut"},
        FREE_TEXT,
        {"text": "About Good coffee for the site hut"},
    )
