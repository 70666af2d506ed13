"""Telling members about a new offer they may open.

Wagtail owns publishing (the editor's "Publish", an approved workflow, scheduled
publishing by ``publish_scheduled``), and every path ends in its ``page_published`` signal;
``cms.apps`` connects that signal, for offers, to a task after commit that calls
``offer_announce``. This is the one place a signal starts a side effect, because the
publishing code is not ours to call a service from.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import translation

from core.content_language import languages
from core.texts import StoredText
from members.models import Company
from members.selectors import member_contacts
from notifications.models import NotificationKind
from notifications.services import notifications_send
from outbox.services import outbox_enqueue

from . import points, texts
from .models import OfferAudience, OfferPage


def offer_audience(offer: OfferPage):
    """The people who may open ``offer`` (``cms.selectors.offer_unlocked_for``'s rule for
    members): active contacts of active companies — for a tier offer, only those whose
    company is in one of its tiers or a tier above the lowest of them. Staff are never notified."""
    if offer.audience == OfferAudience.TIERS:
        return member_contacts(companies=Company.objects.filter(pk__in=points.companies_in_tiers(offer.tier_ids)))
    return member_contacts()


def offer_notice_key(offer: OfferPage) -> str:
    """The notices' key of ``offer`` and of each of its translations: one announcement per
    offer, whichever language's page is published, and in whatever order."""
    return f"offer:{offer.translation_key}"


def offer_versions(offer: OfferPage) -> dict[str, OfferPage]:
    """The live translations of ``offer`` (itself included when live), by language. One query."""
    versions = OfferPage.objects.live().filter(translation_key=offer.translation_key).select_related("locale")
    return {version.locale.language_code: version for version in versions.order_by("pk")}


def offer_announce(*, offer_id: int, email: bool = True, now: datetime | None = None) -> int:
    """Notify everyone who may open the offer, once per offer and person, whichever of its
    translations is published and however often (key ``offer_notice_key``: the pages'
    ``translation_key``). Nothing for an offer that is not live or not current (expired, or
    not valid yet) when this runs. Returns notices written or found (``email=False``: in
    the portal only, for the demo seed).

    The offer is its default language's page where that is live (its audience, validity
    and link), else the page published. The notice keeps the title and introduction of
    every live translation and is read in the reader's language, else the default
    language's; a translation published after the announcement gives the notices already
    written its words (``reword``), without telling anyone again. The link is the offer's
    path, where each reader is served their language's page (``HomePage.route``)."""
    published = OfferPage.objects.live().filter(pk=offer_id).first()
    if published is None:
        return 0
    with transaction.atomic():
        # Lock, then read: two translations published seconds apart start two of these at
        # once, and the slower one would reword the notices with the translations it read
        # before the other went live. Locked on the offer's own rows (every translation, in
        # primary-key order; not Wagtail's page rows, which saving a draft writes), they run
        # one after the other, each reading what is live once the one before has committed.
        list(
            OfferPage.objects.select_for_update(of=("self",))
            .filter(translation_key=published.translation_key)
            .order_by("pk")
            .only("pk")
        )
        return _offer_announce(published, email=email, now=now)


def _offer_announce(published: OfferPage, *, email: bool, now: datetime | None) -> int:
    versions = offer_versions(published)
    offer = versions.get(settings.LANGUAGE_CODE, published)
    if not offer.is_current(now):
        return 0
    titles = {language: version.title for language, version in versions.items()}
    introductions = {language: version.introduction for language, version in versions.items()}
    tiers = list(offer.tiers.all()) if offer.audience == OfferAudience.TIERS else []
    url = urlsplit(offer.get_url() or "").path or "/"
    notices = notifications_send(
        users=offer_audience(offer).iterator(chunk_size=1000),
        kind=NotificationKind.OFFER,
        key=offer_notice_key(offer),
        title=_tier_offer_title(titles, tiers) if tiers else StoredText(texts.OFFER, {"title": titles}),
        body=StoredText(texts.OFFER_INTRODUCTION, {"introduction": introductions})
        if any(introductions.values())
        else None,
        url=url,
        email=email,
        reword=True,
    )
    return len(notices)


def _tier_offer_title(titles: dict[str, str], tiers) -> StoredText:
    """A tier offer's notice title, true for every reader: the offer reaches the companies in
    its lowest chosen tier and in every tier ranked above it (``offer_audience``), so it is
    "for Gold members and above" — one text for all, as a Platinum reader of a Gold offer is
    as much its audience as a Gold one — or "for Platinum members" when no tier ranks above
    the lowest. The tier's name is kept in every language, the words rendered in the reader's."""
    lowest = min(tiers, key=lambda tier: (tier.qualifying_points, tier.pk))
    if points.tiers_reached_above(lowest):
        return StoredText(texts.TIER_AND_ABOVE_OFFER, {"title": titles, "tier": _tier_names([lowest])})
    return StoredText(texts.TIER_OFFER, {"title": titles, "tiers": _tier_names([lowest])})


def _tier_names(tiers) -> dict[str, str]:
    """ "Gold / Platinum" in every language the tiers' names are kept in (each with its
    fallback), for the reader's language to be picked when the notice is read."""
    names = {}
    for language in languages():
        with translation.override(language):
            names[language] = " / ".join(str(tier) for tier in tiers)
    return names


# Offers published ahead of their validity are announced when it starts; a day's margin
# covers a beat that was down for a while (announcing is idempotent, so a re-run is harmless).
NEWLY_CURRENT_WINDOW = timedelta(days=1)


def offers_announce_newly_current(*, now: datetime) -> int:
    """Announce the live offers whose validity began in the last day (``valid_from`` in
    (now − 1 day, now]) — those published before they were valid, which the publish itself
    did not announce. Idempotent per offer and person (``offer_announce``'s key), so running
    it every few minutes notifies each member once; an offer's translations are one offer.
    Returns notices in total (new or not)."""
    offers = (
        OfferPage.objects.live()
        .filter(valid_from__gt=now - NEWLY_CURRENT_WINDOW, valid_from__lte=now)
        .order_by("pk")
        .values_list("pk", "translation_key")
    )
    once: dict = {}  # an offer's translations are one offer
    for offer_id, translation_key in offers:
        once.setdefault(translation_key, offer_id)
    return sum(offer_announce(offer_id=offer_id, now=now) for offer_id in once.values())


def on_page_published(sender, instance, revision=None, **kwargs) -> None:
    """``page_published`` receiver for offers: announce after the publish has committed."""
    from .tasks import announce_offer  # lazy: the tasks import this module

    if kwargs.get("alias") or not getattr(instance, "live", False):
        return  # an alias, or a publish scheduled for later (it signals again when it goes live)
    outbox_enqueue(announce_offer, instance.pk)
