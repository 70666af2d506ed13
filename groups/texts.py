"""What a transfer's ledger entries say, by message key (``core.texts``): rendered in the
reader's language; the company names are parameters captured when the entry was written."""

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
