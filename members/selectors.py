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


# --- Staff roles (Django groups, see members.staff_groups) --------------------------------


def staff_roles(user: User) -> frozenset[str]:
    """The staff groups an active staff user is in (empty for everyone else).

    One query, then cached on the user object, so a request asking several times pays once.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_staff or not user.is_active:
        return frozenset()
    cached = getattr(user, "_staff_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._staff_roles = cached
    return cached


def is_club_admin(user: User) -> bool:
    """A club admin (the group, or a superuser): sees every account and conversation."""
    from .staff_groups import CLUB_ADMINS

    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_staff) and (
        user.is_superuser or CLUB_ADMINS in staff_roles(user)
    )


def is_sales_rep(user: User) -> bool:
    """In the Sales reps group: has a workspace with the accounts assigned to them."""
    from .staff_groups import SALES_REPS

    return SALES_REPS in staff_roles(user)
