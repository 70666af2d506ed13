"""Reads for content pages: what the member in front of us may see.

Every selector returns a bounded number of queries whatever the number of pages:
images come with ``select_related`` and their renditions prefetched, tier audiences
with ``prefetch_related``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.images import get_image_model
from wagtail.models import Page

from core.content_language import reading_order

from . import points
from .models import (
    ArticlePage,
    ArticleTag,
    EventIndexPage,
    EventPage,
    EventRegistration,
    NewsIndexPage,
    OfferAudience,
    OfferIndexPage,
    OfferPage,
    RegistrationStatus,
    SearchPage,
)

# The renditions card templates ask for; prefetched so a list costs no query per card.
CARD_RENDITION = "fill-640x360"


def for_reader(queryset):
    """One page per translation, in the reader's language where it exists, else the default
    language's, else whichever language it was written in (the order of
    ``core.content_language.reading_order``). Without Wagtail i18n, ``queryset`` as is.

    Subqueries only: no query of its own, whatever the number of pages or languages."""
    if not getattr(settings, "WAGTAIL_I18N_ENABLED", False):
        return queryset
    shown = Q(pk__in=[])
    earlier: list[str] = []
    for language in reading_order():
        in_language = Q(locale__language_code=language)
        if earlier:
            translated_earlier = Page.objects.live().filter(locale__language_code__in=earlier)
            in_language &= ~Q(translation_key__in=translated_earlier.values("translation_key"))
        shown |= in_language
        earlier.append(language)
    # The locale rides along: templates mark a page shown in another language with its lang.
    return queryset.filter(shown).select_related("locale")


def _with_card_images(queryset):
    Image = get_image_model()
    return queryset.prefetch_related(
        Prefetch("listing_image", queryset=Image.objects.prefetch_renditions(CARD_RENDITION))
    )


def _current_offers(now=None):
    now = now or timezone.now()
    return (
        for_reader(OfferPage.objects.live())
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=now))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
    )


def _sees_every_tier(request) -> bool:
    # Staff preview content for every audience; members see their own tier's.
    return bool(request.user.is_authenticated and request.user.is_staff)


def offers_unlocked_for(request, *, featured_first: bool = False):
    """Current offers the request's member may open: all-member offers, and tier offers for
    their tier or a lower one (a perk of a tier is a perk of every tier above it: an offer
    reaches a company whose tier ranks at or above the offer's lowest chosen tier)."""
    offers = _current_offers()
    if not _sees_every_tier(request):
        tier = points.request_tier(request)
        audience = Q(audience=OfferAudience.ALL_MEMBERS)
        if tier is not None:
            audience |= Q(audience=OfferAudience.TIERS, tiers__qualifying_points__lte=tier.threshold)
        offers = offers.filter(audience).distinct()
    ordering = ["-featured", "-first_published_at"] if featured_first else ["-first_published_at"]
    return _with_card_images(offers.order_by(*ordering)).prefetch_related("tiers")


def _tier_reaches(tier, offer_tiers) -> bool:
    """Whether a company in ``tier`` (a ``points.TierInfo`` or None) may open a tier offer
    for ``offer_tiers``: its tier ranks at or above the lowest of them."""
    lowest = _lowest_tier(offer_tiers)
    return tier is not None and lowest is not None and tier.threshold >= lowest.qualifying_points


def _lowest_tier(offer_tiers):
    """The offer's lowest chosen tier (by qualifying points), or None."""
    return min(offer_tiers, key=lambda t: (t.qualifying_points, t.pk), default=None)


def offer_unlocked_for(request, offer: OfferPage) -> bool:
    if offer.audience == OfferAudience.ALL_MEMBERS or _sees_every_tier(request):
        return True
    return _tier_reaches(points.request_tier(request), offer.tiers.all())


def offer_tier_to_reach(offer: OfferPage):
    """The tier a company below an offer's tiers has to reach to open it: its lowest."""
    return _lowest_tier(offer.tiers.all())


@dataclass(frozen=True)
class OfferCard:
    offer: OfferPage
    unlocked: bool
    tier_names: list[str]
    # For a locked card: the tier that opens it (the offer's lowest), for "Reach Gold...".
    reach_tier_name: str = ""


def offer_cards_for(request) -> list[OfferCard]:
    """Every current offer: those for the member's tier or a lower one open, the higher
    tiers' as teasers naming the tier to reach."""
    offers = _with_card_images(_current_offers().prefetch_related("tiers").order_by("-featured", "valid_until"))
    tier = points.request_tier(request)
    cards = []
    for offer in offers:
        tiers = list(offer.tiers.all())
        unlocked = (
            offer.audience == OfferAudience.ALL_MEMBERS or _sees_every_tier(request) or _tier_reaches(tier, tiers)
        )
        lowest = _lowest_tier(tiers)
        cards.append(
            OfferCard(
                offer=offer,
                unlocked=unlocked,
                tier_names=[str(t) for t in tiers],
                reach_tier_name=str(lowest) if lowest is not None and not unlocked else "",
            )
        )
    return cards


def latest_articles(*, category_slug: str = "", tag: str = ""):
    articles = for_reader(ArticlePage.objects.live()).order_by("-date", "-pk")
    if category_slug:
        articles = articles.filter(categories__slug=category_slug)
    if tag:
        articles = articles.filter(tags__name=tag)
    return _with_card_images(articles.prefetch_related("categories").distinct())


def news_tag_used(name: str) -> bool:
    """Whether any article, published or not, carries the tag ``name`` (one query; none for a
    name with a NUL, which PostgreSQL refuses in any text and no tag can have)."""
    if "\x00" in name:
        return False
    return ArticleTag.objects.filter(tag__name=name).exists()


def upcoming_events(*, user=None):
    events = for_reader(EventPage.objects.live()).filter(starts_at__gte=timezone.now()).order_by("starts_at")
    return _with_card_images(events)


def event_status_for(event: EventPage, *, user) -> dict:
    """Places left, and this person's registration (if any), for the event page."""
    active = event.registrations.filter(status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED])
    confirmed = active.filter(status=RegistrationStatus.CONFIRMED).count()
    mine = None
    if user is not None and user.is_authenticated:
        mine = active.filter(user=user).first()
    position = None
    if mine is not None and mine.status == RegistrationStatus.WAITLISTED:
        position = (
            active.filter(status=RegistrationStatus.WAITLISTED)
            .filter(Q(created_at__lt=mine.created_at) | Q(created_at=mine.created_at, pk__lt=mine.pk))
            .count()
            + 1
        )
    return {
        "places_left": max(event.capacity - confirmed, 0),
        "registration": mine,
        "waitlist_position": position,
        "signup_open": event.signup_open(),
    }


def dashboard_content(request) -> dict:
    """The dashboard panel: the newest offers the member may open, and the latest news."""
    return {
        "offers": list(offers_unlocked_for(request)[:3]),
        "articles": list(latest_articles()[:3]),
    }


SEARCH_KINDS = ("offers", "news", "events")


def search_content_by_kind(request, query: str, *, cap: int = 200) -> dict[str, list[Page]]:
    """Offers, news and events matching ``query`` that the member may see, best first,
    grouped by kind (``SEARCH_KINDS``); at most ``cap`` of each.

    The search backend ranks; the visibility rules (live, current, the member's tier)
    are applied by the same selectors the listings use, so search never shows more.
    Two queries per kind, however many pages match.
    """
    visible_by_kind = {
        "offers": (OfferPage, lambda ids: offers_unlocked_for(request).filter(pk__in=ids)),
        "news": (ArticlePage, lambda ids: _with_card_images(for_reader(ArticlePage.objects.live()).filter(pk__in=ids))),
        "events": (EventPage, lambda ids: _with_card_images(for_reader(EventPage.objects.live()).filter(pk__in=ids))),
    }
    # Words only: quotes, NUL and other punctuation mean syntax to the search backends (an
    # unbalanced '"' broke SQLite's full-text query with a 500); a member searches for words.
    words = " ".join(re.findall(r"\w+", query))
    grouped = {}
    for kind in SEARCH_KINDS:
        model, visible = visible_by_kind[kind]
        ids = [hit.pk for hit in model.objects.live().search(words, operator="and")[:cap]] if words else []
        pages = {page.pk: page for page in visible(ids)}
        grouped[kind] = [pages[pk] for pk in ids if pk in pages]
    return grouped


def search_content(request, query: str, *, limit: int = 30) -> list[Page]:
    """Offers, news and events matching ``query`` that the member may see (all kinds in one
    list, offers first)."""
    grouped = search_content_by_kind(request, query, cap=limit)
    return [page for kind in SEARCH_KINDS for page in grouped[kind]][:limit]


def registrations_for(event: EventPage):
    return EventRegistration.objects.filter(event=event).select_related("user").order_by("created_at", "pk")


def navigation_pages(request) -> list[tuple[str, str, str]]:
    """(label, url, icon) for the live Offers, News, Events and Search pages, in that order."""

    wanted = [
        (OfferIndexPage, _("Offers"), "tag"),
        (NewsIndexPage, _("News"), "newspaper"),
        (EventIndexPage, _("Events"), "calendar-event"),
        (SearchPage, _("Search"), "search"),
    ]
    pages = {
        page.specific_class: page
        for page in for_reader(Page.objects.live().type(*(model for model, _label, _icon in wanted))).order_by("path")
    }
    return [(label, pages[model].get_url(request), icon) for model, label, icon in wanted if model in pages]
