"""Fault test: the portal with production's Redis setup (cache and broker) and Redis down.

What needs Redis degrades; nothing else does. Pages answer as usual, login throttling still
holds (its counters move to the database cache), and a write that queues a task commits and
answers normally, its task waiting in the outbox for the broker to come back
(``tests/integration/test_redis_outage.py`` follows one through a real worker on Redis).

Transactional: the task is queued once the request's transaction commits, which is where it
used to fail (a 500 after the commit).
"""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.urls import reverse

from api.services import api_client_create
from members.models import Invitation, MembershipRole
from outbox.models import OutboxTask
from rewards.models import ProgrammeRules, Purchase
from tests.factories import MembershipFactory
from tests.outage import redis_unreachable

pytestmark = pytest.mark.django_db(transaction=True)

NEWCOMER = "new.colleague@example.com"
TOO_MANY = "Too many failed login attempts"


def waiting_tasks() -> list[tuple[str, list, dict]]:
    return list(
        OutboxTask.objects.filter(published_at__isnull=True).order_by("pk").values_list("task_name", "args", "kwargs")
    )


def test_given_redis_down_when_a_member_logs_in_then_the_dashboard_opens(client, company, purchaser, password):
    with redis_unreachable():
        login = client.post(reverse("account_login"), {"login": purchaser.email, "password": password})
        dashboard = client.get(reverse("dashboard"))

    assert login.status_code == 302 and login["Location"] == reverse("dashboard")
    assert dashboard.status_code == 200
    assert company.name in dashboard.content.decode()


def test_given_redis_down_when_someone_asks_for_a_password_reset_then_the_link_is_mailed(client, purchaser):
    with redis_unreachable():
        page = client.get(reverse("account_reset_password"))
        response = client.post(reverse("account_reset_password"), {"email": purchaser.email})

    assert page.status_code == 200
    assert response.status_code == 302 and response["Location"] == reverse("account_reset_password_done")
    [message] = mail.outbox
    assert message.to == [purchaser.email]


def test_given_redis_down_then_failed_logins_are_still_throttled(client, password):
    person = MembershipFactory().user
    with redis_unreachable():
        for attempt in range(5):
            client.post(reverse("account_login"), {"login": person.email, "password": f"wrong-{attempt}"})
        blocked = client.post(reverse("account_login"), {"login": person.email, "password": password})

    assert blocked.status_code == 200  # the form again, not the dashboard
    assert TOO_MANY in blocked.content.decode()


def test_given_redis_down_when_the_erp_posts_a_purchase_then_201_and_its_notice_waits_in_the_outbox(
    client, company, purchaser
):
    ProgrammeRules.current()
    _, token = api_client_create(name="ERP", source="erp", created_by=None)
    body = {
        "external_id": "ORDER-1",
        "company": company.external_id,
        "occurred_at": "2026-01-15T10:00:00+01:00",
        "net_amount": "1000.00",
        "currency": "SEK",
        "lines": [],
    }

    with redis_unreachable():
        response = client.post(
            "/api/v1/purchases", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )

    assert response.status_code == 201
    purchase = Purchase.objects.get(company=company, external_id="ORDER-1")
    [(task, args, kwargs)] = waiting_tasks()
    assert task == "rewards.tasks.notify_purchase_points"
    assert (args, kwargs["purchase_id"], kwargs["points"]) == ([], purchase.pk, 1000)
    assert OutboxTask.objects.get().attempts == 1  # tried after the commit, refused, kept


def test_given_redis_down_when_an_admin_invites_a_colleague_then_the_invitation_is_made_and_its_email_waits(
    admin_client_of_company, company
):
    with redis_unreachable():
        response = admin_client_of_company.post(
            reverse("members:invite"), {"email": NEWCOMER, "role": MembershipRole.PURCHASER}, follow=True
        )

    assert response.status_code == 200
    assert f"Invitation sent to {NEWCOMER}." in response.content.decode()
    invitation = Invitation.objects.get(company=company, email=NEWCOMER)
    assert waiting_tasks() == [("members.tasks.send_invitation_email", [invitation.pk], {})]
    assert mail.outbox == []  # not yet: the broker is down
