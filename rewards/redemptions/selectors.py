"""Reads of redemptions: a company's orders and approvals, the staff fulfilment queue."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from modeltranslation.utils import build_localized_fieldname

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


def fulfilment_queue_page(*, visible_to: User):
    """``fulfilment_queue`` with only the columns the queue's page shows (``FulfilmentTable``'s
    visible columns: no delivery address, article number or requester, which only the export
    reads): a page then builds its 50 orders without each one's reward with every translated
    text and the person who placed it. The same orders in the same order, the same query count."""

    reward_titles = [f"reward__{build_localized_fieldname('title', code)}" for code, _name in settings.LANGUAGES]
    return (
        fulfilment_queue(visible_to=visible_to)
        .select_related(None)
        .select_related("company", "reward")
        .only(
            "company",
            "reward",
            "status",
            "requested_at",
            "reward_title",
            "reward_kind",
            "quantity",
            "points_total",
            "delivery_city",
            "company__name",
            "reward__title",
            *reward_titles,
        )
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
