"""Invitation e-mail through a real Celery worker on Redis (not eager mode).

Given/when/then: the task is published only after the transaction commits, the worker
sends the e-mail, and the task is safe to run again for an invitation that was revoked.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from members.models import Invitation, MembershipRole
from members.services import invitation_create, invitation_revoke
from members.tasks import send_invitation_email
from tests.integration.conftest import QUEUE_PREFIX, accept_link_in, wait_until

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

SEND_INVITATION = send_invitation_email.name
NEWCOMER = "new.colleague@example.com"


class RolledBack(Exception):
    pass


def _emails_to(address: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if address in message.to]


def test_invitation_email_is_sent_by_the_worker_only_after_commit(celery_worker, task_events, company, company_admin):
    # given a company admin, when the invitation is made in a transaction that rolls back
    with pytest.raises(RolledBack), transaction.atomic():
        invitation_create(company=company, email=NEWCOMER, role=MembershipRole.PURCHASER, invited_by=company_admin)
        raise RolledBack
    # then nothing is left and nothing was enqueued
    assert not Invitation.objects.filter(email=NEWCOMER).exists()
    assert task_events.published_args(SEND_INVITATION) == []

    # when the invitation is made in a transaction that commits
    with transaction.atomic():
        invitation = invitation_create(
            company=company, email=NEWCOMER, role=MembershipRole.PURCHASER, invited_by=company_admin
        )
        # (still inside the transaction: the worker could not load the row yet)
        assert task_events.published_args(SEND_INVITATION) == []
    # then the task is published once, after the commit, to the broker
    assert task_events.published_args(SEND_INVITATION) == [[invitation.pk]]

    # and the worker sends the e-mail with the link
    [message] = wait_until(lambda: _emails_to(NEWCOMER), what="the invitation e-mail")
    assert company.name in message.subject
    assert accept_link_in(message.body) == invitation.pk
    [published] = task_events.published
    assert published["routing_key"].startswith(QUEUE_PREFIX)  # the test's own queue, not a shared one
    run = wait_until(lambda: task_events.finished_run(published["id"]), what="the worker to finish the task")
    assert run["state"] == "SUCCESS"
    assert run["retval"] is True
    # the rolled-back attempt sent nothing (the worker takes tasks in order from its queue)
    assert len(mail.outbox) == 1


def test_the_task_sends_nothing_for_a_revoked_invitation_even_when_run_twice(
    celery_worker, task_events, company, company_admin
):
    # given an invitation whose e-mail went out, then was revoked
    invitation = invitation_create(
        company=company, email=NEWCOMER, role=MembershipRole.VIEWER, invited_by=company_admin
    )
    wait_until(lambda: _emails_to(NEWCOMER), what="the invitation e-mail")
    invitation_revoke(invitation=invitation, actor=company_admin)

    # when the task runs twice more on the worker (a retry, a duplicate delivery)
    task_ids = [send_invitation_email.delay(invitation.pk).id for _ in range(2)]
    runs = [
        wait_until(lambda task_id=task_id: task_events.finished_run(task_id), what="the worker to run the task")
        for task_id in task_ids
    ]

    # then both runs succeed and send nothing
    assert [(run["state"], run["retval"]) for run in runs] == [("SUCCESS", False), ("SUCCESS", False)]
    assert len(_emails_to(NEWCOMER)) == 1
    assert len(mail.outbox) == 1
