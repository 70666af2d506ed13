"""Writes for notifications. The one way any app tells a person something happened.

``notifications_send`` writes one in-portal notification per recipient, in the
recipient's language, and queues its e-mail after the transaction commits. It is
idempotent per recipient and ``key``: the same event reported twice notifies once, so
callers can report from retried tasks and replayed imports without care. Whether an
e-mail goes out is decided when it is sent (the person's master switch and their
preference for the kind), so a preference changed meanwhile is honoured.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from members.models import User

from .models import Notification, NotificationKind, NotificationPreference

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


class NotificationsError(Exception):
    """A notifications rule was broken; the message is meant for the person who tried."""


def _render(text: str | Promise, params: Mapping, language: str) -> str:
    with translation.override(language):
        rendered = str(text)
        return rendered % params if params else rendered


def notifications_send(
    *,
    users: Iterable[User],
    kind: str,
    key: str,
    title: str | Promise,
    body: str | Promise = "",
    params: Mapping | None = None,
    url: str = "",
    email: bool = True,
    now: datetime | None = None,
) -> list[Notification]:
    """Notify each of ``users`` (inactive ones are left out) and queue their e-mails.

    ``title`` and ``body`` are translatable (``gettext_lazy``) texts with ``%(name)s``
    placeholders filled from ``params``; each is rendered in the recipient's language.
    ``url`` is a path inside the portal. ``key`` names the event (``redemption:12:approved``);
    a recipient who already has a notification with that key gets nothing new, and the
    existing one is returned. ``email=False`` is for callers that batch their own e-mails
    (messages). Returns the recipients' notifications, new and existing.
    """
    if kind not in NotificationKind.values:
        raise NotificationsError(_("Unknown kind of notification: %(kind)s.") % {"kind": kind})
    params = params or {}
    now = now or timezone.now()
    recipients = {user.pk: user for user in users if user.is_active}
    if not recipients:
        return []
    with transaction.atomic():
        existing = {
            notification.recipient_id: notification
            for notification in Notification.objects.filter(recipient_id__in=recipients, key=key)
        }
        new = []
        for user in recipients.values():
            if user.pk in existing:
                continue
            language = user.language or settings.LANGUAGE_CODE
            new.append(
                Notification(
                    recipient=user,
                    kind=kind,
                    key=key,
                    title=_render(title, params, language)[:200],
                    body=_render(body, params, language) if body else "",
                    url=url,
                    created_at=now,
                )
            )
        # A concurrent call with the same key loses on the UNIQUE constraint and skips its rows.
        Notification.objects.bulk_create(new, ignore_conflicts=True)
        created = list(
            Notification.objects.filter(recipient_id__in=recipients, key=key).exclude(
                pk__in=[notification.pk for notification in existing.values()]
            )
        )
        if email and created:
            from .tasks import send_notification_emails

            send_notification_emails.delay_on_commit([notification.pk for notification in created])
    return list(existing.values()) + created


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
    from clubportal.mail import send_branded_mail

    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
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
            language=user.language or None,
        )
        notification.emailed_at = now or timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


def notifications_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s notifications read (all unread ones without ``notification_ids``).

    Only the user's own notifications are touched; ids of other people's are ignored.
    Returns how many changed.
    """
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
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
