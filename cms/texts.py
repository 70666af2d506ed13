"""What offer announcements say, by message key (``core.texts``), rendered in the reader's
language. An offer's words are captured when the notice is written, once per translation
of the page (``{"en": …, "sv": …}``): the title and the introduction are the reader's
language's version of the offer where there is one, else the default language's."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.texts import text_register

OFFER = "notice.offer"
TIER_OFFER = "notice.tier_offer"
TIER_AND_ABOVE_OFFER = "notice.tier_and_above_offer"
OFFER_INTRODUCTION = "notice.offer_introduction"


def _introduction(formatted: Mapping, params: Mapping) -> str:
    """The introduction of the version whose title the reader sees (their language's, else
    the default language's, else any): an empty one stays empty rather than showing another
    language's under a translated title."""
    introductions = params.get("introduction") or {}
    if not isinstance(introductions, Mapping):
        return str(introductions)
    for language in (translation.get_language(), settings.LANGUAGE_CODE):
        if language in introductions:
            return str(introductions[language] or "")
    return next((str(text) for text in introductions.values() if text), "")


text_register(OFFER, _("New offer: %(title)s"))
# An offer for chosen tiers reaches the companies at or above the lowest of them
# (``cms.selectors``): the notice names that tier, "and above" when some tier ranks above it,
# so a Platinum reader of a Gold offer is not told it is for Gold members.
text_register(TIER_OFFER, _("New offer for %(tiers)s members: %(title)s"))
text_register(TIER_AND_ABOVE_OFFER, _("New offer for %(tier)s members and above: %(title)s"))
text_register(OFFER_INTRODUCTION, render=_introduction)
