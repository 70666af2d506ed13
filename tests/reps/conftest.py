"""Fixtures for the rep workspace: the same people as the conversation tests."""

from __future__ import annotations

import pytest

from members.models import MembershipRole
from tests.factories import CompanyFactory, MembershipFactory, StaffFactory


@pytest.fixture
def rep(company):
    rep = StaffFactory(group="Sales reps", first_name="Anna", last_name="Sälj")
    company.sales_rep = rep
    company.save(update_fields=["sales_rep"])
    return rep


@pytest.fixture
def colleague(company):
    return MembershipFactory(company=company, role=MembershipRole.VIEWER).user


@pytest.fixture
def other_rep(db):
    return StaffFactory(group="Sales reps", first_name="Johan", last_name="Ek")


@pytest.fixture
def other_company(other_rep):
    return CompanyFactory(sales_rep=other_rep)


@pytest.fixture
def other_member(other_company):
    return MembershipFactory(company=other_company, role=MembershipRole.PURCHASER).user


@pytest.fixture
def budget(rep):
    from django.utils import timezone

    from reps.models import GoodwillBudget

    return GoodwillBudget.objects.create(rep=rep, month=timezone.localdate().replace(day=1), points=1000)
