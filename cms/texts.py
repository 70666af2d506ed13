"""What offer announcements say, by message key (``core.texts``), rendered in the reader's
language; the offer's title, tiers and introduction are parameters captured when written."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.texts import text_register

OFFER = "notice.offer"
TIER_OFFER = "notice.tier_offer"

text_register(OFFER, _("New offer: %(title)s"))
text_register(TIER_OFFER, _("New offer for %(tiers)s members: %(title)s"))
