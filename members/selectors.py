"""Reads for members. Each returns what one page needs in a fixed number of queries."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Company, Invitation, Membership, User


def membership_for_user(user: User) -> Membership | None:
    """The person's membership with its company, or None for staff and former members."""
    if not user.is_authenticated:
        return None
    return Membership.objects.select_related("company", "company__sales_rep").filter(user=user).first()


def company_colleagues(company: Company) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(company=company)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )


def company_open_invitations(company: Company) -> QuerySet[Invitation]:
    return Invitation.objects.pending().filter(company=company).select_related("invited_by").order_by("-created_at")
