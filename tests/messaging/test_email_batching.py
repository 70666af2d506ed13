"""Message e-mails: at most one per thread and person every 15 minutes, only what they have
not read, never twice, with a link back and an unsubscribe link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from messaging.models import Thread
from messaging.services import message_emails_send, message_post, thread_mark_read, thread_start
from notifications.models import NotificationKind
from notifications.services import notification_preferences_set

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def post(thread, author, body, at):
    return message_post(thread=thread, author=author, body=body, now=at)


def run(at) -> int:
    return message_emails_send(now=at)


@pytest.fixture
def thread(company, rep, purchaser):
    return thread_start(company=company, author=rep, subject="Spring order", body="First", now=T0)


def to(mailoutbox, user):
    return [message for message in mailoutbox if message.to == [user.email]]


def test_the_first_unread_message_is_emailed_with_a_link_back_and_an_unsubscribe_link(
    thread, purchaser, rep, mailoutbox, settings
):
    assert run(T0 + MINUTE) == 1

    (email,) = to(mailoutbox, purchaser)
    assert email.subject == "New message: Spring order"
    link = f"{settings.SITE_URL}/messages/{thread.pk}/"
    assert link in email.body and link in email.alternatives[0][0]
    assert "First" in email.body and "Anna Sälj" in email.body
    assert "/notifications/unsubscribe/" in email.body
    assert to(mailoutbox, rep) == []  # the author is not e-mailed their own message


def test_messages_within_15_minutes_wait_and_then_arrive_together_in_one_email(thread, purchaser, rep, mailoutbox):
    run(T0 + MINUTE)  # first e-mail
    post(thread, rep, "Second", T0 + 2 * MINUTE)
    post(thread, rep, "Third", T0 + 5 * MINUTE)

    for minute in range(3, 16):
        run(T0 + minute * MINUTE)
    assert len(to(mailoutbox, purchaser)) == 1  # nothing more inside the 15 minutes

    assert run(T0 + 16 * MINUTE) == 1
    emails = to(mailoutbox, purchaser)
    assert len(emails) == 2
    assert emails[1].subject == "2 new messages: Spring order"
    assert "Second" in emails[1].body and "Third" in emails[1].body and "First" not in emails[1].body
    assert run(T0 + 40 * MINUTE) == 0  # nothing new: nothing sent, however often it runs


def test_what_the_person_read_in_the_portal_meanwhile_is_not_emailed(thread, purchaser, rep, mailoutbox):
    run(T0 + MINUTE)
    second = post(thread, rep, "Second", T0 + 2 * MINUTE)
    thread_mark_read(thread=thread, user=purchaser, upto_message_id=second.pk, now=T0 + 3 * MINUTE)

    assert run(T0 + 20 * MINUTE) == 0
    assert len(to(mailoutbox, purchaser)) == 1


def test_at_most_one_email_per_thread_but_each_thread_has_its_own_window(company, thread, rep, purchaser, mailoutbox):
    other = thread_start(company=company, author=rep, subject="Invoice", body="About the invoice", now=T0)

    assert run(T0 + MINUTE) == 2
    assert sorted(email.subject for email in to(mailoutbox, purchaser)) == [
        "New message: Invoice",
        "New message: Spring order",
    ]
    assert other.pk != thread.pk


def test_people_who_turned_message_emails_off_get_none_but_still_see_the_messages(
    thread, rep, purchaser, colleague, mailoutbox
):
    notification_preferences_set(user=colleague, email_by_kind={NotificationKind.MESSAGE: False})
    colleague.email_notifications = True
    colleague.save()

    run(T0 + MINUTE)

    assert to(mailoutbox, colleague) == []
    assert len(to(mailoutbox, purchaser)) == 1


def test_the_rep_is_emailed_member_replies_with_the_staff_link(thread, rep, purchaser, mailoutbox, settings):
    post(thread, purchaser, "A reply from the member", T0 + MINUTE)

    run(T0 + 2 * MINUTE)

    (email,) = to(mailoutbox, rep)
    assert f"{settings.SITE_URL}/staff/messages/{thread.pk}/" in email.body


def test_a_thread_is_not_looked_at_again_once_everyone_is_done(
    thread, purchaser, mailoutbox, django_assert_num_queries
):
    run(T0 + MINUTE)
    stored = Thread.objects.get()
    assert stored.email_checked_upto == stored.last_message_id

    with django_assert_num_queries(1):  # only the search for threads with something new
        assert run(T0 + 30 * MINUTE) == 0


def test_a_colleague_who_joins_later_is_not_emailed_the_history(company, thread, rep, mailoutbox):
    from tests.factories import MembershipFactory

    run(T0 + MINUTE)
    newcomer = MembershipFactory(company=company).user
    post(thread, rep, "Welcome to the new colleague", T0 + 20 * MINUTE)

    run(T0 + 21 * MINUTE)

    (email,) = to(mailoutbox, newcomer)
    assert "Welcome to the new colleague" in email.body and "First" not in email.body


def test_the_batching_job_runs_every_minute_on_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["messaging-send-message-emails"]
    assert (entry["task"], entry["schedule"]) == ("messaging.tasks.send_message_emails", 60.0)
