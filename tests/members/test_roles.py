"""Roles and the last-admin rule: a company always keeps at least one admin."""

from __future__ import annotations

import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from members.models import Membership, MembershipRole
from members.services import MembersError, membership_change_role, membership_remove
from tests.factories import CompanyFactory, MembershipFactory


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _role_of(user) -> str:
    return Membership.objects.get(user=user).role


@pytest.mark.django_db
def test_given_company_admin_when_changing_a_colleagues_role_then_it_changes(admin_client_of_company, purchaser):
    membership = Membership.objects.get(user=purchaser)

    response = admin_client_of_company.post(
        reverse("members:membership_role", args=[membership.pk]), {"role": MembershipRole.VIEWER}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("members:company")
    assert _role_of(purchaser) == MembershipRole.VIEWER
    assert any("is now Viewer" in text for text in _messages(response)), _messages(response)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [MembershipRole.VIEWER, MembershipRole.PURCHASER])
def test_given_non_admin_when_changing_a_role_then_403_and_nothing_changes(client, company, company_admin, role):
    actor = MembershipFactory(company=company, role=role).user
    colleague = MembershipFactory(company=company, role=MembershipRole.VIEWER)
    client.force_login(actor)

    response = client.post(reverse("members:membership_role", args=[colleague.pk]), {"role": MembershipRole.ADMIN})

    assert response.status_code == 403
    assert _role_of(colleague.user) == MembershipRole.VIEWER
    assert _role_of(actor) == role
    with pytest.raises(MembersError, match="Only a company admin"):
        membership_change_role(membership=colleague, role=MembershipRole.ADMIN, actor=actor)


@pytest.mark.django_db
def test_given_the_last_admin_when_demoting_themself_then_refused_with_message(admin_client_of_company, company_admin):
    membership = Membership.objects.get(user=company_admin)

    response = admin_client_of_company.post(
        reverse("members:membership_role", args=[membership.pk]), {"role": MembershipRole.VIEWER}
    )

    assert response.status_code == 302
    assert _role_of(company_admin) == MembershipRole.ADMIN
    assert any("last admin" in text for text in _messages(response))


@pytest.mark.django_db
def test_given_the_last_admin_when_removing_themself_then_refused_with_message(admin_client_of_company, company_admin):
    membership = Membership.objects.get(user=company_admin)

    response = admin_client_of_company.post(reverse("members:membership_remove", args=[membership.pk]))

    assert response.status_code == 302
    assert Membership.objects.filter(pk=membership.pk, role=MembershipRole.ADMIN).exists()
    assert any("last admin and cannot be removed" in text for text in _messages(response))


@pytest.mark.django_db
def test_given_a_second_admin_when_the_first_steps_down_then_allowed(company, company_admin):
    MembershipFactory(company=company, role=MembershipRole.ADMIN)
    membership = Membership.objects.get(user=company_admin)

    membership_change_role(membership=membership, role=MembershipRole.PURCHASER, actor=company_admin)

    assert _role_of(company_admin) == MembershipRole.PURCHASER
    assert company.memberships.filter(role=MembershipRole.ADMIN).count() == 1


@pytest.mark.django_db
def test_given_a_colleague_when_admin_removes_them_then_they_lose_the_company_but_keep_their_login(
    admin_client_of_company, company, purchaser, client
):
    membership = Membership.objects.get(user=purchaser)

    confirm = admin_client_of_company.get(reverse("members:membership_remove", args=[membership.pk]))
    removed = admin_client_of_company.post(reverse("members:membership_remove", args=[membership.pk]), follow=True)

    assert confirm.status_code == 200
    assert str(purchaser) in confirm.content.decode()
    assert removed.status_code == 200
    assert "has been removed from the company" in removed.content.decode()
    assert not Membership.objects.filter(user=purchaser).exists()
    purchaser.refresh_from_db()
    assert purchaser.is_active
    client.force_login(purchaser)
    assert client.get(reverse("members:company")).status_code == 403


@pytest.mark.django_db
def test_given_an_unknown_role_when_changing_then_refused(company_admin, purchaser):
    membership = Membership.objects.get(user=purchaser)

    with pytest.raises(MembersError):
        membership_change_role(membership=membership, role="owner", actor=company_admin)

    assert _role_of(purchaser) == MembershipRole.PURCHASER


@pytest.mark.django_db
def test_given_a_removed_membership_when_removing_again_then_nothing_happens(company_admin, purchaser):
    membership = Membership.objects.get(user=purchaser)
    membership_remove(membership=membership, actor=company_admin)

    membership_remove(membership=membership, actor=company_admin)

    assert not Membership.objects.filter(user=purchaser).exists()


@pytest.mark.django_db(transaction=True)
def test_given_two_admins_when_they_demote_each_other_at_once_then_exactly_one_succeeds(require_postgres):
    """Without the company row lock both would see "one other admin left" and both demotions
    would commit, leaving the company without an admin."""
    company = CompanyFactory()
    first = MembershipFactory(company=company, role=MembershipRole.ADMIN)
    second = MembershipFactory(company=company, role=MembershipRole.ADMIN)
    barrier = threading.Barrier(2, timeout=10)
    outcomes: dict[str, str] = {}

    def demote(name: str, actor, target: Membership) -> None:
        try:
            barrier.wait()
            membership_change_role(membership=target, role=MembershipRole.VIEWER, actor=actor)
            outcomes[name] = "demoted"
        except MembersError as exc:
            outcomes[name] = f"refused: {exc}"
        except Exception as exc:  # reported by the assertion below
            outcomes[name] = f"crashed: {exc!r}"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=("first demotes second", first.user, second)),
        threading.Thread(target=demote, args=("second demotes first", second.user, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    results = sorted(outcomes.values())
    assert len(results) == 2, outcomes
    assert results[0] == "demoted", outcomes
    assert results[1].startswith("refused:"), outcomes
    assert company.memberships.filter(role=MembershipRole.ADMIN).count() == 1
