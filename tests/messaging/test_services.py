"""Writing in a conversation: who may, what is refused (and then nothing is written), read
marks, unread counts and the in-portal notice per person and thread."""

from __future__ import annotations

import pytest
from django.test import override_settings

from messaging.models import Attachment, Message, Thread, ThreadReadState
from messaging.selectors import member_threads, staff_threads, unread_thread_count
from messaging.services import MessagingError, message_post, thread_mark_read, thread_start
from notifications.models import Notification, NotificationKind
from tests.factories import StaffFactory

from .conftest import PDF_BYTES, png_bytes, upload

pytestmark = pytest.mark.django_db


def start(company, author, body="Hello", subject="Delivery", **kwargs):
    return thread_start(company=company, author=author, subject=subject, body=body, **kwargs)


def test_a_member_starts_a_thread_with_their_rep_and_everyone_else_at_the_company_is_told(
    company, rep, purchaser, colleague
):
    thread = start(company, purchaser, body="Can you change the delivery address?")

    assert thread.company == company
    assert Thread.objects.get().message_count == 1
    message = Message.objects.get()
    assert (message.author, message.body) == (purchaser, "Can you change the delivery address?")
    notices = Notification.objects.filter(kind=NotificationKind.MESSAGE)
    assert {notice.recipient for notice in notices} == {rep, colleague}
    assert notices.get(recipient=rep).url == f"/staff/messages/{thread.pk}/"
    assert notices.get(recipient=colleague).url == f"/messages/{thread.pk}/"
    assert unread_thread_count(user=purchaser, membership=purchaser.membership) == 0  # the author has read it


def test_a_member_cannot_start_a_thread_while_the_company_has_no_rep(company, purchaser):
    with pytest.raises(MessagingError, match="no sales rep"):
        start(company, purchaser)
    assert not Thread.objects.exists()


@pytest.mark.parametrize("body", ["", "   ", "\n\n\t"])
def test_an_empty_message_is_refused_and_nothing_is_written(company, rep, purchaser, body):
    with pytest.raises(MessagingError, match="Write a message"):
        start(company, purchaser, body=body)
    thread = start(company, purchaser)
    with pytest.raises(MessagingError, match="Write a message"):
        message_post(thread=thread, author=rep, body=body)

    assert Message.objects.count() == 1
    assert Notification.objects.filter(recipient=purchaser).count() == 0


@override_settings(MESSAGE_MAX_LENGTH=20)
def test_a_message_that_is_too_long_is_refused(company, rep, purchaser):
    with pytest.raises(MessagingError, match="at most 20 characters"):
        start(company, purchaser, body="x" * 21)
    assert not Thread.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("virus.exe", b"MZ\x90\x00" + b"\x00" * 100, "only PDF documents"),
        ("report.pdf", b"MZ\x90\x00" + b"\x00" * 100, "only PDF documents"),  # a program named .pdf
        ("notes.txt", b"just text", "only PDF documents"),
        ("photo.pdf", png_bytes(), "is a PNG image, but its name"),  # an image named .pdf
        ("page.html", b"<script>alert(1)</script>", "only PDF documents"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_a_disallowed_attachment_is_refused_with_its_name_and_nothing_is_sent(
    company, rep, purchaser, name, content, reason
):
    with pytest.raises(MessagingError, match=reason):
        start(company, purchaser, attachments=[upload(name, content)])

    assert not Thread.objects.exists() and not Attachment.objects.exists()
    assert not Notification.objects.exists()


@override_settings(MESSAGE_ATTACHMENT_MAX_MB=1)
def test_an_oversized_attachment_is_refused(company, rep, purchaser):
    big = upload("big.pdf", PDF_BYTES + b"0" * (1024 * 1024))

    with pytest.raises(MessagingError, match="big.pdf is 1.0.MB; a file can be at most 1.0.MB"):
        start(company, purchaser, attachments=[big])
    assert not Thread.objects.exists()


@override_settings(MESSAGE_ATTACHMENTS_MAX=2)
def test_too_many_attachments_are_refused(company, rep, purchaser):
    files = [upload(f"p{n}.pdf", PDF_BYTES) for n in range(3)]

    with pytest.raises(MessagingError, match="at most 2 files"):
        start(company, purchaser, attachments=files)


def test_pdf_and_image_attachments_are_stored_with_the_type_read_from_their_content(company, rep, purchaser, png, pdf):
    start(company, purchaser, attachments=[png, pdf])

    stored = {attachment.name: attachment for attachment in Attachment.objects.all()}
    assert stored["photo.png"].content_type == "image/png" and stored["photo.png"].is_image
    assert stored["price-list.pdf"].content_type == "application/pdf"
    # Stored under a random name, never the uploaded one.
    assert "price-list" not in stored["price-list.pdf"].file.name
    assert stored["price-list.pdf"].file.name.endswith(".pdf")


def test_only_the_companys_contacts_its_rep_and_club_admins_can_write(
    company, rep, purchaser, other_rep, other_member, club_admin
):
    thread = start(company, purchaser)

    for outsider in (other_rep, other_member, StaffFactory(group="Marketing")):
        with pytest.raises(MessagingError, match="cannot write"):
            message_post(thread=thread, author=outsider, body="Hi")
    message_post(thread=thread, author=club_admin, body="Covering for Anna this week.")
    message_post(thread=thread, author=rep, body="Back again.")

    assert Message.objects.filter(thread=thread).count() == 3


def test_a_rep_cannot_start_a_thread_with_someone_elses_account(company, rep, other_company):
    with pytest.raises(MessagingError, match="cannot write"):
        start(other_company, rep)


def test_unread_counts_follow_read_marks_per_person(company, rep, purchaser, colleague):
    thread = start(company, purchaser, body="Question")
    message_post(thread=thread, author=rep, body="Answer 1")
    message_post(thread=thread, author=rep, body="Answer 2")

    def unread(user):
        threads = (
            member_threads(membership=user.membership) if hasattr(user, "membership") else staff_threads(user=user)
        )
        return {thread.pk: thread.unread for thread in threads}

    assert unread(purchaser) == {thread.pk: 2}
    assert unread(colleague) == {thread.pk: 3}
    assert unread(rep) == {thread.pk: 0}  # the rep wrote the last ones, and posting reads the thread
    assert unread_thread_count(user=colleague, membership=colleague.membership) == 1

    last = Message.objects.filter(thread=thread).latest("pk")
    thread_mark_read(thread=thread, user=colleague, upto_message_id=last.pk)

    assert unread(colleague) == {thread.pk: 0}
    assert unread_thread_count(user=colleague, membership=colleague.membership) == 0
    assert unread_thread_count(user=rep, membership=None) == 0
    message_post(thread=thread, author=colleague, body="Thanks!")
    assert unread_thread_count(user=rep, membership=None) == 1


def test_a_read_mark_never_moves_back(company, rep, purchaser):
    thread = start(company, purchaser)
    first = Message.objects.get()
    second = message_post(thread=thread, author=rep, body="Later")
    thread_mark_read(thread=thread, user=purchaser, upto_message_id=second.pk)

    thread_mark_read(thread=thread, user=purchaser, upto_message_id=first.pk)

    assert ThreadReadState.objects.get(thread=thread, user=purchaser).last_read_message_id == second.pk


def test_one_notice_per_person_and_thread_until_they_read_it(company, rep, purchaser):
    thread = start(company, rep, body="First")
    message_post(thread=thread, author=rep, body="Second")
    message_post(thread=thread, author=rep, body="Third")

    notices = Notification.objects.filter(recipient=purchaser, kind=NotificationKind.MESSAGE)
    assert notices.count() == 1
    assert notices.get().title == f"Anna Sälj wrote: {thread.subject}"
    assert notices.get().body == "First"

    thread_mark_read(thread=thread, user=purchaser, upto_message_id=thread.messages.latest("pk").pk)
    assert notices.get().read_at is not None  # reading the thread reads its notice

    message_post(thread=thread, author=rep, body="Fourth")
    assert notices.count() == 2 and notices.filter(read_at__isnull=True).get().body == "Fourth"


def test_posting_sends_no_email_itself(company, rep, purchaser, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        start(company, rep)

    assert callbacks == [] and mailoutbox == []  # e-mail is the batching job's (test_email_batching.py)
