"""A company leaving the club, in Chromium: a club admin opens the company in the admin,
presses Close company, reads the confirmation page and confirms; then reopens it with its
contacts' log-ins. And the member's invoice-credit order page. Screenshots in
artifacts/screenshots/."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from members.models import Company, CompanyStatus, MembershipRole, User
from rewards.ledger.services import points_account_for_company, points_adjust
from rewards.models import InvoiceCredit, PointsAccount, ProgrammeRules
from tests.factories import CompanyFactory, MembershipFactory, StaffFactory
from tests.rewards.factories import RewardFactory
from tests.rewards.helpers import request_redemption

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in_as(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def test_a_club_admin_closes_and_reopens_a_company(live_server, page: Page, screenshots_dir, settings):
    settings.STAFF_MFA_REQUIRED = False
    ProgrammeRules.current()
    club_admin = StaffFactory(group="Club admins", first_name="Karin", last_name="Admin")
    company = CompanyFactory(name="Bergström Bygg AB", external_id="C-1001")
    contact = MembershipFactory(company=company, role=MembershipRole.ADMIN).user
    points_adjust(
        account=points_account_for_company(company=company), points=24_000, reason="welcome", by=club_admin, key="w"
    )
    _log_in_as(page, live_server, club_admin)

    page.goto(f"{live_server.url}/admin/members/company/{company.pk}/change/")
    page.get_by_role("link", name="Close company").click()
    expect(page.get_by_text("Points are forfeited")).to_be_visible()
    expect(page.get_by_text("24,000 points").or_(page.get_by_text("24 000 points")).first).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "company-close-confirm.png"), full_page=True)
    page.get_by_role("button", name="Yes, close Bergström Bygg AB").click()
    expect(page.get_by_text("Bergström Bygg AB is closed")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "company-closed.png"), full_page=True)
    assert Company.objects.get(pk=company.pk).status == CompanyStatus.CLOSED
    assert PointsAccount.objects.get(company=company).balance == 0
    assert not User.objects.get(pk=contact.pk).is_active

    page.get_by_role("link", name="Reopen company").click()
    expect(page.get_by_text("are not restored")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "company-reopen-confirm.png"), full_page=True)
    page.get_by_role("button", name="Reopen Bergström Bygg AB").click()
    expect(page.get_by_text("is open again")).to_be_visible()
    assert Company.objects.get(pk=company.pk).status == CompanyStatus.ACTIVE
    assert User.objects.get(pk=contact.pk).is_active


def test_a_member_sees_the_invoice_credit_on_the_order_page(live_server, page: Page, screenshots_dir):
    ProgrammeRules.current()
    company = CompanyFactory(name="Bergström Bygg AB")
    buyer = MembershipFactory(company=company, role=MembershipRole.ADMIN)
    points_adjust(
        account=points_account_for_company(company=company),
        points=30_000,
        reason="welcome",
        by=StaffFactory(),
        key="w",
    )
    reward = RewardFactory(kind="invoice_credit", title="1 000 SEK off your invoice", points_cost=20_000, value="1000")
    redemption = request_redemption(buyer, reward)
    assert InvoiceCredit.objects.get().redemption == redemption
    _log_in_as(page, live_server, buyer.user)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/rewards/orders/{redemption.pk}/")
    credit = page.get_by_test_id("invoice-credit")
    expect(credit).to_contain_text("Waiting for the next invoice")
    expect(credit).to_contain_text("IC-")
    page.screenshot(path=str(screenshots_dir / "order-invoice-credit.png"), full_page=True)
