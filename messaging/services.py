"""Writes for conversations. Every message, read mark, broadcast and message e-mail goes
through these functions.

* ``message_post`` locks the thread row, then writes the message and its attachments,
  moves the thread's last-message fields and the author's read mark, and tells the other
  participants in the portal (``notifications_send(..., email=False)``): one notice per
  person and thread until they read it. Because the thread is locked, its messages get
  ids in the order they were written, which is what read marks compare.
* E-mails are not sent per message: ``message_emails_send`` (a beat task every minute)
  sends each person at most one e-mail per thread every ``MESSAGE_EMAIL_INTERVAL_MINUTES``,
  with what arrived since the last one, and only what they have not read meanwhile.
  Each (thread, person) is decided under a lock on their read-state row, so two runs at
  once send one e-mail.
* ``broadcast_create`` records one message for many accounts and queues its delivery;
  ``broadcast_deliver`` puts it in one new thread per company, exactly once (UNIQUE
  broadcast + company), and can run again or resume after a crash.

A broken rule raises ``MessagingError`` with a message for the person; nothing is written.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Max, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from core.mail import send_branded_mail
from core.texts import StoredText, free_text
from members.languages import person_language
from members.models import Company, CompanyStatus, User
from members.selectors import is_club_admin
from notifications.models import NotificationKind
from notifications.services import email_wanted, notifications_mark_read, notifications_send, unsubscribe_url
from outbox.services import outbox_enqueue

from . import texts
from .attachments import CheckedAttachment, attachments_check
from .models import Attachment, Broadcast, Message, Thread, ThreadReadState, attachment_path
from .selectors import staff_companies, thread_participants


class MessagingError(Exception):
    """A messaging rule was broken; the message is meant for the person who tried."""


def thread_url_for(*, user: User, thread: Thread) -> str:
    """Where ``user`` opens ``thread``: the member pages, or the staff pages (behind MFA)."""
    if user.is_staff:
        return reverse("staff_messages:thread", args=[thread.pk])
    return reverse("messaging:thread", args=[thread.pk])


def notice_key_prefix(thread: Thread | int) -> str:
    """Every in-portal notice about a thread has a key starting with this."""
    return f"message:{getattr(thread, 'pk', thread)}:"


# --- Checks ---------------------------------------------------------------------------------------


def message_body_clean(body: str) -> str:
    """The text as stored: surrounding blank space removed; refused when empty or too long."""
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise MessagingError(_("Write a message before sending."))
    if len(body) > settings.MESSAGE_MAX_LENGTH:
        raise MessagingError(
            _("A message can be at most %(limit)s characters; this one has %(length)s.")
            % {"limit": settings.MESSAGE_MAX_LENGTH, "length": len(body)}
        )
    return body


def subject_clean(subject: str) -> str:
    subject = " ".join((subject or "").split())
    if not subject:
        raise MessagingError(_("Give the conversation a subject."))
    if len(subject) > Thread._meta.get_field("subject").max_length:
        raise MessagingError(_("Keep the subject to 200 characters."))
    return subject


def _checked_attachments(uploads) -> list[CheckedAttachment]:
    try:
        return attachments_check(uploads)
    except ValidationError as exc:
        raise MessagingError(" ".join(exc.messages)) from exc


def can_write(*, user: User, company: Company) -> bool:
    """A contact of ``company``, its sales rep, or a club admin."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return company.sales_rep_id == user.pk or is_club_admin(user)
    membership = getattr(user, "membership", None)
    return membership is not None and membership.company_id == company.pk


def _require_can_write(*, user: User, company: Company) -> None:
    if not can_write(user=user, company=company):
        raise MessagingError(_("You cannot write in this conversation."))
    if company.status != CompanyStatus.ACTIVE:
        raise MessagingError(_("%(company)s is suspended; messages cannot be sent to it.") % {"company": company})


# --- Posting --------------------------------------------------------------------------------------


def _store_attachment(message: Message, item: CheckedAttachment) -> Attachment:
    attachment = Attachment(message=message, name=item.name, content_type=item.content_type, size=item.size)
    attachment.file.save(item.name, item.upload, save=False)
    attachment.save()
    return attachment


def _mark_read(*, thread_id: int, user: User, upto: int, now: datetime) -> None:
    """Move ``user``'s read mark on the thread forward to ``upto`` (never back)."""
    moved = ThreadReadState.objects.filter(thread_id=thread_id, user=user, last_read_message_id__lt=upto).update(
        last_read_message_id=upto, last_read_at=now
    )
    if moved:
        return
    try:
        with transaction.atomic():
            ThreadReadState.objects.get_or_create(
                thread_id=thread_id, user=user, defaults={"last_read_message_id": upto, "last_read_at": now}
            )
    except IntegrityError:  # created meanwhile by a concurrent request: move it instead
        ThreadReadState.objects.filter(thread_id=thread_id, user=user, last_read_message_id__lt=upto).update(
            last_read_message_id=upto, last_read_at=now
        )


def _notify(*, thread: Thread, message: Message, author: User | None, broadcast: bool = False) -> None:
    """Tell the thread's other participants in the portal, one notice per person and thread
    until they have read it: the notice's key carries their read mark, so later messages
    before they read find the same key and add nothing; after reading, the next one notifies."""
    recipients = [person for person in thread_participants(thread=thread) if author is None or person.pk != author.pk]
    if broadcast:
        # A broadcast is news for the companies; their reps see the copies in their inbox
        # (and answers like any message), not hundreds of notices at once.
        recipients = [person for person in recipients if not person.is_staff]
    if not recipients:
        return
    marks = dict(
        ThreadReadState.objects.filter(thread=thread, user__in=recipients).values_list(
            "user_id", "last_read_message_id"
        )
    )
    groups: dict[tuple[int, str], list[User]] = defaultdict(list)
    for person in recipients:
        groups[(marks.get(person.pk, 0), thread_url_for(user=person, thread=thread))].append(person)
    author_name = str(author) if author else ""  # no author: "The club", in each reader's language
    for (mark, url), people in groups.items():
        notifications_send(
            users=people,
            kind=NotificationKind.MESSAGE,
            key=f"{notice_key_prefix(thread)}{mark}",
            title=StoredText(
                texts.BROADCAST_NOTICE if broadcast else texts.NOTICE,
                {"author": author_name, "subject": thread.subject},
            ),
            body=free_text(Truncator(message.body).chars(300)),
            url=url,
            email=False,
            now=message.created_at,
        )


def _post(
    *,
    thread: Thread,
    author: User | None,
    body: str,
    attachments: list[CheckedAttachment],
    stored: list[dict] | None = None,
    broadcast: Broadcast | None = None,
    now: datetime,
) -> Message:
    """Write a checked message into ``thread``; the caller is inside ``transaction.atomic``."""
    locked = Thread.objects.select_for_update(of=("self",)).select_related("company__sales_rep").get(pk=thread.pk)
    message = Message.objects.create(thread=locked, author=author, body=body, created_at=now, broadcast=broadcast)
    for item in attachments:
        _store_attachment(message, item)
    if stored:
        Attachment.objects.bulk_create(Attachment(message=message, **spec) for spec in stored)
    Thread.objects.filter(pk=locked.pk).update(
        last_message=message, last_message_at=now, message_count=F("message_count") + 1
    )
    # The row was read under the lock, so its new values are known: the caller's copy follows.
    for copy in (locked, thread):
        copy.last_message, copy.last_message_at, copy.message_count = message, now, locked.message_count + 1
    if author is not None:
        # Writing in a thread means having read it: the author's mark and notices follow.
        _mark_read(thread_id=locked.pk, user=author, upto=message.pk, now=now)
        notifications_mark_read(user=author, key_prefix=notice_key_prefix(locked))
    _notify(thread=locked, message=message, author=author, broadcast=broadcast is not None)
    return message


def message_post(*, thread: Thread, author: User, body: str, attachments=(), now: datetime | None = None) -> Message:
    """Add a message by ``author`` to ``thread`` (see the module docstring).

    Refused (``MessagingError``, nothing written or stored) when the text is empty or too
    long, an attachment is not an allowed type or too big, the author may not write here
    (not a contact of the company, not its rep, not a club admin), or the company is suspended.
    """
    body = message_body_clean(body)
    checked = _checked_attachments(attachments)
    _require_can_write(user=author, company=thread.company)
    with transaction.atomic():
        return _post(thread=thread, author=author, body=body, attachments=checked, now=now or timezone.now())


def thread_start(
    *, company: Company, author: User, subject: str, body: str, attachments=(), now: datetime | None = None
) -> Thread:
    """Start a conversation between ``company`` and its rep with a first message.

    A contact can only start one with their own company's rep (refused while the company
    has none); staff only with their own accounts (club admins with any). Same checks on
    the message as ``message_post``; nothing is written when one fails.
    """
    subject = subject_clean(subject)
    body = message_body_clean(body)
    checked = _checked_attachments(attachments)
    _require_can_write(user=author, company=company)
    if not author.is_staff and company.sales_rep_id is None:
        raise MessagingError(
            _("Your company has no sales rep yet, so there is nobody to write to. Please contact the club.")
        )
    now = now or timezone.now()
    with transaction.atomic():
        thread = Thread.objects.create(company=company, subject=subject, created_by=author, created_at=now)
        _post(thread=thread, author=author, body=body, attachments=checked, now=now)
    return thread


# --- Reading --------------------------------------------------------------------------------------


def thread_mark_read(
    *, thread: Thread, user: User, upto_message_id: int, state: ThreadReadState | None = None, now=None
) -> bool:
    """Record that ``user`` has read ``thread`` up to ``upto_message_id`` and mark their
    in-portal notices about it read. Never moves a read mark back. ``state`` (the row the
    caller already read, or None when it has none) saves a query when nothing changes.
    Returns whether anything changed."""
    if upto_message_id <= 0 or (state is not None and state.last_read_message_id >= upto_message_id):
        return False
    now = now or timezone.now()
    _mark_read(thread_id=thread.pk, user=user, upto=upto_message_id, now=now)
    notifications_mark_read(user=user, key_prefix=notice_key_prefix(thread))
    return True


# --- Broadcasts -----------------------------------------------------------------------------------


def broadcast_create(
    *,
    sender: User,
    subject: str,
    body: str,
    companies: QuerySet[Company],
    key: str,
    audience: str = "",
    attachments=(),
    now: datetime | None = None,
) -> Broadcast:
    """Record a message from ``sender`` to every active company in ``companies`` that they
    may write to (their own accounts; any for a club admin) and queue its delivery.

    Idempotent by ``key`` (the form's): sending the same form twice returns the first
    broadcast and delivers nothing more. Refused when no account matches, or on the same
    checks as a single message.
    """
    subject = subject_clean(subject)
    body = message_body_clean(body)
    checked = _checked_attachments(attachments)
    existing = Broadcast.objects.filter(key=key).first()
    if existing is not None:
        return existing
    targets = list(
        companies.filter(pk__in=staff_companies(user=sender), status=CompanyStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not targets:
        raise MessagingError(_("No accounts match; nothing was sent."))
    from .tasks import deliver_broadcast  # lazy: the tasks import this module

    with transaction.atomic():
        stored = []
        for item in checked:
            name = default_storage.save(attachment_path(None, item.name), item.upload)
            stored.append({"file": name, "name": item.name, "content_type": item.content_type, "size": item.size})
        try:
            with transaction.atomic():
                broadcast = Broadcast.objects.create(
                    sender=sender,
                    subject=subject,
                    body=body,
                    audience=audience[:300],
                    key=key,
                    attachments=stored,
                    created_at=now or timezone.now(),
                )
        except IntegrityError:  # the same form sent twice at once
            return Broadcast.objects.get(key=key)
        broadcast.companies.set(targets)
        outbox_enqueue(deliver_broadcast, broadcast.pk)
    return broadcast


def broadcast_deliver(*, broadcast_id: int) -> int:
    """Put the broadcast into one new thread per company, each in its own short transaction.

    A company that already has the broadcast's thread is skipped (UNIQUE broadcast +
    company; a concurrent run waits on the insert, then sees it), so running this twice
    or after a crash reaches every company exactly once. Returns how many were delivered now.
    """
    broadcast = Broadcast.objects.select_related("sender").get(pk=broadcast_id)
    done = set(broadcast.threads.values_list("company_id", flat=True))
    delivered = 0
    for company in broadcast.companies.exclude(pk__in=done).select_related("sales_rep").order_by("pk"):
        with transaction.atomic():
            thread, created = Thread.objects.get_or_create(
                broadcast=broadcast,
                company=company,
                defaults={
                    "subject": broadcast.subject,
                    "created_by": broadcast.sender,
                    "created_at": broadcast.created_at,
                },
            )
            if not created:
                continue
            _post(
                thread=thread,
                author=broadcast.sender,
                body=broadcast.body,
                attachments=[],
                stored=broadcast.attachments,
                broadcast=broadcast,
                now=broadcast.created_at,
            )
            delivered += 1
    Broadcast.objects.filter(pk=broadcast.pk, delivered_at__isnull=True).update(delivered_at=timezone.now())
    return delivered


# --- E-mail, batched ------------------------------------------------------------------------------

MESSAGES_PER_EMAIL = 10


def message_emails_send(*, now: datetime | None = None) -> int:
    """E-mail people about messages they have not read, at most one e-mail per thread and
    person every ``MESSAGE_EMAIL_INTERVAL_MINUTES``. Returns the number of e-mails sent.

    Looks only at threads with messages after their checkpoint (``email_checked_upto``).
    For each participant, the messages by others newer than both their read mark and what
    was last e-mailed to them are "due". If their last e-mail for the thread was less than
    the interval ago they wait (and the thread keeps its checkpoint, so the next run looks
    again); otherwise they get one e-mail listing what is due (if they want message
    e-mails), and their e-mailed mark moves past it. Each decision is taken under a lock on
    the person's read-state row, so concurrent runs e-mail once. A thread whose
    participants are all done moves its checkpoint to the last message seen.
    """
    now = now or timezone.now()
    interval = timedelta(minutes=settings.MESSAGE_EMAIL_INTERVAL_MINUTES)
    sent = 0
    threads = Thread.objects.filter(last_message_id__gt=F("email_checked_upto")).select_related("company__sales_rep")
    for thread in threads.order_by("pk").iterator(chunk_size=200):
        seen_upto = thread.last_message_id
        waiting = False
        for person in thread_participants(thread=thread):
            outcome = _message_email_for(thread=thread, person=person, upto=seen_upto, now=now, interval=interval)
            waiting = waiting or outcome == "wait"
            sent += outcome == "sent"
        if not waiting:
            Thread.objects.filter(pk=thread.pk, email_checked_upto__lt=seen_upto).update(email_checked_upto=seen_upto)
    return sent


def _message_email_for(*, thread: Thread, person: User, upto: int, now: datetime, interval: timedelta) -> str:
    """Decide and send one person's e-mail for one thread: "sent", "wait" or "none"."""
    with transaction.atomic():
        state, _created = ThreadReadState.objects.get_or_create(thread=thread, user=person)
        state = ThreadReadState.objects.select_for_update().get(pk=state.pk)
        # Messages up to the thread's checkpoint were dealt with for everyone already (a
        # colleague who joined later is not e-mailed the history).
        floor = max(state.last_read_message_id, state.last_emailed_message_id, thread.email_checked_upto)
        due = (
            Message.objects.filter(thread=thread, pk__gt=floor, pk__lte=upto)
            .exclude(author=person)
            .select_related("author")
            .order_by("pk")
        )
        due_count = due.count()
        if not due_count:
            return "none"
        if state.last_emailed_at is not None and now - state.last_emailed_at < interval:
            return "wait"
        newest = due.aggregate(newest=Max("pk"))["newest"]
        outcome = "none"
        if email_wanted(user=person, kind=NotificationKind.MESSAGE):
            shown = list(due.order_by("-pk")[:MESSAGES_PER_EMAIL])[::-1]
            send_branded_mail(
                template="messaging/email/new_messages",
                to=person.email,
                context={
                    "user": person,
                    "thread": thread,
                    "messages": shown,
                    "count": due_count,
                    "more": due_count - len(shown),
                    "link": settings.SITE_URL + thread_url_for(user=person, thread=thread),
                    "unsubscribe_url": unsubscribe_url(user=person, kind=NotificationKind.MESSAGE),
                },
                language=person_language(person),
            )
            outcome = "sent"
        # Moved even when the person wants no e-mail, so these messages are never looked at again.
        state.last_emailed_message_id = newest
        state.last_emailed_at = now if outcome == "sent" else state.last_emailed_at
        state.save(update_fields=["last_emailed_message_id", "last_emailed_at"])
    return outcome


def broadcast_key() -> str:
    """A fresh key for a broadcast form (the form carries it, so a resubmission is the same broadcast)."""
    return uuid.uuid4().hex
