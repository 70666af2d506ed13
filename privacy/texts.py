"""What erasure notices say, by message key (``core.texts``), rendered in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.texts import text_register

ERASURE_REQUESTED = "notice.erasure_requested"
ERASURE_REQUESTED_BODY = "notice.erasure_requested_body"

text_register(ERASURE_REQUESTED, _("%(name)s asks to have their personal data erased"))
text_register(
    ERASURE_REQUESTED_BODY,
    _("As an admin of the company you can confirm the request on the company page. It is due by %(date)s."),
    dates=("date",),
)
