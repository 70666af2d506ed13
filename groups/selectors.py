"""Reads for company groups, each scoped to the person asking and a fixed number of queries.

Who sees what: a branch's contacts see their own branch (and the transfers it sent or
received); a group admin sees every branch of their groups — balances, histories, orders —
and nothing of another group's.
"""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from members.models import Company, User
from rewards.models import PointsAccount

from .models import CompanyGroup, CompanyGroupAdmin, CompanyGroupMember, PointsMode, PointsTransfer, TransferStatus


def groups_administered(*, user: User) -> QuerySet[CompanyGroup]:
    if not user.is_authenticated or not user.is_active:
        return CompanyGroup.objects.none()
    return CompanyGroup.objects.filter(admins__user=user)


def group_for_person(*, user: User, company_id: int | None) -> CompanyGroup | None:
    """The group whose pages (/groups/) the person opens: their company's, else the first
    they administer (as ``GroupMemberMixin`` chooses); None when neither. One query."""
    if not user.is_authenticated or not user.is_active:
        return None
    own = CompanyGroupMember.objects.filter(group=OuterRef("pk"), company_id=company_id)
    return (
        CompanyGroup.objects.annotate(own=Exists(own))
        .filter(Q(own=True) | Q(admins__user=user))
        .order_by("-own", "pk")
        .first()
    )


def group_for_company(*, company_id: int) -> CompanyGroup | None:
    member = (
        CompanyGroupMember.objects.select_related("group", "group__pool_company").filter(company_id=company_id).first()
    )
    return member.group if member else None


def branches(*, group: CompanyGroup) -> list[Company]:
    """The group's companies by name, each with ``balance`` and ``pending`` (0 without an
    account). One query."""
    balance = PointsAccount.objects.filter(company_id=OuterRef("pk"))
    return list(
        Company.objects.filter(group_membership__group=group)
        .annotate(
            balance=Coalesce(balance.values("balance")[:1], 0),
            pending=Coalesce(balance.values("pending")[:1], 0),
        )
        .order_by("name")
    )


def branch_for_viewer(*, user: User, company_id: int) -> Company | None:
    """The company ``company_id`` if ``user`` may see its points and orders as a group admin
    (it is a branch of a group they administer), else None. One query."""
    return (
        Company.objects.filter(
            pk=company_id,
            group_membership__group__admins__user=user,
        )
        .distinct()
        .first()
    )


def transfers_visible(*, user: User, company: Company | None) -> QuerySet[PointsTransfer]:
    """Transfers the person may see: every one of the groups they administer, and those their
    own company sent or received."""
    condition = Q(pk__in=[])
    if company is not None:
        condition |= Q(from_company=company) | Q(to_company=company)
    condition |= Exists(CompanyGroupAdmin.objects.filter(group_id=OuterRef("group_id"), user=user))
    return (
        PointsTransfer.objects.filter(condition)
        .select_related("from_company", "to_company", "requested_by", "decided_by")
        .order_by("-requested_at", "-pk")
    )


def transfers_awaiting(*, user: User) -> QuerySet[PointsTransfer]:
    """Transfers waiting for a decision in the groups ``user`` administers, oldest first."""
    return (
        PointsTransfer.objects.filter(
            status=TransferStatus.AWAITING_APPROVAL,
            group__admins__user=user,
        )
        .select_related("from_company", "to_company", "requested_by", "group")
        .order_by("requested_at", "pk")
    )


def transfers_awaiting_count(*, user: User) -> int:
    return transfers_awaiting(user=user).count()


def pooled_branches_with_points() -> list[int]:
    """Companies of pooled groups, other than the pool holder, with spendable points."""
    return list(
        PointsAccount.objects.filter(
            balance__gt=0,
            company__group_membership__group__points_mode=PointsMode.POOLED,
        )
        .exclude(company_id=F("company__group_membership__group__pool_company_id"))
        .order_by("pk")
        .values_list("company_id", flat=True)
    )
