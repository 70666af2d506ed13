"""An invitation to someone who is already another member company's contact.

The inviting admin is told "sent" as for anyone (they must not learn where a person
works); the person reads the invitation in their own language, and its link explains why
they cannot accept it with this account instead of offering a button that cannot work.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from members.models import Country, Invitation, Membership, MembershipRole
from members.services import invitation_create
from tests.factories import CompanyFactory, InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dutch_contact(db):
    company = CompanyFactory(name="Van Dijk Installatie BV", country=Country.NETHERLANDS)
    return MembershipFactory(
        company=company, role=MembershipRole.PURCHASER, user__email="purchaser@vandijk.example", user__language="nl"
    ).user


@pytest.fixture
def swedish_admin(db):
    company = CompanyFactory(name="Bergström VVS AB", country=Country.SWEDEN)
    return MembershipFactory(
        company=company, role=MembershipRole.ADMIN, user__email="admin@bergstrom.example", user__language="sv"
    ).user


def test_given_a_dutch_contact_of_another_company_when_a_swedish_admin_invites_them_then_the_e_mail_is_dutch(
    client, swedish_admin, dutch_contact, django_capture_on_commit_callbacks
):
    client.force_login(swedish_admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("members:invite"), {"email": dutch_contact.email, "role": MembershipRole.VIEWER}, follow=True
        )

    # The admin is answered as for anyone (in their own language), nothing about where the person works,
    assert response.status_code == 200
    assert Invitation.objects.filter(email=dutch_contact.email).exists()
    # and the invited person reads the e-mail in their language, not the inviting company's.
    (message,) = mail.outbox
    assert message.to == [dutch_contact.email]
    assert message.subject.startswith("Je bent uitgenodigd voor Bergström VVS AB")
    assert "Uitnodiging accepteren" in message.body


def test_given_an_existing_person_without_a_chosen_language_when_invited_then_their_companys_language_is_used(
    swedish_admin, django_capture_on_commit_callbacks
):
    contact = MembershipFactory(
        company=CompanyFactory(country=Country.NETHERLANDS), user__language="", user__email="nl@example.com"
    ).user

    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            company=swedish_admin.membership.company,
            email=contact.email,
            role=MembershipRole.VIEWER,
            invited_by=swedish_admin,
        )

    (message,) = mail.outbox
    assert message.subject.startswith("Je bent uitgenodigd")


def test_given_a_newcomer_when_invited_then_the_inviting_companys_language_is_still_used(
    swedish_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            company=swedish_admin.membership.company,
            email="new@example.com",
            role=MembershipRole.VIEWER,
            invited_by=swedish_admin,
        )

    (message,) = mail.outbox
    assert message.subject.startswith("Du är inbjuden")


def test_given_a_contact_of_another_company_when_opening_the_link_then_told_why_and_no_accept_button(
    client, dutch_contact
):
    invitation = InvitationFactory(email=dutch_contact.email, role=MembershipRole.VIEWER)
    client.force_login(dutch_contact)

    response = client.get(reverse("members:invitation_accept", args=[invitation.token]), HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert response.status_code == 409
    assert 'type="submit"' not in page.split("<main", 1)[-1].split("</main>", 1)[0]
    assert "Uitnodiging accepteren" not in page and "Accept the invitation" not in page
    # In their own language (Dutch), naming the company they belong to and what to do.
    assert "Van Dijk Installatie BV" in page
    assert invitation.company.name in page
    assert Membership.objects.get(user=dutch_contact).company.name == "Van Dijk Installatie BV"


def test_given_a_contact_of_another_company_reading_english_when_opening_the_link_then_the_reason_is_explained(
    client, other_company_member
):
    invitation = InvitationFactory(email=other_company_member.email)
    client.force_login(other_company_member)

    response = client.get(reverse("members:invitation_accept", args=[invitation.token]))

    page = response.content.decode()
    assert response.status_code == 409
    assert "You already belong to" in page
    assert "can belong to one member company only" in page
    assert "Accept the invitation" not in page


def test_given_a_member_of_this_company_when_opening_an_old_link_then_told_there_is_nothing_to_accept(client, company):
    person = UserFactory(email="already@example.com")
    invitation = InvitationFactory(company=company, email=person.email)
    MembershipFactory(company=company, user=person)
    client.force_login(person)

    response = client.get(reverse("members:invitation_accept", args=[invitation.token]))

    assert "already a member of" in response.content.decode()
    assert "Accept the invitation" not in response.content.decode()


def test_given_a_person_without_a_company_when_opening_the_link_then_the_accept_button_is_offered(client):
    person = UserFactory(email="free@example.com")
    invitation = InvitationFactory(email=person.email)
    client.force_login(person)

    response = client.get(reverse("members:invitation_accept", args=[invitation.token]))

    assert response.status_code == 200
    assert "Accept the invitation" in response.content.decode()
