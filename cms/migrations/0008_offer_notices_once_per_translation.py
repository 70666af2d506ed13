"""One offer notice per person and offer, whichever of its translations was published.

Before, an offer was announced under ``offer:<page id>``, and each translation of an offer
is a page of its own, published on its own: a member got one notice per language (1 602
offer notices for 138 people in the demo). ``cms.notices`` now keys them on the pages'
``translation_key`` (``offer:<translation key>``), and this migration brings the stored
notices in line:

- every offer notice keyed on a page id is keyed on its page's translation key (also where
  there is no duplicate, so publishing a translation later does not announce it again);
- of a person's notices of one offer, the earliest is kept and the others deleted; the one
  kept is unread if any of them was, and counts as e-mailed if any of them was;
- the one kept reads like a new one: the title and introduction of every live translation
  (the message keys are frozen here), its link the default language's page where one was
  announced. A notice written as finished words (before ``notifications/0003``) keeps them.

A notice whose page is gone is left as it is. Going back keys each notice on the default
language's page (else the first translation) and stores the default language's words, as
the old code wrote them; the deleted duplicates are not made again.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import migrations

OFFER = "notice.offer"
TIER_OFFER = "notice.tier_offer"
OFFER_INTRODUCTION = "notice.offer_introduction"
FREE_TEXT = "text"
PREFIX = "offer:"
PEOPLE_PER_CHUNK = 200
FIELDS = ["key", "read_at", "emailed_at", "url", "title_params", "body_key", "body_params"]


def _offer_keys(apps):
    """Page id -> (translation key, language) of every page an offer notice names by id."""
    Notification = apps.get_model("notifications", "Notification")
    Page = apps.get_model("wagtailcore", "Page")
    page_ids = set()
    for key in Notification.objects.filter(kind="offer", key__startswith=PREFIX).values_list("key", flat=True):
        rest = key[len(PREFIX) :]
        if rest.isdigit():
            page_ids.add(int(rest))
    return {
        pk: (str(translation_key), language)
        for pk, translation_key, language in Page.objects.filter(pk__in=page_ids).values_list(
            "pk", "translation_key", "locale__language_code"
        )
    }


def _offer_texts(apps, translation_keys):
    """Translation key -> ({language: title}, {language: introduction}) of the live offers."""
    OfferPage = apps.get_model("cms", "OfferPage")
    texts: dict[str, tuple[dict, dict]] = {}
    versions = (
        OfferPage.objects.filter(translation_key__in=list(translation_keys), live=True)
        .order_by("pk")
        .values_list("translation_key", "locale__language_code", "title", "introduction")
    )
    for translation_key, language, title, introduction in versions:
        titles, introductions = texts.setdefault(str(translation_key), ({}, {}))
        titles[language] = title
        introductions[language] = introduction
    return texts


def forwards(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    pages = _offer_keys(apps)
    texts = _offer_texts(apps, {translation_key for translation_key, _language in pages.values()})

    def translation_key_of(notice):
        rest = notice.key[len(PREFIX) :]
        if not rest.isdigit():
            return rest  # keyed on the translation key already
        page = pages.get(int(rest))
        return page[0] if page else None

    def settle(copies, translation_key):
        """The notice kept of one person's copies of one offer, and the copies dropped."""
        keep, *others = copies
        keep.key = PREFIX + translation_key
        if any(copy.read_at is None for copy in copies):
            keep.read_at = None
        emailed = [copy.emailed_at for copy in copies if copy.emailed_at is not None]
        keep.emailed_at = min(emailed) if emailed else None
        for copy in copies:
            rest = copy.key[len(PREFIX) :]
            if rest.isdigit() and pages.get(int(rest), (None, None))[1] == settings.LANGUAGE_CODE and copy.url:
                keep.url = copy.url
        if translation_key in texts and keep.title_key in (OFFER, TIER_OFFER):
            titles, introductions = texts[translation_key]
            keep.title_params = {**keep.title_params, "title": titles}
            if any(introductions.values()):
                keep.body_key, keep.body_params = OFFER_INTRODUCTION, {"introduction": introductions}
            else:
                keep.body_key, keep.body_params = "", {}
        return keep, others

    offer_notices = Notification.objects.filter(kind="offer", key__startswith=PREFIX)
    people = list(offer_notices.order_by("recipient_id").values_list("recipient_id", flat=True).distinct())
    # A few hundred people at a time, each chunk read whole before it is written (no cursor is
    # open while rows change: SQLite gives a reading cursor no isolation from its connection).
    for start in range(0, len(people), PEOPLE_PER_CHUNK):
        chunk = people[start : start + PEOPLE_PER_CHUNK]
        copies_of: dict[tuple[int, str], list] = {}
        for notice in offer_notices.filter(recipient_id__in=chunk).order_by("recipient_id", "created_at", "pk"):
            translation_key = translation_key_of(notice)
            if translation_key is not None:
                copies_of.setdefault((notice.recipient_id, translation_key), []).append(notice)
        kept, dropped = [], []
        for (_person, translation_key), copies in copies_of.items():
            keep, others = settle(copies, translation_key)
            kept.append(keep)
            dropped.extend(others)
        # Deletes first: a kept notice takes a key a dropped copy may hold (UNIQUE per person).
        for first in range(0, len(dropped), 500):
            Notification.objects.filter(pk__in=[notice.pk for notice in dropped[first : first + 500]]).delete()
        Notification.objects.bulk_update(kept, FIELDS, batch_size=500)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _default_language_text(texts) -> str:
    if not isinstance(texts, dict):
        return str(texts or "")
    if texts.get(settings.LANGUAGE_CODE):
        return str(texts[settings.LANGUAGE_CODE])
    return next((str(text) for text in texts.values() if text), "")


def backwards(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Page = apps.get_model("wagtailcore", "Page")
    keyed_on_offers = [
        (pk, key[len(PREFIX) :])
        for pk, key in Notification.objects.filter(kind="offer", key__startswith=PREFIX)
        .order_by("pk")
        .values_list("pk", "key")
        if not key[len(PREFIX) :].isdigit()
    ]
    translation_keys = {translation_key for _pk, translation_key in keyed_on_offers if _is_uuid(translation_key)}
    page_of: dict[str, int] = {}
    pages = Page.objects.filter(translation_key__in=list(translation_keys)).order_by("pk")
    for pk, translation_key, language in pages.values_list("pk", "translation_key", "locale__language_code"):
        if str(translation_key) not in page_of or language == settings.LANGUAGE_CODE:
            page_of[str(translation_key)] = pk
    ids = [pk for pk, _translation_key in keyed_on_offers]
    for start in range(0, len(ids), 500):
        notices = list(Notification.objects.filter(pk__in=ids[start : start + 500]))
        for notice in notices:
            page_id = page_of.get(notice.key[len(PREFIX) :])
            if page_id is not None:
                notice.key = f"{PREFIX}{page_id}"
            if notice.title_key in (OFFER, TIER_OFFER):
                notice.title_params = {
                    **notice.title_params,
                    "title": _default_language_text(notice.title_params.get("title")),
                }
            if notice.body_key == OFFER_INTRODUCTION:
                introduction = _default_language_text(notice.body_params.get("introduction"))
                notice.body_key, notice.body_params = (FREE_TEXT, {"text": introduction}) if introduction else ("", {})
        Notification.objects.bulk_update(notices, ["key", "title_params", "body_key", "body_params"])


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0007_content_locales"),
        ("notifications", "0004_remove_notification_words"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
