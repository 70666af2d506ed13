"""Texts of the ledger entries campaigns cause, by message key (see ``core.texts``)."""

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
