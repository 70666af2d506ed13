"""Scoping: nobody reaches another company's people or invitations, and only admins manage.

Every members URL is walked as an anonymous visitor, as an admin of another company and
as a viewer of the company; the database must be exactly as before.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from members.models import Invitation, Membership, MembershipRole, User
from tests.factories import InvitationFactory, MembershipFactory
from tests.mfa import login_with_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(company, company_admin, purchaser):
    """The company being attacked: an admin, a purchaser and an open invitation."""
    return {
        "membership": Membership.objects.get(user=purchaser),
        "admin_membership": Membership.objects.get(user=company_admin),
        "invitation": InvitationFactory(company=company, email="pending@example.com", invited_by=company_admin),
    }


def _snapshot() -> dict:
    return {
        "memberships": sorted(Membership.objects.values_list("pk", "user_id", "company_id", "role")),
        "invitations": sorted(Invitation.objects.values_list("pk", "email", "role", "accepted_at", "revoked_at")),
        "users": sorted(User.objects.values_list("pk", "email", "first_name", "last_name", "language")),
    }


def _requests(target) -> list[tuple[str, str, dict]]:
    membership, invitation = target["membership"], target["invitation"]
    admin_membership = target["admin_membership"]
    return [
        ("get", reverse("members:company"), {}),
        ("get", reverse("members:invite"), {}),
        ("post", reverse("members:invite"), {"email": "intruder@example.com", "role": MembershipRole.ADMIN}),
        ("post", reverse("members:membership_role", args=[membership.pk]), {"role": MembershipRole.ADMIN}),
        ("post", reverse("members:membership_role", args=[admin_membership.pk]), {"role": MembershipRole.VIEWER}),
        ("get", reverse("members:membership_remove", args=[membership.pk]), {}),
        ("post", reverse("members:membership_remove", args=[membership.pk]), {}),
        ("post", reverse("members:invitation_revoke", args=[invitation.pk]), {}),
        ("get", reverse("members:profile"), {}),
        ("post", reverse("members:profile"), {"first_name": "Hacked", "last_name": "Hacked", "language": "sv"}),
    ]


def test_given_anonymous_visitor_when_opening_any_members_url_then_sent_to_login(client, target):
    before = _snapshot()

    for method, url, data in _requests(target):
        response = getattr(client, method)(url, data)

        assert response.status_code == 302, (method, url)
        location = urlsplit(response["Location"])
        assert location.path == reverse("account_login"), (method, url)
        assert f"next={url}" in location.query, (method, url)

    assert _snapshot() == before


def test_given_admin_of_another_company_when_using_this_companys_ids_then_404_and_nothing_changes(
    client, target, other_company_member
):
    client.force_login(other_company_member)
    before = _snapshot()
    membership, invitation = target["membership"], target["invitation"]
    admin_membership = target["admin_membership"]
    foreign_id_requests = [
        ("post", reverse("members:membership_role", args=[membership.pk]), {"role": MembershipRole.ADMIN}),
        ("post", reverse("members:membership_role", args=[admin_membership.pk]), {"role": MembershipRole.VIEWER}),
        ("get", reverse("members:membership_remove", args=[membership.pk]), {}),
        ("post", reverse("members:membership_remove", args=[membership.pk]), {}),
        ("post", reverse("members:invitation_revoke", args=[invitation.pk]), {}),
    ]

    for method, url, data in foreign_id_requests:
        response = getattr(client, method)(url, data)

        assert response.status_code in (403, 404), (method, url, response.status_code)

    company_page = client.get(reverse("members:company")).content.decode()
    assert target["membership"].user.email not in company_page
    assert "pending@example.com" not in company_page
    assert _snapshot() == before


@pytest.mark.parametrize("role", [MembershipRole.VIEWER, MembershipRole.PURCHASER])
def test_given_non_admin_of_the_company_when_using_admin_actions_then_403_and_nothing_changes(client, target, role):
    member = MembershipFactory(company=target["membership"].company, role=role).user
    client.force_login(member)
    before = _snapshot()
    admin_only = [
        (method, url, data)
        for method, url, data in _requests(target)
        if url not in (reverse("members:company"), reverse("members:profile"))
    ]

    for method, url, data in admin_only:
        response = getattr(client, method)(url, data)

        assert response.status_code == 403, (method, url, response.status_code)

    assert client.get(reverse("members:company")).status_code == 200
    assert "pending@example.com" not in client.get(reverse("members:company")).content.decode()
    assert _snapshot() == before


def test_given_staff_without_membership_when_opening_company_page_then_403(client, club_admin):
    """Staff use the admin; the member pages are for member companies' contacts."""
    login_with_totp(client, club_admin)

    assert client.get(reverse("members:company")).status_code == 403
    assert client.get(reverse("members:profile")).status_code == 200
