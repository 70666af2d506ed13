"""A purchase through the API tells the company's contacts that points arrived — after the
commit, once per purchase; a batch tells each company once."""

from __future__ import annotations

import pytest

from members.models import MembershipRole
from notifications.models import Notification, NotificationKind
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
    assert sorted(message.to[0] for message in mailoutbox) == sorted(user.email for user in contacts)


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
