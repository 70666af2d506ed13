"""Reads for notifications. Fixed query counts, whatever the number of notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from members.models import User

from .models import Notification, NotificationKind, NotificationPreference


def unread_notification_count(*, user: User) -> int:
    """How many of ``user``'s notifications are unread (one query on a partial index)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def user_notifications(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """``user``'s notifications (only the unread ones if asked), newest first; the only
    queryset pages list them from."""
    notifications = Notification.objects.filter(recipient=user)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-created_at", "-pk")


def user_notification(*, user: User, notification_id: int) -> Notification | None:
    """One of ``user``'s own notifications, or None (someone else's id finds nothing)."""
    return Notification.objects.filter(recipient=user, pk=notification_id).first()


def notification_email_preferences(*, user: User) -> dict[str, bool]:
    """Every kind with whether ``user`` wants it by e-mail (default yes). One query."""
    stored = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return {kind: stored.get(kind, True) for kind in NotificationKind.values}
