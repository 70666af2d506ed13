"""Suspended companies: their contacts cannot log in and are told why."""

from __future__ import annotations

import pytest
from django.urls import reverse

from members.models import CompanyStatus
from members.services import MembersError, company_set_status

pytestmark = pytest.mark.django_db

REASON = "Unpaid invoices since March."


def test_given_suspended_company_when_contact_logs_in_then_refused_with_the_reason(
    client, company, purchaser, club_admin, password, cleared_cache
):
    company_set_status(company=company, status=CompanyStatus.SUSPENDED, reason=REASON, actor=club_admin)

    response = client.post(reverse("account_login"), {"login": purchaser.email, "password": password}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("members:suspended")
    assert response.status_code == 403
    page = response.content.decode()
    assert "suspended" in page
    assert REASON in page
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("dashboard")).status_code == 302


def test_given_logged_in_contact_when_company_gets_suspended_then_logged_out_on_next_request(
    client, company, purchaser, club_admin
):
    client.force_login(purchaser)
    assert client.get(reverse("dashboard")).status_code == 200

    company_set_status(company=company, status=CompanyStatus.SUSPENDED, reason=REASON, actor=club_admin)
    response = client.get(reverse("members:company"), follow=True)

    assert response.redirect_chain[0] == (reverse("members:suspended"), 302)
    assert REASON in response.content.decode()
    assert "_auth_user_id" not in client.session
    later = client.get(reverse("dashboard"))
    assert later.status_code == 302
    assert later["Location"].startswith(reverse("account_login"))


def test_given_reactivated_company_when_contact_logs_in_then_allowed(
    client, company, purchaser, club_admin, password, cleared_cache
):
    company_set_status(company=company, status=CompanyStatus.SUSPENDED, reason=REASON, actor=club_admin)
    company_set_status(company=company, status=CompanyStatus.ACTIVE, actor=club_admin)

    response = client.post(reverse("account_login"), {"login": purchaser.email, "password": password})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(purchaser.pk)
    company.refresh_from_db()
    assert company.suspension_reason == ""


@pytest.mark.parametrize("reason", ["", "   "])
def test_given_no_reason_when_suspending_then_refused_and_company_stays_active(company, club_admin, reason):
    with pytest.raises(MembersError, match="Give a reason"):
        company_set_status(company=company, status=CompanyStatus.SUSPENDED, reason=reason, actor=club_admin)

    company.refresh_from_db()
    assert company.status == CompanyStatus.ACTIVE


def test_given_suspended_company_when_inviting_then_refused(company, company_admin, club_admin):
    from members.models import MembershipRole
    from members.services import invitation_create

    company_set_status(company=company, status=CompanyStatus.SUSPENDED, reason=REASON, actor=club_admin)

    with pytest.raises(MembersError, match="suspended"):
        invitation_create(company=company, email="new@example.com", role=MembershipRole.VIEWER, invited_by=club_admin)


def test_given_a_view_only_rep_when_they_reactivate_their_suspended_account_through_the_service_then_refused(
    company, rep, club_admin
):
    company_set_status(company=company, status=CompanyStatus.SUSPENDED, reason=REASON, actor=club_admin)

    with pytest.raises(MembersError, match="may not change"):
        company_set_status(company=company, status=CompanyStatus.ACTIVE, actor=rep)

    company.refresh_from_db()
    assert company.status == CompanyStatus.SUSPENDED


def test_given_a_rep_allowed_to_change_companies_when_they_suspend_another_reps_account_then_refused(
    company, other_rep, other_company
):
    from django.contrib.auth.models import Permission

    other_rep.user_permissions.add(Permission.objects.get(codename="change_company"))

    with pytest.raises(MembersError, match="may not change"):
        company_set_status(company=company, status=CompanyStatus.SUSPENDED, reason=REASON, actor=other_rep)
    company_set_status(company=other_company, status=CompanyStatus.SUSPENDED, reason=REASON, actor=other_rep)

    company.refresh_from_db()
    other_company.refresh_from_db()
    assert (company.status, other_company.status) == (CompanyStatus.ACTIVE, CompanyStatus.SUSPENDED)
