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

from django.utils import translation

from core.content_language import languages
from core.texts import StoredText, free_text
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
    company is in one of its tiers. Staff are never notified."""
    if offer.audience == OfferAudience.TIERS:
        return member_contacts(companies=Company.objects.filter(pk__in=points.companies_in_tiers(offer.tier_ids)))
    return member_contacts()


def offer_announce(*, offer_id: int, email: bool = True, now: datetime | None = None) -> int:
    """Notify everyone who may open the offer, once (key ``offer:<page id>``: republishing an
    edited offer notifies nobody again). Nothing for an offer that is not live or not
    current (expired, or not valid yet) when this runs. Returns notices written
    (``email=False``: in the portal only, for the demo seed)."""
    offer = OfferPage.objects.live().filter(pk=offer_id).first()
    if offer is None or not offer.is_current(now):
        return 0
    tiers = list(offer.tiers.all()) if offer.audience == OfferAudience.TIERS else []
    url = urlsplit(offer.get_url() or "").path or "/"
    notices = notifications_send(
        users=offer_audience(offer).iterator(chunk_size=1000),
        kind=NotificationKind.OFFER,
        key=f"offer:{offer.pk}",
        title=StoredText(texts.TIER_OFFER, {"title": offer.title, "tiers": _tier_names(tiers)})
        if tiers
        else StoredText(texts.OFFER, {"title": offer.title}),
        body=free_text(offer.introduction) if offer.introduction else None,
        url=url,
        email=email,
    )
    return len(notices)


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
    it every few minutes notifies each member once. Returns notices in total (new or not)."""
    offer_ids = (
        OfferPage.objects.live()
        .filter(valid_from__gt=now - NEWLY_CURRENT_WINDOW, valid_from__lte=now)
        .values_list("pk", flat=True)
    )
    return sum(offer_announce(offer_id=offer_id, now=now) for offer_id in offer_ids)


def on_page_published(sender, instance, revision=None, **kwargs) -> None:
    """``page_published`` receiver for offers: announce after the publish has committed."""
    from .tasks import announce_offer  # lazy: the tasks import this module

    if kwargs.get("alias") or not getattr(instance, "live", False):
        return  # an alias, or a publish scheduled for later (it signals again when it goes live)
    outbox_enqueue(announce_offer, instance.pk)
