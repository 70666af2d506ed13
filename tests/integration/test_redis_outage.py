"""Fault test, end to end: writes made while Redis is unreachable keep their tasks, and a
real worker runs them once Redis is back.

While Redis is down (production's cache and broker setup pointed at a port nobody listens
on), an ERP posts a purchase and a company admin invites a colleague: both answer normally,
both writes commit, and their tasks wait in the outbox. Then Redis answers again: the relay
(beat's job every minute, or a worker starting) publishes them, the worker on the real Redis
runs them, and the invitation e-mail goes out once — also when the task is delivered twice.
"""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from api.services import api_client_create
from members.models import Invitation, MembershipRole
from members.tasks import send_invitation_email
from notifications.models import Notification, NotificationKind
from outbox.models import OutboxTask
from outbox.services import outbox_relay
from rewards.models import ProgrammeRules, Purchase
from tests.integration.conftest import accept_link_in, wait_until
from tests.outage import redis_unreachable

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

NEWCOMER = "new.colleague@example.com"


def _emails_to(address: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if address in message.to]


def test_tasks_written_while_redis_was_down_run_on_the_worker_once_it_is_back(
    request, redis_broker_url, task_events, company, company_admin, purchaser
):
    ProgrammeRules.current()
    _, token = api_client_create(name="ERP", source="erp", created_by=None)
    erp, admin = Client(), Client()
    admin.force_login(company_admin)
    purchase_body = {
        "external_id": "ORDER-1",
        "company": company.external_id,
        "occurred_at": "2026-01-15T10:00:00+01:00",
        "net_amount": "1000.00",
        "currency": "SEK",
        "lines": [],
    }

    # given Redis unreachable, when a purchase arrives and a colleague is invited
    with redis_unreachable():
        posted = erp.post(
            "/api/v1/purchases",
            json.dumps(purchase_body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        invited = admin.post(reverse("members:invite"), {"email": NEWCOMER, "role": MembershipRole.VIEWER})

    # then both answer normally, both writes are committed, and their tasks wait
    assert posted.status_code == 201
    assert invited.status_code == 302
    purchase = Purchase.objects.get(company=company, external_id="ORDER-1")
    invitation = Invitation.objects.get(email=NEWCOMER)
    waiting = list(OutboxTask.objects.filter(published_at__isnull=True).order_by("pk"))
    assert [row.task_name for row in waiting] == [
        "rewards.tasks.notify_purchase_points",
        "members.tasks.send_invitation_email",
    ]
    assert mail.outbox == [] and task_events.published == []

    # when Redis is back, with a worker, and the relay runs
    request.getfixturevalue("celery_worker")
    assert outbox_relay() == 2
    assert outbox_relay() == 0  # published once

    # then the worker runs both tasks (waiting on the worker's signals, not on the database:
    # SQLite's shared in-memory test database does not like two threads at once)
    runs = [
        wait_until(lambda row=row: task_events.finished_run(str(row.task_id)), what=f"the worker to run {row}")
        for row in waiting
    ]
    assert [(run["task"], run["state"]) for run in runs] == [
        ("rewards.tasks.notify_purchase_points", "SUCCESS"),
        ("members.tasks.send_invitation_email", "SUCCESS"),
    ]
    # the points are announced to the company's two contacts (in the portal; e-mailed by the digest job)
    assert runs[0]["retval"] == 2
    assert Notification.objects.get(recipient=purchaser, kind=NotificationKind.POINTS).key == (
        f"points:purchase:{purchase.pk}"
    )
    # and the invitation is e-mailed, with its link
    [message] = _emails_to(NEWCOMER)
    assert accept_link_in(message.body) == invitation.pk

    # and a second delivery of the same task (the outbox publishes at least once) sends nothing
    again = send_invitation_email.delay(invitation.pk)
    rerun = wait_until(lambda: task_events.finished_run(again.id), what="the second delivery")
    assert (rerun["state"], rerun["retval"]) == ("SUCCESS", False)
    assert len(_emails_to(NEWCOMER)) == 1
