"""A group of three branches (North, South, East) with a group admin, and a second group."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from groups.models import CompanyGroup, CompanyGroupAdmin, CompanyGroupMember
from members.models import Company, MembershipRole, User
from rewards.ledger.services import points_account_for_company
from tests.factories import CompanyFactory, MembershipFactory
from tests.rewards.helpers import give_points


@dataclass
class Group:
    group: CompanyGroup
    north: Company
    south: Company
    east: Company
    group_admin: User  # an admin of North and of the group
    south_admin: User
    south_viewer: User


def make_group(name: str, *, threshold: int | None = 1000, balances=(5000, 5000, 0)) -> Group:
    group = CompanyGroup.objects.create(name=name, approval_threshold=threshold)
    companies = [CompanyFactory(name=f"{name} {part}") for part in ("North", "South", "East")]
    for company, balance in zip(companies, balances, strict=True):
        CompanyGroupMember.objects.create(group=group, company=company)
        if balance:
            give_points(points_account_for_company(company=company), balance)
    north, south, east = companies
    group_admin = MembershipFactory(company=north, role=MembershipRole.ADMIN).user
    CompanyGroupAdmin.objects.create(group=group, user=group_admin)
    return Group(
        group=group,
        north=north,
        south=south,
        east=east,
        group_admin=group_admin,
        south_admin=MembershipFactory(company=south, role=MembershipRole.ADMIN).user,
        south_viewer=MembershipFactory(company=south, role=MembershipRole.VIEWER).user,
    )


@pytest.fixture
def chain(db) -> Group:
    return make_group("Chain")


@pytest.fixture
def other_chain(db) -> Group:
    return make_group("Other")
