"""The ledger's texts: what each entry says to the reader, by message key.

A ledger entry stores ``memo_key`` and ``memo_params`` (``core.texts``); these are the
keys the points economy writes. Campaigns (``campaigns.texts``) and the rep workspace
(``reps.texts``) register the keys of the entries they cause. Rendering never reads the
database: every name a text shows is one of its parameters.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from core.texts import StoredText, text_param_format, text_register

PURCHASE = "ledger.purchase"
PAID_OFF = "ledger.paid_off"
CREDIT_NOTE = "ledger.credit_note"
EXPIRED = "ledger.expired"
REDEEMED = "ledger.redeemed"
ORDER_REJECTED = "ledger.order_rejected"
ORDER_CANCELLED = "ledger.order_cancelled"
POINTS_RETURNED = "ledger.points_returned"
CLOSED_FORFEITED = "ledger.closed_forfeited"
CLOSED_CREDITED = "ledger.closed_credited"

_PURCHASE = _("Purchase %(ref)s")
_CAMPAIGN_POINTS = _("+%(points)s campaign points: %(campaign)s")


def _purchase_render(formatted: Mapping, params: Mapping) -> str:
    """ "Purchase ERP-1 · +200 campaign points: Spring; +50 campaign points: Gold week"."""
    text = str(_PURCHASE) % {"ref": formatted.get("ref", "")}
    campaigns = params.get("campaigns") or []
    parts = [
        str(_CAMPAIGN_POINTS)
        % {"points": text_param_format(item.get("points", 0)), "campaign": item.get("campaign", "")}
        for item in campaigns
        if isinstance(item, Mapping)
    ]
    return f"{text} · {'; '.join(parts)}" if parts else text


text_register(PURCHASE, render=_purchase_render)
text_register(PAID_OFF, _("%(points)s points owed were paid off."))
text_register(CREDIT_NOTE, _("Credit note %(ref)s for purchase %(original)s"))
text_register(EXPIRED, _("Points that reached their expiry date by %(day)s"), dates=("day",))
text_register(REDEEMED, _("%(reward)s × %(quantity)s"))
text_register(ORDER_REJECTED, _("Order %(number)s rejected: points returned"))
text_register(ORDER_CANCELLED, _("Order %(number)s cancelled: points returned"))
text_register(POINTS_RETURNED, _("Points returned"))
text_register(CLOSED_FORFEITED, _("The company left the club: its points were forfeited"))
text_register(CLOSED_CREDITED, _("The company left the club: its points were paid out as invoice credit %(credit)s"))


def purchase_memo(*, ref: str, campaigns: list[tuple[int, str]] = ()) -> StoredText:
    """An earn's memo: the purchase reference and each campaign's extra points (points, name)."""
    params: dict = {"ref": ref}
    if campaigns:
        params["campaigns"] = [{"points": points, "campaign": name} for points, name in campaigns]
    return StoredText(PURCHASE, params)
