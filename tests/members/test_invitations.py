"""Invitations: who can be invited, the e-mail with its link, and what the link does."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from members.models import Invitation, Membership, MembershipRole, User
from members.services import MembersError, invitation_accept, invitation_create
from tests.factories import InvitationFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def _link_path(url: str) -> str:
    """The path of an absolute link from an e-mail, for the test client."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _signup_is_closed(response) -> bool:
    return "account/signup_closed.html" in [template.name for template in response.templates]


def _accept_path(invitation: Invitation) -> str:
    return reverse("members:invitation_accept", args=[invitation.token])


# --- Creating an invitation --------------------------------------------------------------


def test_given_company_admin_when_inviting_then_email_with_working_link_is_sent_after_commit(
    company, company_admin, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = invitation_create(
            company=company, email=" New.Person@Example.com ", role=MembershipRole.VIEWER, invited_by=company_admin
        )
        assert mail.outbox == [], "nothing is sent before the transaction commits"

    for callback in callbacks:
        callback()

    assert invitation.email == "new.person@example.com"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.com"]
    assert company.name in message.subject
    (link,) = re.findall(r"https?://\S+", message.body)
    assert link.startswith(settings.SITE_URL + "/invitations/")
    assert Invitation.pk_from_token(link.rstrip("/").rsplit("/", 1)[1]) == invitation.pk

    response = client.get(_link_path(link))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_signup")


def test_given_admin_page_when_posting_invite_form_then_invitation_is_listed_and_mailed(
    admin_client_of_company, company, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_of_company.post(
            reverse("members:invite"), {"email": "buyer@example.com", "role": MembershipRole.PURCHASER}, follow=True
        )

    assert response.status_code == 200
    assert "Invitation sent to buyer@example.com." in response.content.decode()
    assert "buyer@example.com" in response.content.decode()
    assert [message.to for message in mail.outbox] == [["buyer@example.com"]]
    assert company.invitations.get().role == MembershipRole.PURCHASER


def test_given_an_invitation_e_mailed_when_its_task_is_delivered_again_then_no_second_e_mail(
    company, company_admin, django_capture_on_commit_callbacks
):
    """Tasks reach the worker at least once (the outbox publishes again after a crash)."""
    from members.tasks import send_invitation_email

    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(
            company=company, email="buyer@example.com", role=MembershipRole.PURCHASER, invited_by=company_admin
        )
    assert len(mail.outbox) == 1

    assert send_invitation_email.delay(invitation.pk).get() is False

    assert len(mail.outbox) == 1
    invitation.refresh_from_db()
    assert invitation.emailed_at is not None


def test_given_an_open_invitation_when_inviting_the_same_address_again_then_old_link_stops_working(
    company, company_admin, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = invitation_create(
            company=company, email="twice@example.com", role=MembershipRole.VIEWER, invited_by=company_admin
        )
        second = invitation_create(
            company=company, email="TWICE@example.com", role=MembershipRole.ADMIN, invited_by=company_admin
        )

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert list(Invitation.objects.pending().filter(company=company)) == [second]
    old_link = client.get(_accept_path(first))
    assert old_link.status_code == 410
    assert "withdrawn" in old_link.content.decode()
    assert client.get(_accept_path(second)).status_code == 302


def test_given_address_already_in_this_company_when_inviting_then_refused_with_message(
    company, company_admin, viewer, admin_client_of_company
):
    with pytest.raises(MembersError, match="already a member of"):
        invitation_create(
            company=company, email=viewer.email.upper(), role=MembershipRole.ADMIN, invited_by=company_admin
        )

    response = admin_client_of_company.post(
        reverse("members:invite"), {"email": viewer.email, "role": MembershipRole.ADMIN}
    )
    assert response.status_code == 200
    assert "is already a member of" in response.context["form"].errors["email"][0]
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_given_address_of_another_companys_contact_when_staff_invite_then_refused_with_explanation(
    company, other_company_member
):
    staff = StaffFactory(group="Club admins")

    with pytest.raises(MembersError) as error:
        invitation_create(
            company=company, email=other_company_member.email, role=MembershipRole.VIEWER, invited_by=staff
        )

    assert "belongs to another member company" in str(error.value)
    assert "one company only" in str(error.value)
    assert not Invitation.objects.exists()


def test_given_address_of_another_companys_contact_when_a_company_admin_invites_then_nothing_says_where_they_work(
    company, company_admin, other_company_member, admin_client_of_company, client
):
    # A company admin invites an address that is another member company's contact:
    response = admin_client_of_company.post(
        reverse("members:invite"), {"email": other_company_member.email, "role": MembershipRole.VIEWER}, follow=True
    )

    # the page answers as for anyone (nothing tells them the person works elsewhere),
    page = response.content.decode()
    assert response.status_code == 200
    assert "another member company" not in page
    invitation = Invitation.objects.get(email=other_company_member.email)
    # and only the address's owner learns it, when they try to accept.
    with pytest.raises(MembersError, match="already belong to a member company"):
        invitation_accept(invitation_id=invitation.pk, user=other_company_member)
    assert other_company_member.membership.company != company


def test_given_staff_address_when_inviting_then_refused(company, company_admin):
    staff = StaffFactory(group="Sales reps")

    with pytest.raises(MembersError, match="staff"):
        invitation_create(company=company, email=staff.email, role=MembershipRole.VIEWER, invited_by=company_admin)

    assert not Invitation.objects.exists()


def test_given_a_purchaser_when_inviting_through_the_service_then_refused(company, purchaser):
    with pytest.raises(MembersError, match="Only a company admin"):
        invitation_create(company=company, email="x@example.com", role=MembershipRole.ADMIN, invited_by=purchaser)

    assert not Invitation.objects.exists()


def test_given_a_club_admin_when_inviting_a_companys_first_admin_then_allowed(company, club_admin):
    invitation = invitation_create(
        company=company, email="first.admin@example.com", role=MembershipRole.ADMIN, invited_by=club_admin
    )

    assert invitation.is_open


# --- Following the link ------------------------------------------------------------------


def test_given_expired_invitation_when_opening_link_then_410_and_no_membership(client):
    invitation = InvitationFactory(expires_at=timezone.now() - timedelta(minutes=1))

    response = client.get(_accept_path(invitation))

    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert _signup_is_closed(client.get(reverse("account_signup")))
    assert not Membership.objects.exists()


def test_given_tampered_token_when_opening_link_then_404(client):
    invitation = InvitationFactory()

    response = client.get(reverse("members:invitation_accept", args=[invitation.token + "x"]))

    assert response.status_code == 404


def test_given_accepted_invitation_when_accepting_again_then_refused(client, company):
    invitation = InvitationFactory(company=company, email="once@example.com")
    person = UserFactory(email="once@example.com")
    client.force_login(person)
    assert client.post(_accept_path(invitation)).status_code == 302
    membership = Membership.objects.get(user=person)
    membership.delete()  # even after leaving, the same link cannot bring them back

    second_get = client.get(_accept_path(invitation))
    second_post = client.post(_accept_path(invitation))

    assert second_get.status_code == 410
    assert "already been used" in second_get.content.decode()
    assert second_post.status_code == 409
    assert not Membership.objects.filter(user=person).exists()


def test_given_logged_in_person_with_another_address_when_opening_link_then_refused(client):
    invitation = InvitationFactory(email="invited@example.com")
    someone_else = UserFactory(email="someone.else@example.com")
    client.force_login(someone_else)

    shown = client.get(_accept_path(invitation))
    posted = client.post(_accept_path(invitation))

    assert shown.status_code == 403
    assert "This invitation is for invited@example.com" in shown.content.decode()
    assert posted.status_code == 409
    assert not Membership.objects.exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_given_existing_account_when_opening_link_then_asked_to_log_in_and_can_accept(client, company, password):
    invitation = InvitationFactory(company=company, email="known@example.com", role=MembershipRole.ADMIN)
    UserFactory(email="known@example.com")

    path = _accept_path(invitation)  # the token is timestamped: build it once
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={path}"

    client.login(email="known@example.com", password=password)
    confirm = client.get(_accept_path(invitation))
    assert confirm.status_code == 200
    assert "Accept the invitation" in confirm.content.decode()
    accepted = client.post(_accept_path(invitation), follow=True)

    assert accepted.redirect_chain[-1][0] == reverse("dashboard")
    assert "Where to start" in accepted.content.decode()
    assert "Welcome back" not in accepted.content.decode()
    membership = Membership.objects.get(user__email="known@example.com")
    assert (membership.company, membership.role) == (company, MembershipRole.ADMIN)


def test_given_member_of_another_company_when_accepting_then_refused(client, other_company_member):
    invitation = InvitationFactory(email=other_company_member.email)
    client.force_login(other_company_member)

    response = client.post(_accept_path(invitation))

    assert response.status_code == 409
    assert "already belong to a member company" in response.content.decode()
    assert Membership.objects.get(user=other_company_member).company != invitation.company


def test_given_two_accepts_for_one_invitation_when_the_second_runs_then_it_is_refused():
    invitation = InvitationFactory(email="racer@example.com")
    person = UserFactory(email="racer@example.com")
    invitation_accept(invitation_id=invitation.pk, user=person)

    with pytest.raises(MembersError, match="already been used"):
        invitation_accept(invitation_id=invitation.pk, user=person)

    assert Membership.objects.filter(user=person).count() == 1


# --- The newcomer's journey --------------------------------------------------------------


def test_given_newcomer_with_invitation_when_signing_up_then_member_with_invited_role_and_logged_in(
    client, company, company_admin, password, django_capture_on_commit_callbacks, cleared_cache
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            company=company, email="newcomer@example.com", role=MembershipRole.VIEWER, invited_by=company_admin
        )
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    mail.outbox.clear()

    opened = client.get(_link_path(link), follow=True)
    assert opened.redirect_chain == [(reverse("account_signup"), 302)]
    form = opened.context["form"]
    assert form["email"].value() == "newcomer@example.com"
    assert "first_name" in form.fields and "last_name" in form.fields

    signed_up = client.post(
        reverse("account_signup"),
        {
            "email": "newcomer@example.com",
            "first_name": "Nora",
            "last_name": "Newcomer",
            "password1": password,
            "password2": password,
        },
        follow=True,
    )

    assert signed_up.status_code == 200
    assert signed_up.redirect_chain[-1][0] == reverse("dashboard")
    assert signed_up.context["user"].is_authenticated
    membership = Membership.objects.select_related("user").get(user__email="newcomer@example.com")
    assert (membership.company, membership.role) == (company, MembershipRole.VIEWER)
    assert (membership.user.first_name, membership.user.last_name) == ("Nora", "Newcomer")
    invitation = Invitation.objects.get(email="newcomer@example.com")
    assert invitation.accepted_at is not None
    assert invitation.accepted_by == membership.user
    assert membership.user.emailaddress_set.get().verified
    assert mail.outbox == [], "no verification e-mail: the link proved the mailbox"
    assert company.name in client.get(reverse("members:company")).content.decode()


def test_given_invitation_when_posting_a_different_address_then_the_invited_one_is_used(
    client, password, cleared_cache
):
    """The address is fixed by the invitation (a disabled field): whatever is posted, the
    account is made for the mailbox the link was sent to, never for another one."""
    invitation = InvitationFactory(email="invited@example.com")
    client.get(_accept_path(invitation))

    client.post(
        reverse("account_signup"),
        {
            "email": "other@example.com",
            "first_name": "Otto",
            "last_name": "Other",
            "password1": password,
            "password2": password,
        },
    )

    assert not User.objects.filter(email="other@example.com").exists()
    membership = Membership.objects.select_related("user").get()
    assert membership.user.email == "invited@example.com"
    assert Invitation.objects.get().accepted_by == membership.user


def test_given_invitation_when_opening_its_landing_page_then_it_names_inviter_company_and_role(
    client, company, company_admin, cleared_cache
):
    invitation = InvitationFactory(
        company=company, email="nora@example.com", role=MembershipRole.PURCHASER, invited_by=company_admin
    )

    page = client.get(_accept_path(invitation), follow=True)

    body = page.content.decode()
    assert page.redirect_chain[-1][0] == reverse("account_signup")
    assert company_admin.get_full_name() in body
    assert company.name in body
    assert "Purchaser" in body
    assert "Already have an account" not in body and "Sign Up" not in body
    form = page.context["form"]
    assert form.fields["email"].disabled and form["email"].value() == "nora@example.com"
    assert set(form.fields) == {"email", "first_name", "last_name", "password1", "password2"}


def test_given_new_member_when_signed_up_then_first_page_welcomes_them_and_points_to_how_points_work(
    client, company, company_admin, password, portal_site, cleared_cache
):
    from cms.models import HomePage, HowPointsWorkPage

    home = HomePage.objects.get(pk=portal_site.root_page_id)
    how = home.add_child(instance=HowPointsWorkPage(title="How points work", slug="how-points-work"))
    invitation = InvitationFactory(company=company, email="nora@example.com", invited_by=company_admin)
    client.get(_accept_path(invitation))

    first = client.post(
        reverse("account_signup"),
        {"first_name": "Nora", "last_name": "Lind", "password1": password, "password2": password},
        follow=True,
    )
    second = client.get(reverse("dashboard"))

    # Nora chose no language yet: her (Swedish) company's country decides
    body = first.content.decode()
    assert "Välkommen till" in body and "Nora" in body
    assert "Välkommen tillbaka" not in body
    assert f'href="{how.url}"' in body
    assert "Välkommen tillbaka, Nora" in second.content.decode(), "the welcome is for the first page only"


def test_given_no_invitation_when_opening_or_posting_sign_up_then_it_is_closed(client, password, cleared_cache):
    page = client.get(reverse("account_signup"))
    posted = client.post(
        reverse("account_signup"),
        {
            "email": "walkin@example.com",
            "first_name": "W",
            "last_name": "K",
            "password1": password,
            "password2": password,
        },
    )

    assert _signup_is_closed(page)
    assert _signup_is_closed(posted)
    assert not User.objects.filter(email="walkin@example.com").exists()


def test_given_a_300_character_address_when_inviting_then_a_clear_form_error_and_no_invitation(
    admin_client_of_company,
):
    address = "a" * 288 + "@example.com"

    response = admin_client_of_company.post(
        reverse("members:invite"), {"email": address, "role": MembershipRole.PURCHASER}
    )

    assert response.status_code == 200
    assert "at most 254 characters" in response.context["form"].errors["email"][0]
    assert not Invitation.objects.exists()
