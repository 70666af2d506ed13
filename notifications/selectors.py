"""Reads for notifications. Fixed query counts, whatever the number of notifications."""

from __future__ import annotations

from django.db.models import F, QuerySet

from members.models import MembershipRole, User

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


def company_contacts(*, company_id: int, roles: list[str] | None = None) -> list[User]:
    """The active contacts of a company (only those with ``roles`` if given): who a company's
    notifications go to. One query."""
    users = User.objects.filter(membership__company_id=company_id, is_active=True)
    if roles is not None:
        users = users.filter(membership__role__in=roles)
    return list(users.order_by("pk"))


def company_admins(*, company_id: int) -> list[User]:
    return company_contacts(company_id=company_id, roles=[MembershipRole.ADMIN])


def contacts_by_company(*, company_ids) -> dict[int, list[User]]:
    """The active contacts of each of ``company_ids``, in one query: recipients for a notice
    that goes to many companies at once (a CSV import's points). The caller passes ids in
    batches of a few hundred (``notifications.services.BATCH_SIZE``)."""
    by_company: dict[int, list[User]] = {}
    users = (
        User.objects.filter(membership__company_id__in=list(company_ids), is_active=True)
        .annotate(contact_of=F("membership__company_id"))
        .order_by("pk")
    )
    for user in users:
        by_company.setdefault(user.contact_of, []).append(user)
    return by_company
