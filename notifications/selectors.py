"""Reads for notifications. Fixed query counts, whatever the number of notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from members.models import MembershipRole, User

from .models import Notification, NotificationKind, NotificationPreference


def unread_notification_count(*, user: User) -> int:
    """How many of ``user``'s notifications are unread (one query on a partial index)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def user_notifications(*, user: User) -> QuerySet[Notification]:
    """``user``'s notifications, newest first; the only queryset pages list them from."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def notification_email_preferences(*, user: User) -> dict[str, bool]:
    """Every kind with whether ``user`` wants it by e-mail (default yes). One query."""
    stored = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return {kind: stored.get(kind, True) for kind in NotificationKind.values}


def company_contacts(*, company_id: int, roles: list[str] | None = None) -> list[User]:
    """The active contacts of a company (only those with ``roles`` if given): who a company's
    notifications go to. One query."""
    users = User.objects.filter(membership__company_id=company_id, is_active=True)
    if roles is not None:
        users = users.filter(membership__role__in=roles)
    return list(users.order_by("pk"))


def company_admins(*, company_id: int) -> list[User]:
    return company_contacts(company_id=company_id, roles=[MembershipRole.ADMIN])
