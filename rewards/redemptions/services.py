"""Redemptions: a company spends its points on a reward, and the order travels to delivery.

This module is the only place a redemption's status, a reward's stock or a voucher code's
assignment changes. Every function runs in one transaction and raises ``RedemptionError``
with a message for the person when a rule is broken; nothing is written then.

**Lock order**, in every function that takes more than one lock: the company's points
account row, then the reward row, then the redemption row, then voucher codes (skipping
codes another transaction holds). Two transactions therefore never wait for each other in
opposite orders. Functions that only touch the redemption row (approve, fulfil) lock just
that row.

What holds, whatever the concurrency:

* **Points.** ``redemption_request`` reserves the points with one redeem entry
  (``rewards.ledger.services.points_redeem``) under the account lock, after checking the balance
  under that lock; the balance CHECK (≥ 0) is the last guard. A rejected or cancelled
  redemption gets its points back with one reversal entry of that redeem entry
  (``points_return_redeemed``, UNIQUE key and ``reverses`` link), and the redemption's
  own CHECK ties ``return_entry`` to those two statuses: points come back exactly once.
* **Stock.** Decremented with ``F()`` under the reward row lock after checking it; the
  CHECK ``stock >= 0`` is the last guard. Rejected or cancelled redemptions put it back.
* **Per-company limits** are counted under the account lock, which every redemption of the
  company takes first, so two colleagues cannot both take the last one of this month.
* **Voucher codes.** A redemption takes free codes under the reward lock with
  ``select_for_update(skip_locked=True)``; a code row has one redemption link, so it is
  never handed to two. An e-voucher needs no hands: an order that needs no approval is
  fulfilled in the transaction that takes its codes, and one that waits for approval is
  fulfilled in the transaction that approves it; the codes go out in that notification.
  The company sees its codes once the redemption is fulfilled; a rejected or cancelled
  redemption puts its never-shown codes back in the pool.
* **Idempotency.** A request carries a key from the confirm form (UNIQUE ``request_key``),
  so a double-submitted form places one order; fulfilling a fulfilled redemption returns
  it unchanged (the API's retry), and rejecting or cancelling twice returns the first result.

Every status change writes a ``RedemptionEvent`` and notifies the person who requested the
redemption (``NotificationKind.REDEMPTION``); a redemption that needs approval also notifies
the company's admins (``NotificationKind.APPROVAL``). Notifications are written in the same
transaction and e-mailed after commit by ``notifications.services.notifications_send``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.content_language import translations_of
from core.formatting import format_money, format_number
from core.texts import StoredText
from members.models import Company, Membership, MembershipRole, User
from members.selectors import company_admins
from notifications.models import NotificationKind
from notifications.services import notifications_send
from outbox.events import EventType, event_emit, events_wanted
from rewards.catalogue.selectors import reward_offered_to
from rewards.catalogue.services import currency_refusal
from rewards.ledger.notices import points_with_value_param
from rewards.ledger.selectors import points_value
from rewards.ledger.services import LedgerError, points_account_lock, points_redeem, points_return_redeemed
from rewards.models import (
    MONEY_KINDS,
    OPEN_STATUSES,
    RETURNED_STATUSES,
    TO_FULFIL,
    CompanyRewardSettings,
    LimitPeriod,
    PointsAccount,
    ProgrammeRules,
    Redemption,
    RedemptionEvent,
    RedemptionStatus,
    Reward,
    RewardKind,
    Tier,
    VoucherCode,
)
from rewards.redemptions.credits import (
    InvoiceCreditError,
    invoice_credit_currency_refusal,
    invoice_credit_for_redemption,
)
from rewards.texts import (
    ORDER_APPROVAL_ASKED,
    ORDER_APPROVAL_ASKED_BODY,
    ORDER_BODIES,
    ORDER_CANCELLED,
    ORDER_REJECTED,
    ORDER_TITLES,
    REDEEMED,
)

FULFIL_PERMISSION = "rewards.fulfil_redemption"
MAX_QUANTITY = 99


class RedemptionError(Exception):
    """A redemption rule was broken; the message is meant for the person who tried."""


# --- Who may do what -------------------------------------------------------------------------


def can_redeem(membership: Membership | None) -> bool:
    """Company admins and purchasers redeem; viewers only look."""
    return membership is not None and membership.role in (MembershipRole.ADMIN, MembershipRole.PURCHASER)


def can_fulfil(user: User | None) -> bool:
    """Staff who run the fulfilment queue (Club admins)."""
    return bool(user is not None and user.is_active and user.is_staff and user.has_perm(FULFIL_PERMISSION))


def needs_approval(*, membership: Membership, points_total: int, threshold: int | None) -> bool:
    """A purchaser's redemption costing more than the company's threshold waits for an admin."""
    return membership.role == MembershipRole.PURCHASER and threshold is not None and points_total > threshold


def approval_threshold(*, company_id: int) -> int | None:
    return (
        CompanyRewardSettings.objects.filter(company_id=company_id).values_list("approval_threshold", flat=True).first()
    )


def limit_window_start(period: str, now: datetime) -> datetime | None:
    """The start (local time) of the limit period ``now`` falls in; None for "in total"."""
    local = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == LimitPeriod.MONTH:
        return local.replace(day=1)
    if period == LimitPeriod.QUARTER:
        return local.replace(day=1, month=3 * ((local.month - 1) // 3) + 1)
    if period == LimitPeriod.YEAR:
        return local.replace(day=1, month=1)
    return None


def redeemed_in_period(*, company_id: int, reward: Reward, now: datetime) -> int:
    """How many of ``reward`` the company has redeemed in the current limit period (rejected
    and cancelled redemptions do not count). One query."""
    queryset = Redemption.objects.filter(company_id=company_id, reward_id=reward.pk).exclude(
        status__in=RETURNED_STATUSES
    )
    start = limit_window_start(reward.limit_period, now)
    if start is not None:
        queryset = queryset.filter(requested_at__gte=start)
    return queryset.aggregate(total=Sum("quantity"))["total"] or 0


def free_codes_count(reward: Reward) -> int:
    return VoucherCode.objects.filter(reward=reward, redemption__isnull=True).count()


def _points(points: int) -> str:
    return format_number(points)


def _moment(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _refusal(
    *,
    reward: Reward,
    membership: Membership,
    tier: Tier | None,
    balance: int,
    quantity: int,
    used_in_period: int,
    left: int | None,
    now: datetime,
) -> str | None:
    """The first rule a redemption of ``quantity`` × ``reward`` breaks, as a message, or None.

    Pure: the caller reads (and, when it writes, locks) the figures. ``left`` is the stock
    or the number of free voucher codes; None means unlimited.
    """
    if not can_redeem(membership):
        return _("Viewers cannot redeem rewards. Ask a purchaser or a company admin of your company.")
    if not membership.company.is_active:
        return _("Your company's membership is suspended; rewards cannot be redeemed.")
    if not reward.is_active:
        return _("This reward is no longer in the catalogue.")
    if not reward_offered_to(reward, membership.company):  # another currency's money
        return currency_refusal(reward, membership.company)
    if reward.available_from and now < reward.available_from:
        return _("This reward can be redeemed from %(date)s.") % {"date": _moment(reward.available_from)}
    if reward.available_until and now >= reward.available_until:
        return _("This reward could only be redeemed until %(date)s.") % {"date": _moment(reward.available_until)}
    required = reward.tier_required
    if required is not None and (tier is None or tier.qualifying_points < required.qualifying_points):
        return _("This reward is for companies in the %(required)s tier and above; yours is %(tier)s.") % {
            "required": required.name,
            "tier": tier.name if tier else _("not in a tier yet"),
        }
    if quantity < 1:
        return _("Order at least one.")
    if quantity > min(reward.max_per_order, MAX_QUANTITY):
        return _("You can order at most %(count)s at a time.") % {"count": min(reward.max_per_order, MAX_QUANTITY)}
    if left is not None and quantity > left:
        if left == 0:
            return _("Sorry, this reward is out of stock.")
        return _("Only %(left)s left; order %(left)s or fewer.") % {"left": left}
    if reward.company_limit is not None and used_in_period + quantity > reward.company_limit:
        remaining = max(0, reward.company_limit - used_in_period)
        return _("Your company can redeem this reward %(limit)s times %(period)s; %(remaining)s left for now.") % {
            "limit": reward.company_limit,
            "period": reward.get_limit_period_display(),
            "remaining": remaining,
        }
    total = reward.points_cost * quantity
    if balance < total:
        rules = ProgrammeRules.current().base.for_company(membership.company)
        return _(
            "Not enough points: your company has %(balance)s points and this needs %(total)s "
            "(%(missing)s to go, worth %(value)s)."
        ) % {
            "balance": _points(balance),
            "total": _points(total),
            "missing": _points(total - balance),
            "value": format_money(points_value(points=total - balance, rules=rules), rules.currency),
        }
    return None


# --- Requesting --------------------------------------------------------------------------------


def _raise_if_refused(*, reward: Reward, membership: Membership, tier, balance: int, quantity: int, left, now) -> None:
    """Every redemption rule, checked once for the quote and again, under the locks, for the
    request: raises ``RedemptionError`` with the first rule broken."""
    used_in_period = (
        redeemed_in_period(company_id=membership.company_id, reward=reward, now=now) if reward.company_limit else 0
    )
    refusal = _refusal(
        reward=reward,
        membership=membership,
        tier=tier,
        balance=balance,
        quantity=quantity,
        used_in_period=used_in_period,
        left=left,
        now=now,
    )
    if refusal:
        raise RedemptionError(refusal)


@dataclass(frozen=True)
class DeliveryAddress:
    name: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    phone: str = ""

    @classmethod
    def for_member(cls, *, company: Company, user: User) -> DeliveryAddress:
        """The prefill: the company's address, for the attention of the person ordering."""
        return cls(
            name=f"{company.name}, {user.get_full_name() or user.email}",
            street=company.street_address,
            postal_code=company.postal_code,
            city=company.city,
            country=company.country,
            phone=user.phone,
        )

    @property
    def is_complete(self) -> bool:
        return all(part.strip() for part in (self.name, self.street, self.postal_code, self.city, self.country))


@dataclass(frozen=True)
class RedemptionQuote:
    """What the confirm page shows: the total, the balance before and after, and whether a
    company admin must approve the order."""

    reward: Reward
    quantity: int
    points_total: int
    balance_before: int
    balance_after: int
    needs_approval: bool
    approval_threshold: int | None

    @property
    def points_change(self) -> int:
        """The order's effect on the balance (negative)."""
        return -self.points_total


def redemption_quote(*, reward: Reward, membership: Membership, quantity: int, now: datetime | None = None):
    """Check a redemption without making it; raises ``RedemptionError`` with the rule it
    would break. Writes nothing and locks nothing: ``redemption_request`` checks again under
    its locks, so a quote is advice, not a reservation. Five queries at most."""
    now = now or timezone.now()
    account = PointsAccount.objects.filter(company_id=membership.company_id).select_related("tier").first()
    balance = account.balance if account else 0
    left = free_codes_count(reward) if reward.uses_code_pool else reward.stock
    _raise_if_refused(
        reward=reward,
        membership=membership,
        tier=account.tier if account else None,
        balance=balance,
        quantity=quantity,
        left=left,
        now=now,
    )
    total = reward.points_cost * quantity
    threshold = approval_threshold(company_id=membership.company_id)
    return RedemptionQuote(
        reward=reward,
        quantity=quantity,
        points_total=total,
        balance_before=balance,
        balance_after=balance - total,
        needs_approval=needs_approval(membership=membership, points_total=total, threshold=threshold),
        approval_threshold=threshold,
    )


def redemption_request(
    *,
    reward: Reward,
    membership: Membership,
    quantity: int,
    request_key: str,
    delivery: DeliveryAddress | None = None,
    note: str = "",
    now: datetime | None = None,
    notify: bool = True,
) -> tuple[Redemption, bool]:
    """Place an order of ``quantity`` × ``reward`` for the member's company; the points are
    reserved at once. Returns ``(redemption, created)``.

    Locks the account row, then the reward row, then takes voucher codes (skip-locked);
    every rule is checked under those locks: role (re-read in the transaction), reward
    active and in its window, tier, quantity, stock or code pool, the per-company limit
    and the balance. A physical reward needs a complete delivery address. A purchaser's
    order above the company's approval threshold goes to *awaiting approval* (the admins
    are asked); otherwise a voucher order is *fulfilled* at once (its codes are taken in
    this transaction) and any other stays *requested*, ready to fulfil. The requester is
    notified once, of the order's status at the end (with the codes when fulfilled).

    Idempotent by ``request_key`` (one per confirm form): the same key from the same person
    returns the first redemption with ``created=False`` and writes nothing.
    """
    now = now or timezone.now()
    if quantity < 1:
        raise RedemptionError(_("Order at least one."))
    request_key = request_key.strip()
    if not request_key or len(request_key) > 64:
        raise RedemptionError(_("This order form has expired; please start again."))
    key = f"{membership.user_id}:{request_key}"
    if reward.needs_delivery_address and (delivery is None or not delivery.is_complete):
        raise RedemptionError(_("Give the delivery address: recipient, street, postal code, city and country."))
    with transaction.atomic():
        account = points_account_lock(company_id=membership.company_id)
        existing = Redemption.objects.filter(request_key=key).first()
        if existing is not None:
            return existing, False
        # The role may have changed since the request began: read it again, now.
        membership = Membership.objects.select_related("company", "user").filter(pk=membership.pk).first()
        if membership is None or membership.company_id != account.company_id:
            raise RedemptionError(_("You are no longer a member of this company."))
        reward = Reward.objects.select_for_update(of=("self",)).select_related("tier_required").get(pk=reward.pk)
        codes: list[VoucherCode] = []
        if reward.uses_code_pool:
            codes = list(
                VoucherCode.objects.select_for_update(skip_locked=True)
                .filter(reward=reward, redemption__isnull=True)
                .order_by("pk")[:quantity]
            )
            left = len(codes) if len(codes) < quantity else None
        else:
            left = reward.stock
        _raise_if_refused(
            reward=reward,
            membership=membership,
            tier=account.tier,
            balance=account.balance,
            quantity=quantity,
            left=left,
            now=now,
        )
        total = reward.points_cost * quantity
        try:
            entry = points_redeem(
                account=account,
                points=total,
                key=f"redemption:{key}",
                by=membership.user,
                memo=StoredText(REDEEMED, {"reward": translations_of(reward, "title"), "quantity": quantity}),
                now=now,
            )
        except LedgerError as exc:  # checked above under the same lock; kept as a guard
            raise RedemptionError(str(exc)) from exc
        if reward.stock is not None:
            Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - quantity)
        approval = needs_approval(
            membership=membership, points_total=total, threshold=approval_threshold(company_id=membership.company_id)
        )
        delivery = delivery if reward.needs_delivery_address else DeliveryAddress()
        # An e-voucher needs no hands: its codes are taken below, in this transaction, so an
        # order that needs no approval is fulfilled at once and the member sees the code now.
        # An invoice credit neither: fulfilling it is making the credit the ERP fetches.
        instant = (reward.uses_code_pool or reward.is_invoice_credit) and not approval
        if approval:
            status = RedemptionStatus.AWAITING_APPROVAL
        else:
            status = RedemptionStatus.FULFILLED if instant else RedemptionStatus.REQUESTED
        redemption = Redemption.objects.create(
            company_id=membership.company_id,
            reward=reward,
            requested_by=membership.user,
            status=status,
            fulfilled_at=now if instant else None,
            quantity=quantity,
            points_each=reward.points_cost,
            points_total=total,
            reward_title=reward.title,
            reward_kind=reward.kind,
            value_each=reward.value,
            currency=reward.currency,
            needs_approval=approval,
            note=note.strip()[:500],
            delivery_name=delivery.name.strip(),
            delivery_street=delivery.street.strip(),
            delivery_postal_code=delivery.postal_code.strip(),
            delivery_city=delivery.city.strip(),
            delivery_country=delivery.country.strip(),
            delivery_phone=delivery.phone.strip(),
            request_key=key,
            redeem_entry=entry,
            requested_at=now,
            updated_at=now,
        )
        if codes:
            VoucherCode.objects.filter(pk__in=[code.pk for code in codes]).update(
                redemption=redemption, assigned_at=now
            )
        _event(redemption, RedemptionStatus.REQUESTED, actor=membership.user, now=now)
        if approval:
            _event(redemption, RedemptionStatus.AWAITING_APPROVAL, actor=membership.user, now=now)
        _announce(redemption, EventType.REDEMPTION_CREATED, now=now)
        if instant:
            if reward.is_invoice_credit:
                _invoice_credit(redemption, now=now)
            _event(redemption, RedemptionStatus.FULFILLED, actor=None, now=now)
            _announce(redemption, EventType.REDEMPTION_FULFILLED, now=now)
        if notify:
            _notify_requester(redemption, now=now)
            if approval:
                _notify_approvers(redemption, now=now)
    return redemption, True


# --- Approval (company admins) ---------------------------------------------------------------


def _company_admin(user: User, company_id: int) -> bool:
    return Membership.objects.filter(user=user, company_id=company_id, role=MembershipRole.ADMIN).exists()


def redemption_approve(
    *, redemption: Redemption, by: User, comment: str = "", now: datetime | None = None, notify: bool = True
) -> Redemption:
    """A company admin approves a redemption awaiting approval; it becomes ready to fulfil,
    or, for an e-voucher (whose codes it holds since the request), fulfilled at once.

    Locks the redemption row and checks its status under the lock, so an approval racing a
    cancellation finds the order cancelled and changes nothing. Approving an approved
    redemption again returns it unchanged. An order of money in a currency the company does
    not buy in (``_currency_refusal``) is refused and stays as it is, to be rejected.
    """
    now = now or timezone.now()
    if not _company_admin(by, redemption.company_id):
        raise RedemptionError(_("Only a company admin can approve orders."))
    with transaction.atomic():
        locked = _lock_redemption(redemption.pk)
        if locked.status == RedemptionStatus.APPROVED or (
            locked.status == RedemptionStatus.FULFILLED and locked.decided_by_id is not None
        ):
            return locked  # approved before (an e-voucher then went straight on to fulfilled)
        if locked.status != RedemptionStatus.AWAITING_APPROVAL:
            raise RedemptionError(
                _("Order %(number)s is %(status)s; it no longer waits for approval.")
                % {"number": locked.number, "status": locked.get_status_display().lower()}
            )
        if refusal := _currency_refusal(locked):
            raise RedemptionError(refusal)
        comment = comment.strip()[:500]
        locked.status = RedemptionStatus.APPROVED
        locked.decided_by = by
        locked.decided_at = now
        locked.decision_comment = comment
        locked.updated_at = now
        fields = ["status", "decided_by", "decided_at", "decision_comment", "updated_at"]
        # An e-voucher's codes were taken at request and are linked to this row: once
        # approved, nothing is left to do by hand, so it is fulfilled in this transaction.
        instant = locked.reward_kind == RewardKind.INVOICE_CREDIT or (
            locked.reward_kind == RewardKind.VOUCHER and locked.voucher_codes.count() == locked.quantity
        )
        if instant:
            locked.status = RedemptionStatus.FULFILLED
            locked.fulfilled_at = now
            fields.append("fulfilled_at")
        locked.save(update_fields=fields)
        if locked.reward_kind == RewardKind.INVOICE_CREDIT:
            _invoice_credit(locked, now=now)
        _event(locked, RedemptionStatus.APPROVED, actor=by, comment=comment, now=now)
        _announce(locked, EventType.REDEMPTION_APPROVED, now=now)
        if instant:
            _event(locked, RedemptionStatus.FULFILLED, actor=None, now=now)
            _announce(locked, EventType.REDEMPTION_FULFILLED, now=now)
        if notify:
            _notify_requester(locked, now=now)
    return locked


# --- Rejection and cancellation: the points come back -------------------------------------------


def redemption_reject(
    *, redemption: Redemption, by: User, comment: str, now: datetime | None = None, notify: bool = True
) -> Redemption:
    """Reject a redemption and return its points, stock and voucher codes.

    A company admin rejects an order of their company that awaits approval; staff who
    fulfil (``rewards.fulfil_redemption``) reject any order not yet fulfilled. A comment
    (the reason) is required: the requester reads it. Rejecting a rejected order returns it
    unchanged.
    """
    comment = comment.strip()
    if not comment:
        raise RedemptionError(_("Say why the order is rejected; the person who placed it will read it."))
    staff = can_fulfil(by)
    if not staff and not _company_admin(by, redemption.company_id):
        raise RedemptionError(_("Only a company admin can reject orders."))

    def allowed(locked: Redemption) -> str | None:
        if not staff and locked.status != RedemptionStatus.AWAITING_APPROVAL:
            return _("Order %(number)s no longer waits for approval; it cannot be rejected here.") % {
                "number": locked.number
            }
        return None

    return _close(
        redemption,
        status=RedemptionStatus.REJECTED,
        by=by,
        comment=comment,
        allowed=allowed,
        memo_key=ORDER_REJECTED,
        now=now,
        notify=notify,
    )


def redemption_cancel(
    *, redemption: Redemption, by: User, reason: str = "", now: datetime | None = None, notify: bool = True
) -> Redemption:
    """The member who placed an order, or a company admin, cancels it before it is fulfilled;
    the points, stock and voucher codes come back. Cancelling twice returns the first result."""
    is_requester = (
        redemption.requested_by_id == by.pk
        and Membership.objects.filter(user=by, company_id=redemption.company_id).exists()
    )
    if not is_requester and not _company_admin(by, redemption.company_id):
        raise RedemptionError(_("Only the person who placed the order or a company admin can cancel it."))
    return _close(
        redemption,
        status=RedemptionStatus.CANCELLED,
        by=by,
        comment=reason.strip()[:500],
        allowed=lambda locked: None,
        memo_key=ORDER_CANCELLED,
        now=now,
        notify=notify,
    )


def redemptions_cancel_for_closing(*, company_id: int, by: User, now: datetime | None = None) -> int:
    """Cancel every open order of a company that leaves the club, points, stock and codes
    returned (``_close``), before its closing entry takes the balance; the contacts are not
    notified one by one (they get the closing's e-mail). Returns how many were cancelled.
    The caller (``privacy.closing.company_close``) checked the permission and holds the
    account lock first, as every order function does; already closed orders are skipped."""
    now = now or timezone.now()
    cancelled = 0
    with transaction.atomic():
        points_account_lock(company_id=company_id)
        for redemption in Redemption.objects.filter(company_id=company_id, status__in=OPEN_STATUSES).order_by("pk"):
            _close(
                redemption,
                status=RedemptionStatus.CANCELLED,
                by=by,
                comment="",  # the closing itself is the reason; no finished words are stored
                allowed=lambda locked: None,
                memo_key=ORDER_CANCELLED,
                now=now,
                notify=False,
            )
            cancelled += 1
    return cancelled


def redemptions_currency_change_refusal(*, company: Company, old: str, new: str) -> str | None:
    """Why ``company`` may not move from currency ``old`` to ``new`` while it has open orders
    of money in ``old`` (``MONEY_KINDS``: a voucher, an invoice credit), or None: once it buys
    in ``new`` such an order can be neither approved nor fulfilled (``_currency_refusal``),
    only rejected. Staff fulfil or reject them first.

    The company's guard for ``members.currency_guards`` (registered in ``RewardsConfig.ready``).
    Takes the account lock, which every order of the company takes first, so no order in
    ``old`` is placed between this count and the commit of the change; the caller is inside
    that transaction. One query besides the lock."""
    points_account_lock(company_id=company.pk)
    stranded = Redemption.objects.filter(
        company_id=company.pk, status__in=OPEN_STATUSES, reward_kind__in=MONEY_KINDS, currency=old
    ).count()
    if not stranded:
        return None
    return ngettext(
        "This company has %(count)d open voucher or invoice-credit order in %(old)s, which cannot be approved "
        "or fulfilled once the company buys in %(new)s. Fulfil or reject it first, then change the currency.",
        "This company has %(count)d open voucher or invoice-credit orders in %(old)s, which cannot be approved "
        "or fulfilled once the company buys in %(new)s. Fulfil or reject them first, then change the currency.",
        stranded,
    ) % {"count": stranded, "old": old, "new": new}


def _close(
    redemption: Redemption,
    *,
    status: str,
    by: User,
    comment: str,
    allowed,
    memo_key: str,
    now: datetime | None,
    notify: bool,
) -> Redemption:
    """Move an open redemption to ``status`` (rejected or cancelled) and give everything back.

    Locks account, reward, redemption — in that order — then re-checks the status: a
    redemption already fulfilled (or closed otherwise) is refused, one already in
    ``status`` is returned unchanged. The points come back through
    ``points_return_redeemed`` (exactly once), the stock with ``F()``, the voucher codes
    to the pool.
    """
    now = now or timezone.now()
    with transaction.atomic():
        points_account_lock(company_id=redemption.company_id)
        reward = Reward.objects.select_for_update().get(pk=redemption.reward_id)
        locked = _lock_redemption(redemption.pk)
        if locked.status == status:
            return locked
        if locked.status not in OPEN_STATUSES:
            raise RedemptionError(
                _("Order %(number)s is already %(status)s.")
                % {"number": locked.number, "status": locked.get_status_display().lower()}
            )
        refusal = allowed(locked)
        if refusal:
            raise RedemptionError(refusal)
        returned = points_return_redeemed(
            entry=locked.redeem_entry, memo=StoredText(memo_key, {"number": locked.number}), by=by, now=now
        )
        if reward.stock is not None:
            Reward.objects.filter(pk=reward.pk).update(stock=F("stock") + locked.quantity)
        VoucherCode.objects.filter(redemption=locked).update(redemption=None, assigned_at=None)
        locked.status = status
        locked.return_entry = returned
        locked.closed_at = now
        locked.updated_at = now
        fields = ["status", "return_entry", "closed_at", "updated_at"]
        if status == RedemptionStatus.REJECTED:
            locked.decided_by, locked.decided_at, locked.decision_comment = by, now, comment[:500]
            fields += ["decided_by", "decided_at", "decision_comment"]
        locked.save(update_fields=fields)
        _event(locked, status, actor=by, comment=comment, now=now)
        _announce(
            locked,
            EventType.REDEMPTION_REJECTED if status == RedemptionStatus.REJECTED else EventType.REDEMPTION_CANCELLED,
            now=now,
        )
        if notify:
            _notify_requester(locked, now=now)
    return locked


# --- Fulfilment (staff and the integration API) --------------------------------------------


def redemption_fulfil(
    *,
    redemption: Redemption,
    by: User | None = None,
    actor_label: str = "",
    tracking_reference: str = "",
    note: str = "",
    now: datetime | None = None,
    notify: bool = True,
) -> tuple[Redemption, bool]:
    """Mark a redemption that is ready (requested or approved) as fulfilled. Returns
    ``(redemption, changed)``.

    ``by`` is a staff user who may fulfil, or None for the integration API (then
    ``actor_label`` names the API client). Idempotent: a redemption already fulfilled is
    returned unchanged with ``changed=False`` (an API retry); one awaiting approval,
    rejected or cancelled is refused, and so is an order of money in a currency the company
    does not buy in (``_currency_refusal``; it stays open, to be rejected). A voucher
    redemption's codes become visible to the company from now on. Locks only the redemption
    row.
    """
    now = now or timezone.now()
    if by is not None and not can_fulfil(by):
        raise RedemptionError(_("Only the club's fulfilment staff can mark orders fulfilled."))
    if by is None and not actor_label:
        raise RedemptionError(_("Say who fulfilled the order."))
    with transaction.atomic():
        locked = _lock_redemption(redemption.pk)
        if locked.status == RedemptionStatus.FULFILLED:
            return locked, False
        if locked.status not in TO_FULFIL:
            if locked.status == RedemptionStatus.AWAITING_APPROVAL:
                message = _("Order %(number)s still waits for the company's approval.")
            else:
                message = _("Order %(number)s is %(status)s and cannot be fulfilled.")
            raise RedemptionError(message % {"number": locked.number, "status": locked.get_status_display().lower()})
        if refusal := _currency_refusal(locked):
            raise RedemptionError(refusal)
        if locked.reward_kind == RewardKind.VOUCHER and locked.voucher_codes.count() != locked.quantity:
            raise RedemptionError(_("Order %(number)s has no voucher code assigned.") % {"number": locked.number})
        if locked.reward_kind == RewardKind.INVOICE_CREDIT:
            # Made at once when ready; an order created before the kind existed gets it here.
            _invoice_credit(locked, now=now)
        locked.status = RedemptionStatus.FULFILLED
        locked.fulfilled_at = now
        locked.tracking_reference = tracking_reference.strip()[:200]
        locked.fulfilment_note = note.strip()[:1000]
        locked.updated_at = now
        locked.save(update_fields=["status", "fulfilled_at", "tracking_reference", "fulfilment_note", "updated_at"])
        _event(
            locked,
            RedemptionStatus.FULFILLED,
            actor=by,
            actor_label=actor_label[:100],
            comment=locked.fulfilment_note,
            now=now,
        )
        _announce(locked, EventType.REDEMPTION_FULFILLED, now=now)
        if notify:
            _notify_requester(locked, now=now)
    return locked, True


def redemption_delivery_update(
    *, redemption: Redemption, by: User, tracking_reference: str, note: str, now: datetime | None = None
) -> Redemption:
    """Staff correct the tracking reference or delivery note of a fulfilled redemption."""
    if not can_fulfil(by):
        raise RedemptionError(_("Only the club's fulfilment staff can change delivery details."))
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_redemption(redemption.pk)
        if locked.status != RedemptionStatus.FULFILLED:
            raise RedemptionError(_("Only a fulfilled order has delivery details."))
        locked.tracking_reference = tracking_reference.strip()[:200]
        locked.fulfilment_note = note.strip()[:1000]
        locked.updated_at = now
        locked.save(update_fields=["tracking_reference", "fulfilment_note", "updated_at"])
        _event(locked, RedemptionStatus.FULFILLED, actor=by, comment=_("Delivery details updated."), now=now)
    return locked


@dataclass
class BulkFulfilment:
    fulfilled: list[Redemption] = field(default_factory=list)
    already: list[Redemption] = field(default_factory=list)
    refused: list[tuple[Redemption, str]] = field(default_factory=list)


def redemptions_fulfil_bulk(
    *, redemption_ids: Iterable[int], by: User, note: str = "", now: datetime | None = None
) -> BulkFulfilment:
    """Fulfil each of the redemptions with ``note`` (``redemption_fulfil``, so by the same
    rules), one short transaction each (in id order), and report what happened to every
    one: fulfilled now, already fulfilled, or refused with the reason. One refusal does not
    stop the others."""
    if not can_fulfil(by):
        raise RedemptionError(_("Only the club's fulfilment staff can mark orders fulfilled."))
    result = BulkFulfilment()
    for redemption in Redemption.objects.filter(pk__in=list(redemption_ids)).order_by("pk"):
        try:
            redemption, changed = redemption_fulfil(redemption=redemption, by=by, note=note, now=now)
        except RedemptionError as exc:
            result.refused.append((redemption, str(exc)))
        else:
            (result.fulfilled if changed else result.already).append(redemption)
    return result


# --- Helpers -------------------------------------------------------------------------------


def _currency_refusal(redemption: Redemption) -> str | None:
    """Why ``redemption`` may not be approved or fulfilled, or None: an order of money
    (``MONEY_KINDS``: a voucher, an invoice credit) in a currency other than the one its
    company buys in now — placed before ``redemption_request`` checked the currency, or
    before staff changed the company's. Its codes are never shown and no credit is made;
    the order can still be rejected or cancelled (``_close``), which gives the points and
    the codes back. Compares the currency copied onto the order, which its value is in.
    Pure for any other kind; one query for money."""
    if redemption.reward_kind not in MONEY_KINDS:
        return None
    company = Company.objects.only("name", "currency", "country").get(pk=redemption.company_id)
    own = company.purchase_currency
    if redemption.currency == own:
        return None
    if redemption.reward_kind == RewardKind.INVOICE_CREDIT:
        return invoice_credit_currency_refusal(redemption, invoiced_in=own)
    return _(
        "Order %(number)s is a voucher in %(currency)s, but %(company)s buys in %(own)s; no code is given out. "
        "Reject the order to give the points back."
    ) % {"number": redemption.number, "currency": redemption.currency, "company": company.name, "own": own}


def _invoice_credit(redemption: Redemption, *, now: datetime) -> None:
    """The order's invoice credit (``invoice_credit_for_redemption``); a credit it refuses (a
    currency the company is not invoiced in) is a ``RedemptionError``, and the caller's
    transaction writes nothing."""
    try:
        invoice_credit_for_redemption(redemption=redemption, now=now)
    except InvoiceCreditError as exc:
        raise RedemptionError(str(exc)) from exc


def _lock_redemption(pk: int) -> Redemption:
    return Redemption.objects.select_for_update(of=("self",)).select_related("redeem_entry").get(pk=pk)


def _event(
    redemption: Redemption,
    status: str,
    *,
    actor: User | None,
    now: datetime,
    comment: str = "",
    actor_label: str = "",
) -> RedemptionEvent:
    return RedemptionEvent.objects.create(
        redemption=redemption,
        status=status,
        actor=actor,
        actor_label=actor_label,
        comment=comment[:1000],
        created_at=now,
    )


def _announce(redemption: Redemption, event_type: str, *, now: datetime) -> None:
    """Announce a status change to integrations (``outbox.events``), in the change's
    transaction: structured fields only (no texts, which are in a person's language). Reads
    nothing when no integration listens."""
    if not events_wanted(event_type):
        return
    event_emit(
        event_type,
        company_id=redemption.company_id,
        occurred_at=now,
        data={
            "redemption": {
                "id": redemption.pk,
                "number": redemption.number,
                "status": redemption.status,
                "reward_sku": redemption.reward.sku,
                "kind": redemption.reward_kind,
                "quantity": redemption.quantity,
                "points": redemption.points_total,
                "requested_at": redemption.requested_at.isoformat(),
                "fulfilled_at": redemption.fulfilled_at.isoformat() if redemption.fulfilled_at else None,
                "tracking_reference": redemption.tracking_reference,
            }
        },
    )


def _points_with_value(points: int, company) -> dict:
    """ "40 000 points (800 SEK)" as a text parameter, valued in the company's currency."""
    return points_with_value_param(points, ProgrammeRules.current().for_company(company))


def _notify_requester(redemption: Redemption, *, now: datetime) -> None:
    requester = redemption.requested_by
    if requester is None:
        return
    status = redemption.status
    decider = redemption.decided_by
    actor = (decider.get_full_name() or decider.email) if decider else ""
    codes = (
        list(redemption.voucher_codes.order_by("pk").values_list("code", flat=True))
        if status == RedemptionStatus.FULFILLED and redemption.reward_kind == RewardKind.VOUCHER
        else []
    )
    params = {
        "number": redemption.number,
        "reward": translations_of(redemption.reward, "title"),
        "quantity": redemption.quantity,
        "points": _points_with_value(redemption.points_total, redemption.company_id),
        "actor": actor,
        "comment": redemption.decision_comment,
    }
    if status == RedemptionStatus.FULFILLED:
        params.update(reward_kind=redemption.reward_kind, codes=codes, tracking=redemption.tracking_reference)
    notifications_send(
        users=[requester],
        kind=NotificationKind.REDEMPTION,
        key=f"redemption:{redemption.pk}:{status}",
        title=StoredText(ORDER_TITLES[status], params),
        body=StoredText(ORDER_BODIES[status], params),
        url=reverse("rewards:order", args=[redemption.pk]),
        now=now,
    )


def _notify_approvers(redemption: Redemption, *, now: datetime) -> None:
    requester = redemption.requested_by
    notifications_send(
        users=company_admins(company_id=redemption.company_id),
        kind=NotificationKind.APPROVAL,
        key=f"redemption:{redemption.pk}:approval",
        title=StoredText(
            ORDER_APPROVAL_ASKED,
            {"name": (requester.get_full_name() or requester.email) if requester else "", "number": redemption.number},
        ),
        body=StoredText(
            ORDER_APPROVAL_ASKED_BODY,
            {
                "reward": translations_of(redemption.reward, "title"),
                "quantity": redemption.quantity,
                "points": _points_with_value(redemption.points_total, redemption.company_id),
            },
        ),
        url=reverse("rewards:approvals"),
        now=now,
    )
