"""A person's data: the download holds every personal field the registry names; erasure
leaves none of their values in any table while the ledger still balances; the last admin of
an active company is not erased; retention removes what is kept too long, once."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import ActivityCompletion, CompletionStatus
from core.texts import FREE_TEXT
from members.models import Invitation, MembershipRole
from messaging.services import thread_start
from notifications.models import Notification
from privacy.models import ErasureRequest, ErasureStatus, RetentionSettings
from privacy.registry import PERSONAL_DATA
from privacy.retention import retention_purge
from privacy.services import PrivacyError, erasure_confirm, erasure_request, person_erase
from reps.models import GoodwillBudget
from reps.services import goodwill_award
from rewards.ledger.services import points_account_for_company, points_adjust
from rewards.models import Redemption
from rewards.redemptions.services import DeliveryAddress, redemption_request
from tests.campaigns.factories import ActivityFactory
from tests.factories import InvitationFactory, MembershipFactory, StaffFactory, UserFactory
from tests.rewards.factories import RewardFactory

pytestmark = pytest.mark.django_db

NAME, SURNAME = "Quillonia", "Zabrowsky"
EMAIL = "quillonia.zabrowsky@example.com"
PHONE = "+46 70 987 65 43"
TEXTS = ("Quillonia wants a ladder quote", "Quillonia's photo of the shop", "leave it at gate Zabrowsky")


@pytest.fixture
def person(company, company_admin, rep, club_admin):
    user = MembershipFactory(
        company=company,
        role=MembershipRole.PURCHASER,
        user=UserFactory(email=EMAIL, first_name=NAME, last_name=SURNAME, phone=PHONE),
    ).user
    account = points_account_for_company(company=company)
    points_adjust(account=account, points=5000, reason="welcome", by=club_admin, key="welcome")
    redemption_request(
        reward=RewardFactory(points_cost=100),
        membership=user.membership,
        quantity=1,
        request_key="order-1",
        delivery=DeliveryAddress(
            name=f"{NAME} {SURNAME}", street="Gatan 1", postal_code="111 22", city="Stad", country="SE", phone=PHONE
        ),
        note=TEXTS[2],
        notify=False,
    )
    thread_start(company=company, author=user, subject="Ladders", body=TEXTS[0])
    ActivityCompletion.objects.create(
        activity=ActivityFactory(),
        company=company,
        user=user,
        scope_key=f"user:{user.pk}",
        status=CompletionStatus.SUBMITTED,
        text=TEXTS[1],
    )
    Notification.objects.create(
        recipient=user, kind="points", title_key=FREE_TEXT, title_params={"text": f"Hello {NAME}"}, key="n1"
    )
    InvitationFactory(company=company, email=EMAIL)
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "s"})
    SocialAccount.objects.create(user=user, provider="openid_connect", uid="quillonia-uid")
    return user


def test_the_download_holds_every_personal_field_the_registry_names(client, person):
    client.force_login(person)
    response = client.get(reverse("privacy:download"))
    data = json.loads(response.content)["data"]

    assert response.status_code == 200
    for entry in PERSONAL_DATA:
        assert entry.title in data, entry.title
        for row in data[entry.title]:
            for name in entry.fields:
                assert name in row, (entry.title, name)
    text = response.content.decode()
    for value in (NAME, SURNAME, EMAIL, PHONE, *TEXTS):
        assert value in text, value
    assert data["orders_placed"][0]["delivery_phone"] == PHONE
    assert data["single_sign_on"][0]["uid"] == "quillonia-uid"
    assert "secret" not in json.dumps(data["second_factors"])


def test_the_page_shows_the_data_and_another_person_sees_only_their_own(client, person, colleague):
    client.force_login(colleague)
    page = client.get(reverse("privacy:my_data")).content.decode()
    assert NAME not in page and TEXTS[0] not in page

    client.force_login(person)
    page = client.get(reverse("privacy:my_data")).content.decode()
    assert NAME in page and TEXTS[0] in page


def test_anonymous_visitors_are_sent_to_log_in(client):
    for name in ("privacy:my_data", "privacy:download", "privacy:erasure"):
        assert client.get(reverse(name)).status_code == 302


def _tables_containing(values) -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                text = " ".join(str(cell) for cell in row if cell is not None)
                found += [f"{table}: {value}" for value in values if value.lower() in text.lower()]
    return found


def test_erasure_leaves_no_personal_value_in_any_table_and_the_ledger_balances(client, person, company_admin):
    client.force_login(person)
    response = client.post(reverse("privacy:erasure"), {"confirm": "yes"})
    request = ErasureRequest.objects.get(user=person)
    assert response.status_code == 302
    assert request.due_at.date() == (timezone.now() + timedelta(days=30)).date()

    erasure_confirm(request=request, by=company_admin)

    assert _tables_containing([NAME, SURNAME, EMAIL, PHONE, *TEXTS]) == []
    call_command("check_ledger", stdout=io.StringIO())
    person.refresh_from_db()
    order = Redemption.objects.get(requested_by=person)
    assert order.points_total == 100 and order.delivery_name.startswith("Erased person")
    assert not person.is_active and not person.has_usable_password()
    assert not EmailAddress.objects.filter(user=person).exists()
    assert not SocialAccount.objects.filter(user=person).exists()
    assert not Authenticator.objects.filter(user=person).exists()
    assert client.get(reverse("privacy:my_data")).status_code == 302  # the session has ended
    request.refresh_from_db()
    assert request.status == ErasureStatus.DONE and request.decided_by == company_admin


def test_the_last_admin_of_an_active_company_is_not_erased(client, company_admin):
    client.force_login(company_admin)
    response = client.post(reverse("privacy:erasure"), {"confirm": "yes"}, follow=True)
    assert "last admin" in response.content.decode()
    assert not ErasureRequest.objects.exists()
    with pytest.raises(PrivacyError):
        person_erase(user=company_admin, by=None)
    company_admin.refresh_from_db()
    assert company_admin.is_active and "@example.com" in company_admin.email


def test_a_colleague_without_admin_rights_cannot_confirm(person, colleague):
    request = erasure_request(user=person)
    with pytest.raises(PrivacyError):
        erasure_confirm(request=request, by=colleague)
    request.refresh_from_db()
    assert request.status == ErasureStatus.REQUESTED


def test_staff_erase_from_the_admin_with_the_action(client, person, club_admin, settings):
    settings.STAFF_MFA_REQUIRED = False
    request = erasure_request(user=person)
    client.force_login(club_admin)
    changelist = reverse("admin:privacy_erasurerequest_changelist")
    assert client.get(changelist).status_code == 200
    client.post(changelist, {"action": "carry_out", "_selected_action": [request.pk]})
    request.refresh_from_db()
    assert request.status == ErasureStatus.DONE


def test_retention_removes_what_is_kept_too_long_once(company, club_admin):
    RetentionSettings.objects.create(expired_invitation_days=30, removed_contact_days=365, attachment_days=365)
    now = timezone.now()
    old = InvitationFactory(company=company, email="old@example.com", expires_at=now - timedelta(days=40))
    fresh = InvitationFactory(company=company, email="fresh@example.com", expires_at=now - timedelta(days=5))
    gone = UserFactory(email="gone.long.ago@example.com", first_name="Gone")
    gone.last_login = now - timedelta(days=400)
    gone.save(update_fields=["last_login"])
    recent = UserFactory(email="recent@example.com")
    recent.last_login = now - timedelta(days=10)
    recent.save(update_fields=["last_login"])

    first = retention_purge(now=now)
    second = retention_purge(now=now)

    assert first == {"invitations": 1, "attachments": 0, "contacts": 1}
    assert second == {"invitations": 0, "attachments": 0, "contacts": 0}
    assert not Invitation.objects.filter(pk=old.pk).exists() and Invitation.objects.filter(pk=fresh.pk).exists()
    gone.refresh_from_db()
    recent.refresh_from_db()
    assert not gone.is_active and "gone.long.ago" not in gone.email
    assert recent.is_active
    assert not club_admin.email.startswith("erased")


def test_the_retention_job_is_on_the_beat_schedule(settings):
    from privacy.tasks import purge_expired_data

    assert settings.CELERY_BEAT_SCHEDULE["privacy-retention-purge"]["task"] == purge_expired_data.name
    assert apps.get_model("privacy", "RetentionSettings").current().attachment_days == 730


def test_a_company_admin_confirms_on_the_company_page_and_another_company_cannot(
    client, person, company_admin, other_company_member
):
    request = erasure_request(user=person)
    confirm = reverse("privacy:confirm", args=[request.pk])

    client.force_login(other_company_member)
    client.post(confirm)
    request.refresh_from_db()
    assert request.status == ErasureStatus.REQUESTED

    client.force_login(company_admin)
    page = client.get(reverse("members:company")).content.decode()
    assert confirm in page
    client.post(confirm)
    request.refresh_from_db()
    assert request.status == ErasureStatus.DONE


def test_every_export_section_has_a_readable_title():
    from privacy.readable import SECTION_LABELS

    assert {entry.title for entry in PERSONAL_DATA} <= set(SECTION_LABELS)


def test_my_data_costs_the_same_queries_with_many_rows(client, person, company, django_assert_max_num_queries):
    from messaging.models import Thread
    from messaging.services import message_post

    thread = Thread.objects.get(created_by=person)
    for number in range(40):
        message_post(thread=thread, author=person, body=f"message {number}")
        Notification.objects.create(
            recipient=person,
            kind="points",
            title_key=FREE_TEXT,
            title_params={"text": f"note {number}"},
            key=f"k{number}",
        )
    client.force_login(person)
    with django_assert_max_num_queries(45):
        page = client.get(reverse("privacy:my_data"))
    assert page.status_code == 200 and "message 39" in page.content.decode()


def test_erasing_a_rep_removes_their_name_from_the_goodwill_they_gave(company, club_admin):
    """A ledger description names the rep who gave goodwill and quotes the reason they typed
    (a free text they wrote); after the rep's erasure the entry names the pseudonym for both
    and keeps its points."""
    rep = StaffFactory(group="Sales reps", first_name="Ottiliana", last_name="Brandqvist")
    company.sales_rep = rep
    company.save(update_fields=["sales_rep"])
    GoodwillBudget.objects.create(rep=rep, month=timezone.localdate().replace(day=1), points=1000)
    award = goodwill_award(rep=rep, company=company, points=300, reason="Thanks for the order", key="g-1")

    pseudonym = person_erase(user=rep, by=club_admin)

    assert _tables_containing(["Ottiliana", "Brandqvist", "Thanks for the order"]) == []
    award.entry.refresh_from_db()
    assert award.entry.points == 300
    assert award.entry.memo_params == {"rep": pseudonym, "reason": pseudonym}
    call_command("check_ledger", stdout=io.StringIO())


def test_the_company_admins_hear_of_a_request_in_their_language_once(person, company_admin):
    company_admin.language = "sv"
    company_admin.save(update_fields=["language"])

    request = erasure_request(user=person)
    erasure_request(user=person)

    notices = Notification.objects.filter(key=f"erasure:{request.pk}:requested")
    assert [notice.recipient for notice in notices] == [company_admin]
    with translation.override("sv"):
        assert notices[0].title == f"{NAME} {SURNAME} vill att deras personuppgifter raderas"
    assert notices[0].url == reverse("members:company")
