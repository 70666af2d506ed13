"""Texts of the ledger entries and notifications the rep workspace causes, by message key
(see ``core.texts``). The reason is the rep's own words, kept as typed."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.texts import text_register

GOODWILL = "reps.goodwill"

text_register(GOODWILL, _("Goodwill from %(rep)s: %(reason)s"))

GOODWILL_NOTICE = "notice.goodwill"
GOODWILL_NOTICE_BODY = "notice.goodwill_body"

text_register(GOODWILL_NOTICE, _("%(rep)s gave you %(points)s"), points=("points",))
text_register(GOODWILL_NOTICE_BODY, _("“%(reason)s” The points are in your balance now."))
