"""A group admin of a chain sends points from one branch to another and approves a large
transfer a branch asked for — in Chromium, through the real login page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from groups.models import CompanyGroup, CompanyGroupAdmin, TransferStatus
from groups.services import transfer_request
from members.models import Company, MembershipRole
from portal.demo import DEMO_GROUP
from rewards.ledger.services import points_account_for_company
from rewards.models import PointsAccount
from tests.browser.login import log_in
from tests.factories import MembershipFactory
from tests.rewards.helpers import give_points

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GROUP_ADMIN = "admin@bergstrom.example"


@pytest.fixture
def chain(demo_club):
    """The demo's group (Bergström, its admin, two more builders, approval above 1 000)."""
    group = CompanyGroup.objects.get(name=DEMO_GROUP)
    assert CompanyGroupAdmin.objects.filter(group=group, user__email=GROUP_ADMIN).exists()
    head = Company.objects.get(name="Bergström Bygg AB")
    branch = Company.objects.filter(group_membership__group=group).exclude(pk=head.pk).order_by("name").first()
    for company in (head, branch):
        give_points(points_account_for_company(company=company), 5000)
    branch_admin = MembershipFactory(company=branch, role=MembershipRole.ADMIN).user
    waiting, _ = transfer_request(by=branch_admin, from_company=branch, to_company=head, points=2500, key="big-one")
    return head, branch, waiting


def test_group_admin_transfers_between_branches_and_approves_a_large_one(
    chain, live_server, page: Page, screenshots_dir
):
    head, branch, waiting = chain
    before = dict(PointsAccount.objects.values_list("company_id", "balance"))
    log_in(page, live_server.url, GROUP_ADMIN, next_url="/groups/")

    expect(page.get_by_role("heading", name=DEMO_GROUP)).to_be_visible()
    branches = page.get_by_test_id("branches")
    expect(branches).to_contain_text(head.name)
    expect(branches).to_contain_text(branch.name)
    expect(branches).to_contain_text("SEK")  # each balance with its money value
    page.screenshot(path=str(screenshots_dir / "group-overview.png"), full_page=True)

    page.get_by_role("link", name="Transfer points").click()
    page.locator("#id_from_company").select_option(str(head.pk))
    page.locator("#id_to_company").select_option(str(branch.pk))
    page.locator("#id_points").fill("999999")
    page.get_by_role("button", name="Transfer").click()
    expect(page.get_by_role("alert")).to_contain_text("Not enough points")
    page.locator("#id_points").fill("400")
    page.locator("#id_note").fill("For the spring fair")
    page.screenshot(path=str(screenshots_dir / "group-transfer-form.png"), full_page=True)
    page.get_by_role("button", name="Transfer").click()
    expect(page).to_have_url(re.compile(r"/groups/transfers/$"))
    expect(page.get_by_test_id("transfers")).to_contain_text("Transferred")

    page.get_by_role("link", name="Transfer approvals").click()
    awaiting = page.get_by_test_id("awaiting-transfers")
    expect(awaiting).to_contain_text(f"T-{waiting.pk}")
    page.screenshot(path=str(screenshots_dir / "group-transfer-approvals.png"), full_page=True)
    awaiting.get_by_role("button", name=f"Approve T-{waiting.pk}").click()
    expect(page.get_by_text(f"Transfer T-{waiting.pk} approved")).to_be_visible()

    waiting.refresh_from_db()
    assert waiting.status == TransferStatus.DONE
    balances = dict(PointsAccount.objects.values_list("company_id", "balance"))
    assert balances[head.pk] == before[head.pk] - 400 + 2500
    assert balances[branch.pk] == before[branch.pk] + 400 - 2500

    page.goto(f"{live_server.url}/groups/branches/{branch.pk}/history/")
    expect(page.locator("table")).to_contain_text(f"Transfer T-{waiting.pk} to {head.name}")
    page.screenshot(path=str(screenshots_dir / "group-branch-history.png"), full_page=True)
