"""Writes for notifications. The one way any app tells a person something happened.

``notifications_send`` writes one in-portal notification per recipient, its texts as
message keys with JSON parameters (``core.texts``) rendered whenever it is read, and
queues its e-mail (rendered in the recipient's language when sent) after the transaction
commits. It is idempotent per recipient and ``key``: the same event reported twice
notifies once, so callers can report from retried tasks and replayed imports without care. Whether an
e-mail goes out is decided when it is sent (the person's master switch and their
preference for the kind), so a preference changed meanwhile is honoured.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from itertools import islice

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.mail import send_branded_mail
from core.texts import FREE_TEXT, StoredText, text_params_check, text_registered
from members.languages import person_language
from members.models import User
from outbox.services import outbox_enqueue

from .models import Notification, NotificationKind, NotificationPreference

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


class NotificationsError(Exception):
    """A notifications rule was broken; the message is meant for the person who tried."""


# Rows per query when a notice goes to many people at once (an offer for every member):
# keeps each IN (...) list and INSERT well inside every database's parameter limit.
BATCH_SIZE = 500

TITLE_MAX_LENGTH = 200  # of a title stored as free words (an offer's or a message's own)


def _stored(text: StoredText | None, *, max_length: int | None = None) -> tuple[str, dict]:
    """A title's or text's columns: a registered key and JSON parameters, never finished
    words (a lazy translation, a plain string, a callable in the parameters: ``TypeError``)."""
    if text is None:
        return "", {}
    if not isinstance(text, StoredText):
        raise TypeError("A notification's title and text are StoredTexts (core.texts), never finished words.")
    if text.key != FREE_TEXT and not text_registered(text.key):
        raise ValueError(f"Notification text {text.key!r} is not registered (core.texts).")
    params = text_params_check(text.params)
    if text.key == FREE_TEXT and max_length is not None:
        params["text"] = str(params.get("text", ""))[:max_length]
    return text.key, params


def notifications_send(
    *,
    users: Iterable[User],
    kind: str,
    key: str,
    title: StoredText,
    body: StoredText | None = None,
    url: str = "",
    email: bool = True,
    now: datetime | None = None,
    reword: bool = False,
) -> list[Notification]:
    """Notify each of ``users`` (inactive ones are left out) and queue their e-mails.

    ``title`` and ``body`` are registered texts with JSON parameters (``core.texts``:
    ``StoredText("notice.points_arrived", {"points": points_param(...)})``), or words
    stored as they are (``free_text(offer.introduction)``). They are stored so and rendered
    when read: in the reader's language on the portal, in the recipient's in the e-mail.
    Finished words or non-JSON parameters raise ``TypeError``. ``url`` is a path inside
    the portal. ``key`` names the event (``redemption:12:approved``); a recipient who
    already has a notification with that key gets nothing new, and the existing one is
    returned. ``email=False`` is for callers that batch their own e-mails (messages).
    ``reword=True`` gives the existing ones this title, text and link (an event whose words
    gained a language after it was told: an offer translated after it was announced); their
    recipients are not notified again, and their read and e-mail state and date stay.
    Returns the recipients' notifications, new and existing.

    Any number of recipients: the reads and inserts run ``BATCH_SIZE`` people at a time,
    and each batch's e-mails are one task.
    """
    if kind not in NotificationKind.values:
        raise NotificationsError(_("Unknown kind of notification: %(kind)s.") % {"kind": kind})
    title_key, title_params = _stored(title, max_length=TITLE_MAX_LENGTH)
    if not title_key:
        raise ValueError("A notification needs a title.")
    body_key, body_params = _stored(body)
    texts = {"title_key": title_key, "title_params": title_params, "body_key": body_key, "body_params": body_params}
    now = now or timezone.now()
    recipients = {user.pk: user for user in users if user.is_active}
    if not recipients:
        return []
    found: list[Notification] = []
    people = iter(recipients.values())
    with transaction.atomic():
        while batch := list(islice(people, BATCH_SIZE)):
            found.extend(
                _send_batch(batch, kind=kind, key=key, texts=texts, url=url, email=email, now=now, reword=reword)
            )
    return found


def _send_batch(batch: list[User], *, kind, key, texts, url, email, now, reword) -> list[Notification]:
    ids = [user.pk for user in batch]
    existing = {
        notification.recipient_id: notification
        for notification in Notification.objects.filter(recipient_id__in=ids, key=key)
    }
    if reword:
        _reword(existing.values(), texts={**texts, "url": url})
    new = [
        Notification(recipient=user, kind=kind, key=key, url=url, created_at=now, **texts)
        for user in batch
        if user.pk not in existing
    ]
    if not new:
        return list(existing.values())
    # A concurrent call with the same key loses on the UNIQUE constraint and skips its rows.
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    created = list(
        Notification.objects.filter(recipient_id__in=ids, key=key).exclude(
            pk__in=[notification.pk for notification in existing.values()]
        )
    )
    if email and created:
        from .tasks import send_notification_emails  # lazy: the tasks import this module

        outbox_enqueue(send_notification_emails, [notification.pk for notification in created])
    return list(existing.values()) + created


def _reword(notifications: Iterable[Notification], *, texts: dict) -> None:
    """Give ``notifications`` the columns in ``texts`` where they differ: one UPDATE, none
    when every one already says it (a re-announcement that changed nothing writes nothing)."""
    stale = [
        notification
        for notification in notifications
        if any(getattr(notification, column) != value for column, value in texts.items())
    ]
    if not stale:
        return
    Notification.objects.filter(pk__in=[notification.pk for notification in stale]).update(**texts)
    for notification in stale:
        for column, value in texts.items():
            setattr(notification, column, value)


def email_wanted(*, user: User, kind: str) -> bool:
    """Whether ``user`` wants e-mails of ``kind``: their master switch and their preference."""
    if not user.is_active or not user.email or not user.email_notifications:
        return False
    preference = NotificationPreference.objects.filter(user=user, kind=kind).values_list("email", flat=True).first()
    return preference is None or preference


def notification_email_send(*, notification_id: int, now: datetime | None = None) -> bool:
    """E-mail one notification to its recipient if they want it, at most once.

    The row is locked while the e-mail is sent and ``emailed_at`` set, so a task delivered
    twice (or two workers) sends one e-mail. Returns whether an e-mail went out.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient__membership__company")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        user = notification.recipient
        if not email_wanted(user=user, kind=notification.kind):
            return False
        send_branded_mail(
            template="notifications/email/notification",
            to=user.email,
            context={
                "user": user,
                "notification": notification,
                "link": settings.SITE_URL + notification.url if notification.url else settings.SITE_URL,
                "unsubscribe_url": unsubscribe_url(user=user, kind=notification.kind),
                "kind_label": NotificationKind(notification.kind).label,
            },
            language=person_language(user),
        )
        notification.emailed_at = now or timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


# How far back a digest looks for notifications not e-mailed yet: a beat that was down for a
# while still catches up, and an old notice is never e-mailed days late.
DIGEST_LOOKBACK = timedelta(days=2)
DIGEST_MAX_ITEMS = 20  # listed in one e-mail; the rest are counted ("and 5 more")


def notification_digests_send(*, kind: str, key_prefix: str, interval: timedelta, now: datetime | None = None) -> int:
    """E-mail people the notifications of ``kind`` whose key starts with ``key_prefix`` and
    that were written without an e-mail (``notifications_send(..., email=False)``): at most
    one e-mail per person every ``interval``, listing everything not e-mailed yet.

    For callers whose events can come many times a day (points from single API purchases):
    the first one is e-mailed by the next run, the rest wait for the interval and go out
    together. A person who turned these e-mails off gets none (their notices stay in the
    portal). Each person is decided under a lock on their waiting notifications and those are
    marked e-mailed in the same transaction, so two runs at once send one e-mail. Returns
    the number of e-mails sent.
    """
    now = now or timezone.now()
    waiting = Notification.objects.filter(
        kind=kind, key__startswith=key_prefix, emailed_at__isnull=True, created_at__gt=now - DIGEST_LOOKBACK
    )
    recipients = waiting.order_by("recipient_id").values_list("recipient_id", flat=True).distinct()
    return sum(
        _digest_for(recipient_id=recipient_id, waiting=waiting, interval=interval, now=now)
        for recipient_id in list(recipients)
    )


def _digest_for(*, recipient_id: int, waiting, interval: timedelta, now: datetime) -> bool:
    with transaction.atomic():
        due = list(
            waiting.filter(recipient_id=recipient_id)
            .select_for_update(of=("self",))
            .select_related("recipient__membership__company")
            .order_by("created_at", "pk")
        )
        if not due:
            return False  # a concurrent run took them
        kind = due[0].kind
        last_emailed = (
            Notification.objects.filter(recipient_id=recipient_id, kind=kind, emailed_at__isnull=False)
            .exclude(pk__in=[notification.pk for notification in due])
            .aggregate(last=Max("emailed_at"))["last"]
        )
        if last_emailed is not None and last_emailed > now - interval:
            return False  # they wait for the next run after the interval
        user = due[0].recipient
        if not email_wanted(user=user, kind=kind):
            return False
        context = {
            "user": user,
            "link": settings.SITE_URL + (due[-1].url or "/"),
            "unsubscribe_url": unsubscribe_url(user=user, kind=kind),
            "kind_label": NotificationKind(kind).label,
        }
        if len(due) == 1:
            send_branded_mail(
                template="notifications/email/notification",
                to=user.email,
                context={**context, "notification": due[0]},
                language=person_language(user),
            )
        else:
            send_branded_mail(
                template="notifications/email/digest",
                to=user.email,
                context={
                    **context,
                    "notifications": due[:DIGEST_MAX_ITEMS],
                    "count": len(due),
                    "more": max(0, len(due) - DIGEST_MAX_ITEMS),
                },
                language=person_language(user),
            )
        Notification.objects.filter(pk__in=[notification.pk for notification in due]).update(emailed_at=now)
    return True


def notifications_mark_read(
    *, user: User, notification_ids: Iterable[int] | None = None, key_prefix: str | None = None
) -> int:
    """Mark ``user``'s unread notifications read: those in ``notification_ids``, or those whose
    key starts with ``key_prefix`` (a thread's ``message:<thread id>:``), or all of them.

    Only the user's own notifications are touched; ids of other people's are ignored.
    One UPDATE. Returns how many changed.
    """
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    if key_prefix is not None:
        unread = unread.filter(key__startswith=key_prefix)
    return unread.update(read_at=timezone.now())


def notification_preferences_set(*, user: User, email_by_kind: Mapping[str, bool]) -> None:
    """Store which kinds of notification ``user`` wants by e-mail."""
    unknown = set(email_by_kind) - set(NotificationKind.values)
    if unknown:
        raise NotificationsError(_("Unknown kind of notification: %(kind)s.") % {"kind": ", ".join(sorted(unknown))})
    with transaction.atomic():
        for kind, wanted in email_by_kind.items():
            NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"email": bool(wanted)})


def unsubscribe_token(*, user: User, kind: str) -> str:
    return signing.dumps({"user": user.pk, "kind": kind}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(*, user: User, kind: str) -> str:
    return settings.SITE_URL + reverse("notifications:unsubscribe", args=[unsubscribe_token(user=user, kind=kind)])


def unsubscribe_token_read(token: str) -> tuple[User, str]:
    """The person and kind an unsubscribe link is for; ``NotificationsError`` if it is not valid."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user = User.objects.get(pk=data["user"], is_active=True)
        kind = NotificationKind(data["kind"]).value
    except (signing.BadSignature, KeyError, TypeError, ValueError, User.DoesNotExist) as exc:
        raise NotificationsError(_("This unsubscribe link is not valid.")) from exc
    return user, kind
