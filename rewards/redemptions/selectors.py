"""Reads of redemptions: a company's orders and approvals, the staff fulfilment queue."""

from __future__ import annotations

from django.db.models import Prefetch

from members.models import Company, User
from members.selectors import staff_company_q
from rewards.models import (
    Redemption,
    RedemptionEvent,
    RedemptionStatus,
    VoucherCode,
)


def company_redemptions(*, company: Company):
    """The company's redemptions, newest first, with who requested each; the only queryset
    member pages list redemptions from (the order history, the rep's account page)."""

    return (
        Redemption.objects.filter(company=company)
        .select_related("requested_by", "reward")
        .order_by("-requested_at", "-pk")
    )


def company_redemption(*, company: Company, pk: int):
    """One of the company's redemptions, or None (another company's is None too), with its
    reward and the people who moved it; its events and codes are prefetched."""

    return (
        Redemption.objects.filter(company=company, pk=pk)
        .select_related("reward", "requested_by", "decided_by", "redeem_entry", "return_entry")
        .prefetch_related(
            Prefetch("events", queryset=RedemptionEvent.objects.select_related("actor").order_by("created_at", "pk")),
            Prefetch("voucher_codes", queryset=VoucherCode.objects.order_by("pk")),
        )
        .first()
    )


def redemptions_awaiting_approval(*, company: Company):
    """The company's orders waiting for an admin's decision, oldest first."""

    return (
        Redemption.objects.filter(company=company, status=RedemptionStatus.AWAITING_APPROVAL)
        .select_related("requested_by", "reward")
        .order_by("requested_at", "pk")
    )


def fulfilment_queue(*, visible_to: User):
    """Every redemption of the companies ``visible_to`` may see (all for club admins, see
    ``members.selectors.staff_company_q``) with what the staff queue and the warehouse
    export show, oldest first; the queue's filters narrow it."""

    return (
        Redemption.objects.filter(staff_company_q(user=visible_to, path="company"))
        .select_related("company", "reward", "requested_by")
        .order_by("requested_at", "pk")
    )


def staff_redemption(*, pk: int, visible_to: User):
    """One redemption for the staff page, with its events and codes, or None (also when it
    is not of a company ``visible_to`` may see)."""

    return (
        Redemption.objects.filter(staff_company_q(user=visible_to, path="company"), pk=pk)
        .select_related("company", "reward", "requested_by", "decided_by", "redeem_entry", "return_entry")
        .prefetch_related(
            Prefetch("events", queryset=RedemptionEvent.objects.select_related("actor").order_by("created_at", "pk")),
            Prefetch("voucher_codes", queryset=VoucherCode.objects.order_by("pk")),
        )
        .first()
    )
