"""A person's data requests and the club's retention settings.

``ErasureRequest`` is the GDPR request to be forgotten: asked for by the person, carried out
by ``privacy.services.erasure_confirm`` (a company admin of their company or a club admin),
due within ``ERASURE_DEADLINE_DAYS``. ``RetentionSettings`` is one row: how long the portal
keeps what nobody needs any more (``privacy.tasks.retention_purge`` applies it nightly).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ERASURE_DEADLINE_DAYS = 30


class ErasureStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    DONE = "done", _("Erased")
    REFUSED = "refused", _("Refused")


def _deadline():
    return timezone.now() + timedelta(days=ERASURE_DEADLINE_DAYS)


class ErasureRequest(models.Model):
    """A person's request to have their personal data erased. At most one open per person."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="erasure_requests"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ErasureStatus.choices, default=ErasureStatus.REQUESTED
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    due_at = models.DateTimeField(_("deadline"), default=_deadline)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    refusal_reason = models.CharField(_("reason for refusing"), max_length=500, blank=True)
    pseudonym = models.CharField(_("pseudonym"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="requested"), name="privacy_one_open_erasure_request"
            )
        ]

    def __str__(self) -> str:
        return _("Erasure request %(number)s") % {"number": self.pk}

    @property
    def is_overdue(self) -> bool:
        return self.status == ErasureStatus.REQUESTED and self.due_at < timezone.now()


class RetentionSettings(models.Model):
    """How long the portal keeps what nobody needs any more. One row (``current()``)."""

    expired_invitation_days = models.PositiveIntegerField(_("expired invitations: days kept after expiry"), default=90)
    removed_contact_days = models.PositiveIntegerField(
        _("removed contacts: days kept after their last log-in"),
        default=365,
        help_text=_("A person without a company and without staff access is erased after this."),
    )
    attachment_days = models.PositiveIntegerField(_("message attachments: days kept"), default=730)

    class Meta:
        verbose_name = _("retention settings")
        verbose_name_plural = _("retention settings")
        constraints = [
            models.CheckConstraint(condition=Q(expired_invitation_days__gte=1), name="privacy_invitation_days_min"),
            models.CheckConstraint(condition=Q(removed_contact_days__gte=30), name="privacy_contact_days_min"),
            models.CheckConstraint(condition=Q(attachment_days__gte=30), name="privacy_attachment_days_min"),
        ]

    def __str__(self) -> str:
        return str(_("Retention settings"))

    @classmethod
    def current(cls) -> RetentionSettings:
        return cls.objects.order_by("pk").first() or cls()
