"""The member pages: scoped to the person (a branch's contact sees their branch; a group admin
every branch of their groups and nothing of another group), the transfer form's errors, and
the approvals page; and the Django admin scoped for reps."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups.models import CompanyGroup, PointsTransfer, TransferStatus
from groups.services import transfer_request
from rewards.models import PointsAccount
from tests.factories import CompanyFactory, MembershipFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_a_group_admin_sees_every_branch_with_its_money_value(client, chain):
    client.force_login(chain.group_admin)
    page = client.get(reverse("groups:overview")).content.decode()
    for company in (chain.north, chain.south, chain.east):
        assert company.name in page
    assert "SEK" in page  # the points' money value
    assert client.get(reverse("groups:branch_history", args=[chain.south.pk])).status_code == 200
    assert client.get(reverse("groups:branch_orders", args=[chain.east.pk])).status_code == 200


def test_the_dashboard_leads_a_branch_to_its_group_and_shows_no_group_elsewhere(client, chain, other_chain):
    overview = reverse("groups:overview")
    for person in (chain.south_viewer, chain.group_admin):
        client.force_login(person)
        page = client.get(reverse("dashboard")).content.decode()
        assert f'href="{overview}"' in page and "Chain" in page and "Other" not in page
    client.force_login(MembershipFactory(company=CompanyFactory(name="Lone AB")).user)
    assert f'href="{overview}"' not in client.get(reverse("dashboard")).content.decode()


def test_a_group_admin_reads_a_branchs_order_without_its_codes_or_actions(client, chain, other_chain):
    from members.models import Membership
    from rewards.redemptions.services import redemption_fulfil
    from tests.rewards.factories import VoucherCodeFactory
    from tests.rewards.helpers import request_redemption

    code = VoucherCodeFactory(code="SECRET-123", reward__points_cost=100)
    buyer = Membership.objects.get(user=chain.south_admin)
    order = request_redemption(buyer, code.reward)
    redemption_fulfil(redemption=order, by=StaffFactory(group="Club admins"))
    client.force_login(chain.group_admin)

    listing = client.get(reverse("groups:branch_orders", args=[chain.south.pk])).content.decode()
    detail_url = reverse("groups:branch_order", args=[chain.south.pk, order.pk])
    assert f'href="{detail_url}"' in listing and order.get_absolute_url() not in listing
    page = client.get(detail_url)
    assert page.status_code == 200
    body = page.content.decode()
    assert code.reward.title in body and "SECRET-123" not in body
    assert reverse("rewards:order_cancel", args=[order.pk]) not in body
    assert client.get(reverse("rewards:order", args=[order.pk])).status_code == 404  # not their own order
    # Another group's branch, a branch order under the wrong branch, and a branch's viewer: 404.
    assert client.get(reverse("groups:branch_order", args=[other_chain.south.pk, order.pk])).status_code == 404
    assert client.get(reverse("groups:branch_order", args=[chain.east.pk, order.pk])).status_code == 404
    client.force_login(chain.south_viewer)
    assert client.get(detail_url).status_code == 404
    client.force_login(chain.south_admin)
    assert "SECRET-123" in client.get(order.get_absolute_url()).content.decode()  # the branch's own page shows it


def test_a_branch_member_sees_only_their_branch(client, chain):
    client.force_login(chain.south_viewer)
    page = client.get(reverse("groups:overview")).content.decode()
    assert chain.south.name in page and chain.north.name not in page
    assert client.get(reverse("groups:branch_history", args=[chain.north.pk])).status_code == 404
    assert client.get(reverse("groups:branch_history", args=[chain.south.pk])).status_code == 404
    assert client.get(reverse("groups:transfer")).status_code == 403  # viewers cannot send


def test_a_group_admin_of_group_a_sees_nothing_of_group_b(client, chain, other_chain):
    transfer_request(
        by=other_chain.south_admin, from_company=other_chain.south, to_company=other_chain.east, points=5, key="b"
    )
    client.force_login(chain.group_admin)
    assert client.get(reverse("groups:branch_history", args=[other_chain.south.pk])).status_code == 404
    assert client.get(reverse("groups:branch_orders", args=[other_chain.south.pk])).status_code == 404
    assert other_chain.south.name not in client.get(reverse("groups:overview")).content.decode()
    assert other_chain.south.name not in client.get(reverse("groups:transfers")).content.decode()
    waiting, _ = transfer_request(
        by=other_chain.south_admin, from_company=other_chain.south, to_company=other_chain.east, points=2000, key="w"
    )
    response = client.post(reverse("groups:approval_decide", args=[waiting.pk]), {"decision": "approve"})
    assert response.status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == TransferStatus.AWAITING_APPROVAL


def test_the_transfer_form_moves_points_once_and_shows_errors(client, chain):
    client.force_login(chain.south_admin)
    form = client.get(reverse("groups:transfer"))
    key = form.context["form"]["key"].value()
    data = {"from_company": chain.south.pk, "to_company": chain.east.pk, "points": 200, "key": key}

    assert client.post(reverse("groups:transfer"), data).status_code == 302
    assert client.post(reverse("groups:transfer"), data).status_code == 302  # double submit
    assert PointsTransfer.objects.count() == 1
    assert PointsAccount.objects.get(company=chain.east).balance == 200

    for bad, message in [
        ({"points": 10**9 + 1}, "A transfer is at most 1\u202f000\u202f000\u202f000 points."),  # grouped
        ({"points": 0}, "at least 1"),
        ({"points": "1e9"}, "whole number"),
        ({"to_company": chain.south.pk}, "same company"),
        ({"points": 999_999, "key": "fresh"}, "Not enough points"),
        ({"from_company": chain.north.pk, "key": "fresh2"}, "Select a valid choice"),
        ({"note": "a\x00b", "key": "fresh3"}, "Null characters are not allowed"),
        ({"key": ""}, "This form has expired; please reload the page and try again."),  # a hidden field's error, shown
    ]:
        response = client.post(reverse("groups:transfer"), {**data, **bad})
        assert response.status_code == 200, bad
        assert message in response.content.decode(), bad
    assert PointsTransfer.objects.count() == 1


def test_the_group_admin_approves_on_the_approvals_page(client, chain):
    waiting, _ = transfer_request(
        by=chain.south_admin, from_company=chain.south, to_company=chain.east, points=2000, key="w"
    )
    client.force_login(chain.group_admin)
    assert f"T-{waiting.pk}" in client.get(reverse("groups:approvals")).content.decode()

    client.post(reverse("groups:approval_decide", args=[waiting.pk]), {"decision": "approve"})

    waiting.refresh_from_db()
    assert waiting.status == TransferStatus.DONE


def test_a_person_outside_any_group_is_refused(client, company_admin):
    client.force_login(company_admin)
    assert client.get(reverse("groups:overview")).status_code == 403


def test_the_admin_shows_a_rep_only_groups_and_transfers_of_their_accounts(client, chain, other_chain):
    rep = StaffFactory(group="Sales reps")
    chain.south.sales_rep = rep
    chain.south.save(update_fields=["sales_rep"])
    transfer_request(by=chain.south_admin, from_company=chain.south, to_company=chain.east, points=5, key="a")
    transfer_request(
        by=other_chain.south_admin, from_company=other_chain.south, to_company=other_chain.east, points=5, key="b"
    )
    client.force_login(rep)
    session = client.session
    session.save()

    from django.contrib import admin
    from django.test import RequestFactory

    from groups.admin import CompanyGroupModelAdmin, PointsTransferAdmin

    request = RequestFactory().get("/admin/")
    request.user = rep
    groups_seen = CompanyGroupModelAdmin(CompanyGroup, admin.site).get_queryset(request)
    transfers_seen = PointsTransferAdmin(PointsTransfer, admin.site).get_queryset(request)
    assert list(groups_seen) == [chain.group]
    assert [t.from_company_id for t in transfers_seen] == [chain.south.pk]


def test_a_pooled_groups_branch_member_sees_the_groups_balance(client, chain):
    chain.group.points_mode = "pooled"
    chain.group.pool_company = chain.north
    chain.group.save()
    client.force_login(chain.south_viewer)
    page = client.get(reverse("groups:overview"))
    assert page.context["group_balance"] == 10_000
    assert chain.north.name not in page.content.decode().split('data-testid="branches"')[1]


@pytest.mark.parametrize("url_name", ["groups:overview", "groups:transfers", "groups:approvals"])
def test_the_group_pages_cost_the_same_queries_with_many_branches_and_transfers(client, chain, url_name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from groups.models import CompanyGroupMember
    from tests.factories import CompanyFactory

    client.force_login(chain.group_admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(url_name)).status_code == 200
        return len(queries)

    transfer_request(by=chain.south_admin, from_company=chain.south, to_company=chain.east, points=2000, key="w0")
    count()  # the first page of a session writes what later pages only read
    few = count()
    for n in range(15):
        CompanyGroupMember.objects.create(group=chain.group, company=CompanyFactory())
        transfer_request(by=chain.south_admin, from_company=chain.south, to_company=chain.east, points=1, key=f"s{n}")
        transfer_request(
            by=chain.south_admin, from_company=chain.south, to_company=chain.north, points=1001 + n, key=f"w{n + 1}"
        )
    assert count() == few
