"""A purchase through the API tells the company's contacts that points arrived — after the
commit, once per purchase, in the portal at once and by e-mail at most once an hour with
every purchase since the last e-mail; a batch tells each company once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import MembershipRole
from notifications.models import Notification, NotificationKind
from notifications.services import notification_preferences_set
from rewards.ledger.notices import points_emails_send
from tests.factories import CompanyFactory, MembershipFactory

from .conftest import purchase_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts(company):
    return [
        MembershipFactory(company=company, role=role).user for role in (MembershipRole.ADMIN, MembershipRole.VIEWER)
    ]


def test_a_new_purchase_notifies_every_contact_once_with_the_points_and_their_value(
    api, company, contacts, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/purchases", purchase_body(company)).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/purchases", purchase_body(company)).status_code == 200  # the ERP retries

    notices = Notification.objects.filter(kind=NotificationKind.POINTS)
    assert sorted(notice.recipient_id for notice in notices) == sorted(user.pk for user in contacts)
    notice = notices.first()
    assert notice.title == "1\u202f000 points (50\u00a0SEK) arrived"
    assert notice.body.startswith("For purchase ORDER-1. They become spendable on ")
    assert notice.url == "/points/history/"
    assert mailoutbox == []  # e-mailed by the next points_emails_send run

    assert points_emails_send() == 2
    assert sorted(message.to[0] for message in mailoutbox) == sorted(user.email for user in contacts)
    assert mailoutbox[0].subject == " ".join(notice.title.split())
    assert points_emails_send() == 0  # once


def test_purchases_in_quick_succession_are_e_mailed_together_at_most_once_an_hour(
    api, company, contacts, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.POINTS_EMAIL_INTERVAL_MINUTES = 60
    admin, viewer = contacts
    notification_preferences_set(user=viewer, email_by_kind={NotificationKind.POINTS: False})
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/purchases", purchase_body(company, "ORDER-1"))
    assert points_emails_send(now=start) == 1  # the first one goes out at once
    with django_capture_on_commit_callbacks(execute=True):
        for number in (2, 3, 4):
            api.post("/purchases", purchase_body(company, f"ORDER-{number}", net_amount="200.00"))

    assert points_emails_send(now=start + timedelta(minutes=30)) == 0  # within the hour: they wait
    assert points_emails_send(now=start + timedelta(minutes=61)) == 1
    assert points_emails_send(now=start + timedelta(minutes=125)) == 0  # nothing new

    assert [message.to for message in mailoutbox] == [[admin.email], [admin.email]]  # never the viewer
    digest = mailoutbox[1]
    assert digest.subject == "Points arrived: 3 updates"
    for number in (2, 3, 4):
        assert f"For purchase ORDER-{number}." in digest.body
    assert "200 points (10\u00a0SEK) arrived" in digest.body
    assert "ORDER-1" not in digest.body
    assert Notification.objects.filter(recipient=viewer, kind=NotificationKind.POINTS).count() == 4  # in the portal


def test_nothing_is_said_before_the_commit_nor_for_a_credit_note(
    api, company, contacts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        api.post("/purchases", purchase_body(company))
    assert not Notification.objects.exists()  # the notice is a task after the commit
    assert [callback.func.__self__.name for callback in queued] == ["rewards.tasks.notify_purchase_points"]

    with django_capture_on_commit_callbacks(execute=True) as queued:
        api.post(
            "/purchases",
            purchase_body(company, "CREDIT-1", net_amount="-1000.00", original_external_id="ORDER-1"),
        )
    assert queued == []


def test_a_batch_tells_each_company_once_however_many_purchases_it_has(
    api, company, contacts, django_capture_on_commit_callbacks
):
    other = CompanyFactory()
    other_contact = MembershipFactory(company=other).user
    items = [purchase_body(company, f"B-{n}", net_amount="100.00") for n in range(30)]
    items += [purchase_body(other, "O-1", net_amount="50.00")]

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/purchases/batch", {"items": items})

    assert response.status_code == 200 and response.json()["created"] == 31
    assert Notification.objects.filter(recipient=contacts[0]).count() == 1
    mine = Notification.objects.get(recipient=contacts[0])
    assert mine.title == "3\u202f000 points (150\u00a0SEK) arrived"
    assert mine.body == "30 purchases earned them. See your points history for each one."
    assert Notification.objects.get(recipient=other_contact).body.startswith("One purchase earned them.")
