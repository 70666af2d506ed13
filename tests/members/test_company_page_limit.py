"""The Company page says what the approval limit is, where an admin looks for it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rewards.models import CompanyRewardSettings

pytestmark = pytest.mark.django_db


def test_given_an_approval_limit_then_the_company_page_states_it_with_its_value(admin_client_of_company, company):
    CompanyRewardSettings.objects.create(company=company, approval_threshold=5_000)

    html = admin_client_of_company.get(reverse("members:company")).content.decode()

    assert "Approval limit" in html
    assert "costing more than 5\u202f000 points (250\u00a0SEK) wait for a company admin" in html
    assert reverse("rewards:approvals") in html


def test_given_no_limit_then_the_company_page_says_orders_need_no_approval(member_client):
    html = member_client.get(reverse("members:company")).content.decode()

    assert "go through without an admin" in html
    assert reverse("rewards:approvals") not in html, "only an admin can change it"
