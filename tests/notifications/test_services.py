"""The notification service: one notice per person and event, in their language, e-mailed once if wanted."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy

from core.texts import StoredText, text_register
from notifications.models import Notification, NotificationKind
from notifications.selectors import notification_email_preferences, unread_notification_count
from notifications.services import (
    NotificationsError,
    notification_email_send,
    notification_preferences_set,
    notifications_mark_read,
    notifications_send,
    unsubscribe_token,
    unsubscribe_token_read,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TITLE = text_register("tests.points_arrived", gettext_lazy("Points arrived")).key
BODY = text_register("tests.hello", gettext_lazy("Hello %(name)s,")).key


def _send(users, key="points:1", **kwargs):
    return notifications_send(
        users=users,
        kind=NotificationKind.POINTS,
        key=key,
        title=StoredText(TITLE),
        body=StoredText(BODY, {"name": "Alva"}),
        url="/points/history/",
        **kwargs,
    )


def test_each_recipient_gets_one_notification_e_mailed_in_their_own_language(django_capture_on_commit_callbacks):
    english, swedish = UserFactory(language="en"), UserFactory(language="sv")

    with django_capture_on_commit_callbacks(execute=True):
        _send([english, swedish])

    stored = Notification.objects.get(recipient=swedish)
    assert (stored.title_key, stored.body_key, stored.body_params) == (TITLE, BODY, {"name": "Alva"})
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert by_recipient[english.email].subject == "Points arrived"
    assert "Hello Alva," in by_recipient[english.email].body
    assert by_recipient[swedish.email].subject == "Poäng har kommit in"
    assert "Hej Alva," in by_recipient[swedish.email].body


def test_the_same_event_reported_twice_notifies_and_mails_once(django_capture_on_commit_callbacks):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        first = _send([user])
    with django_capture_on_commit_callbacks(execute=True):
        again = _send([user])

    assert [notification.pk for notification in again] == [notification.pk for notification in first]
    assert Notification.objects.filter(recipient=user).count() == 1
    assert len(mail.outbox) == 1


def test_an_email_task_run_twice_sends_one_email(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=False):
        (notification,) = _send([user])

    assert notification_email_send(notification_id=notification.pk) is True
    assert notification_email_send(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Points arrived"
    assert "http://testserver/points/history/" in message.body or "/points/history/" in message.body
    assert "/notifications/unsubscribe/" in message.body
    assert "/notifications/unsubscribe/" in message.alternatives[0][0]


def test_nothing_is_written_or_mailed_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    from django.db import transaction

    user = UserFactory()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _send([user])
        raise RuntimeError("the caller's write failed")

    assert callbacks == []
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_email_respects_the_master_switch_and_the_kind_preference(django_capture_on_commit_callbacks):
    switched_off = UserFactory(email_notifications=False)
    kind_off = UserFactory()
    wants_all = UserFactory()
    notification_preferences_set(user=kind_off, email_by_kind={NotificationKind.POINTS: False})

    with django_capture_on_commit_callbacks(execute=True):
        _send([switched_off, kind_off, wants_all])

    assert [message.to for message in mail.outbox] == [[wants_all.email]]
    assert Notification.objects.count() == 3  # in the portal, always


def test_email_false_writes_the_notice_without_queueing_an_email(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _send([user], email=False)

    assert callbacks == []
    assert unread_notification_count(user=user) == 1


def test_given_words_that_gained_a_language_when_sent_again_with_reword_then_the_notices_say_them_and_nobody_is_told_again(
    django_capture_on_commit_callbacks,
):
    # given a notice read by one person and unread by another, e-mailed to both
    read, unread = UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _send([read, unread])
    notifications_mark_read(user=read)
    sent = len(mail.outbox)

    # when the same event is sent again with new words, rewording the notices already written
    with django_capture_on_commit_callbacks(execute=True):
        notifications_send(
            users=[read, unread],
            kind=NotificationKind.POINTS,
            key="points:1",
            title=StoredText(TITLE),
            body=StoredText(BODY, {"name": "Alva Ek"}),
            url="/points/",
            reword=True,
        )

    # then they say the new words and link, keep their read state, and no e-mail goes out
    notices = {notice.recipient_id: notice for notice in Notification.objects.all()}
    assert len(notices) == 2
    assert {(notice.body_params["name"], notice.url) for notice in notices.values()} == {("Alva Ek", "/points/")}
    assert notices[read.pk].is_read and not notices[unread.pk].is_read
    assert len(mail.outbox) == sent
    # and sending the same words again rewrites nothing
    with CaptureQueriesContext(connection) as queries:
        notifications_send(
            users=[read, unread],
            kind=NotificationKind.POINTS,
            key="points:1",
            title=StoredText(TITLE),
            body=StoredText(BODY, {"name": "Alva Ek"}),
            url="/points/",
            reword=True,
        )
    assert not [query for query in queries.captured_queries if query["sql"].startswith("UPDATE")]


def test_inactive_people_are_not_notified():
    assert _send([UserFactory(is_active=False)]) == []
    assert not Notification.objects.exists()


def test_an_unknown_kind_is_refused():
    with pytest.raises(NotificationsError):
        notifications_send(users=[UserFactory()], kind="gossip", key="x", title=StoredText(TITLE))


def test_mark_read_touches_only_the_persons_own_notifications():
    me, someone_else = UserFactory(), UserFactory()
    (mine,) = _send([me], email=False)
    (theirs,) = _send([someone_else], email=False)
    _send([me], key="points:2", email=False)

    assert notifications_mark_read(user=me, notification_ids=[mine.pk, theirs.pk]) == 1
    assert unread_notification_count(user=me) == 1
    assert unread_notification_count(user=someone_else) == 1
    assert notifications_mark_read(user=me) == 1
    assert unread_notification_count(user=me) == 0


def test_unsubscribe_link_turns_off_one_kind_and_only_after_post(client):
    user = UserFactory()
    url = f"/notifications/unsubscribe/{unsubscribe_token(user=user, kind=NotificationKind.OFFER)}/"

    response = client.get(url)
    assert response.status_code == 200
    assert notification_email_preferences(user=user)[NotificationKind.OFFER] is True

    response = client.post(url)
    assert response.status_code == 200
    preferences = notification_email_preferences(user=user)
    assert preferences[NotificationKind.OFFER] is False
    assert preferences[NotificationKind.REDEMPTION] is True


def test_a_tampered_unsubscribe_link_is_refused_and_changes_nothing(client):
    user = UserFactory()
    token = unsubscribe_token(user=user, kind=NotificationKind.OFFER)

    response = client.post(f"/notifications/unsubscribe/{token[:-2]}xx/")

    assert response.status_code == 400
    assert notification_email_preferences(user=user)[NotificationKind.OFFER] is True
    with pytest.raises(NotificationsError):
        unsubscribe_token_read("nonsense")


def test_profile_page_saves_email_choices_per_kind(client):
    user = UserFactory()
    client.force_login(user)

    page = client.get("/profile/")
    assert page.status_code == 200
    assert "Orders waiting for my approval" in page.content.decode()

    wanted = {kind: "on" for kind in NotificationKind.values if kind != NotificationKind.OFFER}
    response = client.post("/notifications/preferences/", wanted)

    assert response.status_code == 302
    preferences = notification_email_preferences(user=user)
    assert preferences[NotificationKind.OFFER] is False
    assert all(preferences[kind] for kind in wanted)


# --- Digests: many in-portal notices, one e-mail per interval ----------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_four_digest_runs_at_once_then_one_e_mail_lists_every_waiting_notice(require_postgres):
    from datetime import timedelta

    from notifications.services import notification_digests_send
    from tests.concurrency import race

    person = UserFactory()
    for number in range(3):
        _send([person], key=f"points:purchase:{number}", email=False)

    def digest():
        return notification_digests_send(
            kind=NotificationKind.POINTS, key_prefix="points:purchase:", interval=timedelta(hours=1)
        )

    outcomes, results, _refusals = race([digest for _ in range(4)], refused=())

    assert outcomes == {"ok": 4}
    assert sum(results) == 1 and len(mail.outbox) == 1
    assert mail.outbox[0].to == [person.email]
    assert Notification.objects.filter(recipient=person, emailed_at__isnull=True).count() == 0
