"""Conversation pages as people use them: read, reply (the page posts and redirects, no
JavaScript needed), the live poll, files, and refused input shown with its reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from messaging.models import Message, Thread, ThreadReadState
from messaging.services import message_post, thread_start
from notifications.models import Notification

from .conftest import png_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


@pytest.fixture
def thread(company, rep, purchaser):
    return thread_start(company=company, author=rep, subject="Spring order", body="Hello Lena")


def test_a_member_sees_the_thread_and_opening_it_reads_it(client, thread, purchaser):
    client.force_login(purchaser)
    assert Notification.objects.get(recipient=purchaser).read_at is None

    page = client.get(reverse("messaging:thread", args=[thread.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Hello Lena" in html and 'id="new-messages"' in html  # the "New" divider before the unread one
    assert f'hx-get="/messages/{thread.pk}/after/?after=' in html  # the live poller
    assert ThreadReadState.objects.get(thread=thread, user=purchaser).last_read_message_id == thread.last_message_id
    assert Notification.objects.get(recipient=purchaser).read_at is not None
    assert 'id="new-messages"' not in client.get(reverse("messaging:thread", args=[thread.pk])).content.decode()


def test_a_reply_is_posted_and_redirects_to_it(client, thread, purchaser):
    client.force_login(purchaser)

    response = client.post(
        reverse("messaging:thread", args=[thread.pk]),
        {
            "body": "Thanks! See https://example.com/order?id=1 <b>now</b>",
            "attachments": [upload("p.png", png_bytes())],
        },
    )

    message = Message.objects.latest("pk")
    assert response.status_code == 302
    assert response["Location"] == f"/messages/{thread.pk}/#message-{message.pk}"
    page = client.get(reverse("messaging:thread", args=[thread.pk])).content.decode()
    assert '<a href="https://example.com/order?id=1" rel="nofollow">https://example.com/order?id=1</a>' in page
    assert "&lt;b&gt;now&lt;/b&gt;" in page and "<b>now</b>" not in page
    assert f"/messages/{thread.pk}/files/" in page


def test_a_refused_reply_shows_why_keeps_the_text_and_sends_nothing(client, thread, purchaser):
    client.force_login(purchaser)

    response = client.post(
        reverse("messaging:thread", args=[thread.pk]),
        {"body": "Here is the file", "attachments": [upload("setup.exe", b"MZ" + b"\0" * 64)]},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "setup.exe cannot be attached: only PDF documents and PNG, JPEG or WebP images can." in html
    assert "Here is the file" in html  # the text is kept in the form
    assert Message.objects.count() == 1


def test_an_empty_reply_is_refused(client, thread, purchaser):
    client.force_login(purchaser)

    response = client.post(reverse("messaging:thread", args=[thread.pk]), {"body": "   "})

    assert response.status_code == 400
    assert "Write a message before sending." in response.content.decode()
    assert Message.objects.count() == 1


def test_the_live_poll_returns_new_messages_and_a_new_poller_or_nothing(client, thread, purchaser, rep):
    client.force_login(purchaser)
    url = reverse("messaging:thread_after", args=[thread.pk])

    shown = thread.last_message_id  # the last message on the open page
    nothing = client.get(f"{url}?after={shown}")
    assert nothing.status_code == 204 and nothing["Cache-Control"] == "no-store"

    newer = message_post(thread=thread, author=rep, body="Are you there?")
    fresh = client.get(f"{url}?after={shown}")

    assert fresh.status_code == 200
    html = fresh.content.decode()
    assert "Are you there?" in html and f"?after={newer.pk}" in html
    assert ThreadReadState.objects.get(thread=thread, user=purchaser).last_read_message_id == newer.pk
    assert client.get(f"{url}?after=nonsense").status_code == 400


def test_a_poll_does_not_renew_the_session(client, thread, purchaser):
    from django.contrib.sessions.models import Session

    client.force_login(purchaser)
    client.get(reverse("dashboard"))
    session_key = client.cookies["sessionid"].value
    expiry = Session.objects.get(session_key=session_key).expire_date

    client.get(reverse("messaging:thread_after", args=[thread.pk]) + f"?after={thread.last_message_id}")
    client.get(reverse("live_badges"))

    assert Session.objects.get(session_key=session_key).expire_date == expiry
    client.get(reverse("dashboard"))
    assert Session.objects.get(session_key=session_key).expire_date > expiry  # an ordinary page slides it


def test_files_are_served_after_the_access_check_pdf_as_a_download(client, company, rep, purchaser, pdf, png):
    thread = thread_start(company=company, author=rep, subject="Files", body="See attached", attachments=[pdf, png])
    client.force_login(purchaser)
    files = {attachment.name: attachment for attachment in thread.messages.get().attachments.all()}

    document = client.get(reverse("messaging:attachment", args=[thread.pk, files["price-list.pdf"].pk]))
    image = client.get(reverse("messaging:attachment", args=[thread.pk, files["photo.png"].pk]))

    assert document.status_code == 200 and document["Content-Type"] == "application/pdf"
    assert document["Content-Disposition"].startswith('attachment; filename="price-list.pdf"')
    assert b"".join(document.streaming_content).startswith(b"%PDF-")
    assert image["Content-Type"] == "image/png" and image["Content-Disposition"].startswith("inline")
    assert "sandbox" in image["Content-Security-Policy"]
    assert client.get(reverse("messaging:attachment", args=[thread.pk, 999])).status_code == 404


def test_a_member_starts_a_conversation_from_the_messages_page(client, company, rep, purchaser):
    client.force_login(purchaser)
    assert "New message" in client.get(reverse("messaging:list")).content.decode()

    response = client.post(reverse("messaging:start"), {"subject": "Invoice", "body": "A question about March."})

    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/messages/{thread.pk}/"
    assert (thread.subject, thread.company) == ("Invoice", company)


def test_a_member_without_a_rep_is_told_and_cannot_start_one(client, company, purchaser):
    client.force_login(purchaser)

    listing = client.get(reverse("messaging:list")).content.decode()
    response = client.post(reverse("messaging:start"), {"subject": "Invoice", "body": "Hello?"})

    assert "Your company has no sales rep yet" in listing
    assert response.status_code == 200 and "no sales rep yet" in response.content.decode()
    assert not Thread.objects.exists()


def test_a_rep_starts_a_conversation_from_the_account_page(client, company, rep, purchaser):
    client.force_login(rep)

    response = client.post(reverse("reps:thread_start", args=[company.pk]), {"subject": "Hello", "body": "Welcome!"})

    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/messages/{thread.pk}/"
    assert Notification.objects.filter(recipient=purchaser).exists()


def test_long_threads_show_the_newest_page_with_a_link_to_earlier_messages(client, thread, purchaser, rep):
    for n in range(60):
        message_post(thread=thread, author=rep, body=f"Message {n}")
    client.force_login(purchaser)

    newest = client.get(reverse("messaging:thread", args=[thread.pk]))
    html = newest.content.decode()
    assert "Message 59" in html and "Message 9<" not in html
    assert "Show earlier messages" in html

    earlier_than = newest.context["page"].earlier_than
    earlier = client.get(f"/messages/{thread.pk}/?before={earlier_than}")
    assert "Message 9<" in earlier.content.decode() and "Hello Lena" in earlier.content.decode()
    assert 'id="thread-poller"' not in earlier.content.decode()  # no live updates on an earlier page
