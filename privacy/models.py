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


class CompanyClosure(models.Model):
    """A company leaving the club (``privacy.closing``): who closed it and when, what its
    points became, whose log-ins were closed; and, once reopened, who reopened it.

    At most one open closure per company (a partial UNIQUE constraint): closing twice
    closes once. ``contacts`` lists the people whose log-in the closing closed, so a
    reopening reactivates exactly them (not someone erased or deactivated for another
    reason). The ledger entry and the invoice credit are the points' side, written through
    the ledger's and the credits' services in the same transaction.
    """

    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="closures"
    )
    closed_at = models.DateTimeField(_("closed"), default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    rule = models.CharField(_("points"), max_length=16)
    points = models.IntegerField(_("points taken"), default=0)
    closing_entry = models.OneToOneField(
        "rewards.LedgerEntry",
        verbose_name=_("closing entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="closure",
    )
    invoice_credit = models.OneToOneField(
        "rewards.InvoiceCredit",
        verbose_name=_("invoice credit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="closure",
    )
    orders_cancelled = models.PositiveIntegerField(_("orders cancelled"), default=0)
    invitations_revoked = models.PositiveIntegerField(_("invitations revoked"), default=0)
    contacts = models.JSONField(_("contacts whose log-in was closed"), default=list, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("reopened"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reopened by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    contacts_reactivated = models.PositiveIntegerField(_("contacts reactivated"), default=0)

    class Meta:
        verbose_name = _("company closure")
        verbose_name_plural = _("company closures")
        ordering = ["-closed_at", "-pk"]
        permissions = [("close_company", _("Can export, close and reopen companies"))]
        constraints = [
            models.UniqueConstraint(
                fields=["company"], condition=Q(reopened_at__isnull=True), name="privacy_one_open_closure_per_company"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} ({self.closed_at:%Y-%m-%d})"

    @property
    def is_open(self) -> bool:
        return self.reopened_at is None
