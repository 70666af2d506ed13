"""What a transfer's ledger entries and notifications say, by message key (``core.texts``):
rendered in the reader's language; the company names are parameters captured when the
entry or notification was written."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.texts import text_register

TRANSFER_OUT = "groups.transfer_out"
TRANSFER_IN = "groups.transfer_in"
POOL_OUT = "groups.pool_out"
POOL_IN = "groups.pool_in"

text_register(TRANSFER_OUT, _("Transfer %(number)s to %(company)s"))
text_register(TRANSFER_IN, _("Transfer %(number)s from %(company)s"))
text_register(POOL_OUT, _("Points pooled with group %(group)s"))
text_register(POOL_IN, _("Points pooled from %(company)s"))

TRANSFER_REJECTED = "notice.transfer_rejected"
TRANSFER_REJECTED_BODY = "notice.transfer_rejected_body"
TRANSFER_RECEIVED = "notice.transfer_received"
TRANSFER_RECEIVED_BODY = "notice.transfer_received_body"
TRANSFER_APPROVED = "notice.transfer_approved"
TRANSFER_APPROVED_BODY = "notice.transfer_approved_body"
TRANSFER_APPROVAL = "notice.transfer_approval"
TRANSFER_APPROVAL_BODY = "notice.transfer_approval_body"

_POINTS = ("points",)
text_register(TRANSFER_REJECTED, _("Transfer %(number)s was rejected"))
text_register(
    TRANSFER_REJECTED_BODY,
    _("%(points)s from %(sender)s to %(receiver)s were not transferred. %(comment)s"),
    points=_POINTS,
)
text_register(TRANSFER_RECEIVED, _("%(points)s arrived from %(sender)s"), points=_POINTS)
text_register(
    TRANSFER_RECEIVED_BODY, _("Transfer %(number)s: %(sender)s sent your company %(points)s."), points=_POINTS
)
text_register(TRANSFER_APPROVED, _("Transfer %(number)s was approved"))
text_register(TRANSFER_APPROVED_BODY, _("%(points)s moved from %(sender)s to %(receiver)s."), points=_POINTS)
text_register(TRANSFER_APPROVAL, _("Transfer %(number)s is waiting for your approval"))
text_register(TRANSFER_APPROVAL_BODY, _("%(sender)s wants to send %(points)s to %(receiver)s."), points=_POINTS)
