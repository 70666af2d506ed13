"""Query budgets: a thread with 500 messages, long lists of threads and notifications, and the
live poll cost the same number of queries as small ones."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.texts import FREE_TEXT
from messaging.models import Message, Thread
from messaging.services import message_post, thread_start
from notifications.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db

# Each includes the session read and save, the user, the membership, the Wagtail site and
# branding, the menu and the two unread counts of the navigation; staff also pay for their
# groups and the two permission reads of the menu.
THREAD_PAGE_BUDGET = 20  # + the thread, its read state, a page of messages and their files, the read marks
THREAD_LIST_BUDGET = 17
POLL_BUDGET = 8  # the new-messages poll: session, user, membership, thread, messages, files, read mark
LIVE_BADGES_BUDGET = 5  # session, user, membership, the two counts: no write, no menu
NOTIFICATIONS_BUDGET = 16


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def _grow(thread, author, count):
    """``count`` more messages, written in bulk (the services are tested elsewhere)."""
    now = timezone.now()
    Message.objects.bulk_create(
        Message(thread=thread, author=author, body=f"Message {n}", created_at=now) for n in range(count)
    )
    last = Message.objects.filter(thread=thread).latest("pk")
    Thread.objects.filter(pk=thread.pk).update(last_message=last, last_message_at=now, message_count=count + 1)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code in (200, 204), url
    return len(captured)


@pytest.mark.parametrize("side", ["member", "staff"])
def test_a_thread_with_500_messages_costs_what_one_with_5_costs(
    client, company, rep, purchaser, portal_site, django_assert_max_num_queries, side
):
    thread = thread_start(company=company, author=rep, subject="Busy", body="First")
    client.force_login(purchaser if side == "member" else rep)
    url = reverse("messaging:thread" if side == "member" else "staff_messages:thread", args=[thread.pk])
    _grow(thread, purchaser, 4)
    client.get(url)
    _grow(thread, rep, 4)  # unread again: the page marks it read each time
    small = _queries(client, url)

    _grow(thread, rep, 500)
    with django_assert_max_num_queries(THREAD_PAGE_BUDGET):
        page = client.get(url)
    _grow(thread, purchaser if side == "staff" else rep, 500)
    large = _queries(client, url)

    assert page.status_code == 200
    assert large == small
    assert len(page.context["page"].messages) == 50


def test_the_live_poll_of_a_thread_with_500_messages_stays_small(
    client, company, rep, purchaser, django_assert_max_num_queries
):
    thread = thread_start(company=company, author=rep, subject="Busy", body="First")
    _grow(thread, rep, 500)
    client.force_login(purchaser)
    client.get(reverse("messaging:thread", args=[thread.pk]))  # the open page the poll belongs to
    last = Message.objects.filter(thread=thread).latest("pk").pk
    url = reverse("messaging:thread_after", args=[thread.pk])

    with django_assert_max_num_queries(POLL_BUDGET - 2):
        assert client.get(f"{url}?after={last}").status_code == 204
    message_post(thread=thread, author=rep, body="New!")
    with django_assert_max_num_queries(POLL_BUDGET):
        assert client.get(f"{url}?after={last}").status_code == 200


@pytest.mark.parametrize("side", ["member", "staff"])
def test_a_long_list_of_threads_costs_what_a_short_one_costs(
    client, company, rep, purchaser, portal_site, django_assert_max_num_queries, side
):
    for n in range(3):
        thread_start(company=company, author=rep, subject=f"T{n}", body="Hello")
    client.force_login(purchaser if side == "member" else rep)
    url = reverse("messaging:list" if side == "member" else "staff_messages:list")
    client.get(url)
    small = _queries(client, url)

    for n in range(40):
        thread_start(company=company, author=purchaser, subject=f"More {n}", body="Hello")
    with django_assert_max_num_queries(THREAD_LIST_BUDGET):
        client.get(url)
    assert _queries(client, url) == small


def test_the_live_badges_cost_a_few_reads_and_no_write(client, company, rep, purchaser, django_assert_max_num_queries):
    for n in range(30):
        thread_start(company=company, author=rep, subject=f"T{n}", body="Hello")
    client.force_login(purchaser)
    client.get(reverse("live_badges"))

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("live_badges"))

    assert len(captured) <= LIVE_BADGES_BUDGET
    assert not [query for query in captured if not query["sql"].lstrip().upper().startswith("SELECT")]
    html = response.content.decode()
    assert 'id="nav-notifications-badge"' in html and 'hx-swap-oob="true"' in html
    assert ">30<" in html  # 30 unread notices, 30 unread conversations


def test_the_notification_centre_with_300_notifications_costs_what_one_with_3_costs(
    client, purchaser, portal_site, django_assert_max_num_queries
):
    def add(count, start):
        Notification.objects.bulk_create(
            Notification(
                recipient=purchaser,
                kind=NotificationKind.POINTS,
                key=f"k{start + n}",
                title_key=FREE_TEXT,
                title_params={"text": f"Points {n}"},
            )
            for n in range(count)
        )

    client.force_login(purchaser)
    add(3, 0)
    client.get(reverse("notifications:list"))
    small = _queries(client, reverse("notifications:list"))
    add(300, 100)

    with django_assert_max_num_queries(NOTIFICATIONS_BUDGET):
        page = client.get(reverse("notifications:list"))

    assert _queries(client, reverse("notifications:list")) == small
    assert len(page.context["notifications"]) == 20
    assert page.context["page_obj"].paginator.num_pages == 16
