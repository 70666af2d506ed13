"""Query budgets: a page's query count does not grow with the company's size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import MembershipRole
from tests.factories import InvitationFactory, MembershipFactory, StaffFactory

pytestmark = pytest.mark.django_db

# Measured with the rows below; each includes the session read and save, the user, the
# membership with its company and sales rep, the Wagtail site and branding, and the menu.
# The dashboard also shows the points panels of the rewards app and the campaign banners; the
# company page the company's badges (one query each, campaigns). Every page has the two unread
# counts of the navigation (the bell, Messages).
DASHBOARD_BUDGET = 24
# +1: the approval limit (rewards), stated on the page; +1: the open erasure requests of the
# company's people (privacy), one query for its admins to confirm them
COMPANY_PAGE_BUDGET = 17
PROFILE_BUDGET = 12  # +1: the e-mail choices per kind


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def _grow(company, admin, *, colleagues: int, invitations: int) -> None:
    MembershipFactory.create_batch(colleagues, company=company, role=MembershipRole.VIEWER)
    InvitationFactory.create_batch(invitations, company=company, invited_by=admin)


@pytest.fixture
def sales_rep_company(company):
    company.sales_rep = StaffFactory(group="Sales reps", phone="+46 8 123 45 67")
    company.save(update_fields=["sales_rep"])
    return company


@pytest.mark.parametrize(
    ("url_name", "budget"), [("dashboard", DASHBOARD_BUDGET), ("members:company", COMPANY_PAGE_BUDGET)]
)
def test_given_150_colleagues_and_30_invitations_when_admin_opens_page_then_same_queries_as_with_3(
    client, sales_rep_company, company_admin, portal_site, django_assert_max_num_queries, url_name, budget
):
    client.force_login(company_admin)
    url = reverse(url_name)
    _grow(sales_rep_company, company_admin, colleagues=2, invitations=1)
    client.get(url)  # warm the per-process caches (content types, site root paths)
    small = _queries(client, url)

    _grow(sales_rep_company, company_admin, colleagues=148, invitations=29)
    with django_assert_max_num_queries(budget):
        response = client.get(url)
    large = _queries(client, url)

    assert sales_rep_company.memberships.count() == 151
    assert large == small
    assert response.status_code == 200


def test_given_many_colleagues_when_admin_opens_company_page_then_one_page_of_them_and_every_invitation(
    client, company, company_admin, portal_site
):
    _grow(company, company_admin, colleagues=149, invitations=30)
    client.force_login(company_admin)

    page = client.get(reverse("members:company")).content.decode()

    assert page.count("Withdraw") == 30
    assert page.count('id="role-') == 25  # one page of the table, each with its role picker


def test_given_many_colleagues_when_viewer_opens_company_page_then_within_budget(
    client, company, company_admin, viewer, portal_site, django_assert_max_num_queries
):
    _grow(company, company_admin, colleagues=148, invitations=30)
    client.force_login(viewer)
    client.get(reverse("members:company"))

    with django_assert_max_num_queries(COMPANY_PAGE_BUDGET):
        page = client.get(reverse("members:company")).content.decode()

    assert "Withdraw" not in page


def test_given_a_member_when_opening_profile_then_within_budget(
    client, purchaser, portal_site, django_assert_max_num_queries
):
    client.force_login(purchaser)
    client.get(reverse("members:profile"))

    with django_assert_max_num_queries(PROFILE_BUDGET):
        response = client.get(reverse("members:profile"))

    assert response.status_code == 200
