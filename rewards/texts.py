"""The ledger's texts, and the points economy's notifications: what each says to the
reader, by message key.

A ledger entry stores ``memo_key`` and ``memo_params`` (``core.texts``); these are the
keys the points economy writes. Campaigns (``campaigns.texts``) and the rep workspace
(``reps.texts``) register the keys of the entries they cause. Rendering never reads the
database: every name a text shows is one of its parameters.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

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
        % {"points": text_param_format(item.get("points", 0)), "campaign": text_param_format(item.get("campaign", ""))}
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


# --- Notifications (notifications.services.notifications_send) -----------------------------
# What the points economy tells members; points are ``core.texts.points_param`` values.

POINTS_ARRIVED = "notice.points_arrived"
PURCHASE_PENDING = "notice.purchase_pending"
PURCHASE_SPENDABLE = "notice.purchase_spendable"
PURCHASES_EARNED = "notice.purchases_earned"
EXPIRING = "notice.expiring"
EXPIRING_BY = "notice.expiring_by"
EXPIRING_BODY = "notice.expiring_body"
ORDER_APPROVAL_ASKED = "notice.order_approval_asked"
ORDER_APPROVAL_ASKED_BODY = "notice.order_approval_asked_body"

text_register(POINTS_ARRIVED, _("%(points)s arrived"), points=("points",))
text_register(
    PURCHASE_PENDING,
    _("For purchase %(ref)s. They become spendable on %(date)s, when the return window has closed."),
    dates=("date",),
)
text_register(PURCHASE_SPENDABLE, _("For purchase %(ref)s. They can be spent now."))

_PURCHASES_EARNED = _("%(purchases)s earned them. See your points history for each one.")


def _purchases_earned_render(formatted: Mapping, params: Mapping) -> str:
    """ "30 purchases earned them…", the count in the reader's plural."""
    count = int(params.get("purchases", 0))
    purchases = ngettext("One purchase", "%(count)s purchases", count) % {"count": text_param_format(count)}
    return str(_PURCHASES_EARNED) % {"purchases": purchases}


text_register(PURCHASES_EARNED, render=_purchases_earned_render)
text_register(EXPIRING, _("%(points)s expire on %(date)s"), dates=("date",), points=("points",))
text_register(EXPIRING_BY, _("%(points)s expire by %(date)s"), dates=("date",), points=("points",))

_EXPIRING_BODY = _("Points of %(company)s are about to expire:\n%(items)s\nUse them for rewards before then.")
_EXPIRING_ITEM = _("%(points)s on %(date)s")


def _expiring_body_render(formatted: Mapping, params: Mapping) -> str:
    """The company's expiring points, one line per day: ``items`` is a list of
    ``{"date": ISO date, "points": points_param}``."""
    lines = "\n".join(
        "– "
        + str(_EXPIRING_ITEM)
        % {
            "points": text_param_format(item.get("points", {}), is_points=True),
            "date": text_param_format(item.get("date", ""), is_date=True),
        }
        for item in params.get("items") or []
        if isinstance(item, Mapping)
    )
    return str(_EXPIRING_BODY) % {"company": formatted.get("company", ""), "items": lines}


text_register(EXPIRING_BODY, render=_expiring_body_render)

# rewards.models.RedemptionStatus's values (the models import this module).
_ORDER_STATUSES = ("requested", "awaiting_approval", "approved", "fulfilled", "rejected", "cancelled")

# An order's status, told to whoever placed it: ``ORDER_TITLES[status]`` and ``ORDER_BODIES[status]``.
ORDER_TITLES = {status: f"notice.order_{status}" for status in _ORDER_STATUSES}
ORDER_BODIES = {status: f"notice.order_{status}_body" for status in _ORDER_STATUSES}

for _status, _template in {
    "requested": _("Order %(number)s placed: %(reward)s"),
    "awaiting_approval": _("Order %(number)s is waiting for a company admin's approval"),
    "approved": _("Order %(number)s was approved"),
    "fulfilled": _("Order %(number)s has been fulfilled"),
    "rejected": _("Order %(number)s was rejected"),
    "cancelled": _("Order %(number)s was cancelled"),
}.items():
    text_register(ORDER_TITLES[_status], _template)

for _status, _template in {
    "requested": _(
        "%(reward)s × %(quantity)s. %(points)s are reserved for it; we will tell you when it is on its way."
    ),
    "awaiting_approval": _(
        "%(reward)s × %(quantity)s costs more than your company's approval limit. "
        "The %(points)s are reserved until a company admin decides."
    ),
    "approved": _("%(actor)s approved %(reward)s × %(quantity)s. %(comment)s"),
    "rejected": _("%(reward)s × %(quantity)s: %(points)s are back in your company's balance. Reason: %(comment)s"),
    "cancelled": _("%(reward)s × %(quantity)s: %(points)s are back in your company's balance."),
}.items():
    text_register(ORDER_BODIES[_status], _template, points=("points",))

_FULFILLED = _("%(reward)s × %(quantity)s. %(detail)s")
_FULFILLED_DETAIL = {
    "physical": _("It is on its way to you."),
    "voucher": _("Your voucher code is on the order page."),
    "experience": _("Your booking is confirmed; the details are on the order page."),
    "donation": _("The donation has been made in your company's name. Thank you!"),
    "invoice_credit": _("The credit will be deducted from your company's next invoice."),
}


def _fulfilled_render(formatted: Mapping, params: Mapping) -> str:
    """A fulfilled order: what happens next for its kind of reward (``reward_kind``), the
    voucher codes if it had any (``codes``), the carrier's reference (``tracking``)."""
    codes = [str(code) for code in params.get("codes") or []]
    if codes:
        detail = ngettext("Your voucher code: %(codes)s", "Your voucher codes: %(codes)s", len(codes)) % {
            "codes": ", ".join(codes)
        }
    else:
        detail = str(_FULFILLED_DETAIL.get(params.get("reward_kind"), ""))
    detail = f"{detail} {params.get('tracking') or ''}".strip()
    return str(_FULFILLED) % {
        "reward": formatted.get("reward", ""),
        "quantity": formatted.get("quantity", ""),
        "detail": detail,
    }


text_register(ORDER_BODIES["fulfilled"], render=_fulfilled_render)
text_register(ORDER_APPROVAL_ASKED, _("%(name)s asks you to approve order %(number)s"))
text_register(ORDER_APPROVAL_ASKED_BODY, _("%(reward)s × %(quantity)s for %(points)s."), points=("points",))
