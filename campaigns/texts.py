"""Texts of the ledger entries and notifications campaigns cause, by message key (see
``core.texts``)."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from core.texts import text_register

ACTIVITY = "campaigns.activity"
CHALLENGE = "campaigns.challenge"

_ACTIVITY = _("%(kind)s: %(title)s")


def _activity_render(formatted: Mapping, params: Mapping) -> str:
    """ "Review: Tell us about the new catalogue", the kind in the reader's language."""
    from .models import ActivityKind  # the models are loaded when anything renders

    try:
        kind = str(ActivityKind(params.get("kind")).label)
    except ValueError:
        kind = str(params.get("kind", ""))
    return str(_ACTIVITY) % {"kind": kind, "title": formatted.get("title", "")}


text_register(ACTIVITY, render=_activity_render)
text_register(CHALLENGE, _("Challenge completed: %(title)s"))

CAMPAIGN_STARTED = "notice.campaign_started"
CAMPAIGN_HEADLINE = "notice.campaign_headline"
# An award's notice names the points with their value ("250 points (12.50 SEK) for …");
# notices stored before 2026-12-08 keep the old key, whose points are a bare number.
ACTIVITY_AWARDED = "notice.activity_awarded_worth"
ACTIVITY_AWARDED_BARE = "notice.activity_awarded"
CHALLENGE_COMPLETED = "notice.challenge_completed"

text_register(CAMPAIGN_STARTED, _("A campaign for your company has started: %(campaign)s"))
text_register(CAMPAIGN_HEADLINE, "%(headline)s")  # the campaign's own words, in the reader's language if kept so
text_register(ACTIVITY_AWARDED, _("%(points)s for “%(activity)s”"), points=("points",))
text_register(ACTIVITY_AWARDED_BARE, _("%(points)s points for “%(activity)s”"))
text_register(CHALLENGE_COMPLETED, _("Challenge completed: %(challenge)s"))
