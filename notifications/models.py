"""In-portal notifications and each person's e-mail preferences per kind.

A notification's title and text are stored as message keys with JSON parameters
(``core.texts``) and rendered when read: in the reader's language on the portal's pages,
in the recipient's language in the e-mail. Other apps never create rows themselves: they
call ``notifications.services.notifications_send``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.texts import StoredText, text_render


class NotificationKind(models.TextChoices):
    POINTS = "points", _("Points arrived")
    REDEMPTION = "redemption", _("Order status changed")
    APPROVAL = "approval", _("Orders waiting for my approval")
    MESSAGE = "message", _("New messages")
    OFFER = "offer", _("New offers for my tier")
    EXPIRY = "expiry", _("Points about to expire")
    ACTIVITY = "activity", _("Activities and campaigns")


# Bootstrap Icons name per kind, for the notification centre.
KIND_ICONS = {
    NotificationKind.POINTS: "coin",
    NotificationKind.REDEMPTION: "box-seam",
    NotificationKind.APPROVAL: "check2-square",
    NotificationKind.MESSAGE: "chat-dots",
    NotificationKind.OFFER: "tag",
    NotificationKind.EXPIRY: "hourglass-split",
    NotificationKind.ACTIVITY: "trophy",
}


class Notification(models.Model):
    """Something that happened to a person, shown in the portal and, if they want, e-mailed.

    ``key`` makes creation idempotent per recipient (UNIQUE with ``recipient``): the same
    event reported twice (a retried task, a replayed import) notifies once. ``emailed_at``
    is set, under a row lock, when the e-mail went out, so a task run twice mails once.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=NotificationKind.choices)
    # What it says: registered texts (core.texts) and their parameters, rendered when read.
    title_key = models.CharField(_("title key"), max_length=64)
    title_params = models.JSONField(_("title parameters"), default=dict, blank=True)
    body_key = models.CharField(_("text key"), max_length=64, blank=True, default="")
    body_params = models.JSONField(_("text parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True, help_text=_("A path inside the portal."))
    key = models.CharField(_("key"), max_length=200)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notifications_once_per_recipient_and_key"),
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="notifications_notification_kind_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notifications_recipient_new"),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notifications_recipient_unread"
            ),
            # The digests' scan: notices written without an e-mail, by kind and age.
            models.Index(
                fields=["kind", "created_at"], condition=Q(emailed_at__isnull=True), name="notifications_not_emailed"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        """The title in the active language (the reader's, or the e-mail's recipient's)."""
        return text_render(self.title_key, self.title_params)

    @property
    def body(self) -> str:
        return text_render(self.body_key, self.body_params)

    @property
    def title_text(self) -> StoredText:
        return StoredText(self.title_key, self.title_params)

    @property
    def body_text(self) -> StoredText:
        return StoredText(self.body_key, self.body_params)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def icon(self) -> str:
        return KIND_ICONS.get(self.kind, "bell")


class NotificationPreference(models.Model):
    """Whether a person gets e-mails of one kind. No row means yes; in-portal notices are always on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=NotificationKind.choices)
    email = models.BooleanField(_("e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notifications_one_preference_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} e-mail {'on' if self.email else 'off'}"
