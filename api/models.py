"""Clients of the integration API (an ERP, a web shop) and their bearer tokens.

Each client holds scopes (``ApiScope``: read or write per resource) and may be limited to
the companies it created or was given (``all_companies`` off); it writes purchases only under
its own ``source``. A call outside its scopes answers 403.

A token looks like ``cp_<prefix>_<secret>``. Only the prefix (to find the row) and the
SHA-256 hash of the secret are stored; the whole token is shown once, when the client is
created, and cannot be recovered afterwards. A revoked client can never authenticate again.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiScope(models.TextChoices):
    """What a client may do, per resource; each operation of the API needs one (``api.api``)."""

    COMPANIES_WRITE = "companies:write", _("Create and update companies")
    PURCHASES_WRITE = "purchases:write", _("Record purchases and credit notes")
    POINTS_READ = "points:read", _("Read balances and ledgers")
    REDEMPTIONS_READ = "redemptions:read", _("Read reward orders")
    REDEMPTIONS_WRITE = "redemptions:write", _("Mark reward orders fulfilled")
    INVOICE_CREDITS_READ = "invoice_credits:read", _("Read invoice credits bought with points")
    INVOICE_CREDITS_WRITE = "invoice_credits:write", _("Mark invoice credits applied to an invoice")
    WEBHOOKS = "webhooks:manage", _("Manage its webhook endpoints and see their deliveries")


class ApiClient(models.Model):
    name = models.CharField(_("name"), max_length=100)
    source = models.CharField(
        _("purchase source"),
        max_length=40,
        default="api",
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9_.-]*$", _("Lower-case letters, digits, '.', '_' and '-'."))],
        help_text=_(
            "Purchases posted by this client are stored under this source; (source, external id) is what makes "
            "a re-sent purchase recognised. Use the same source as the CSV import of the same system."
        ),
    )
    scopes = models.JSONField(
        _("permissions"),
        default=list,
        blank=True,
        help_text=_("What this client may do; a call outside these answers 403."),
    )
    all_companies = models.BooleanField(
        _("all companies"),
        default=True,
        help_text=_("Off: the client may use only the companies chosen below and those it creates itself."),
    )
    companies = models.ManyToManyField(
        "members.Company",
        verbose_name=_("companies"),
        blank=True,
        related_name="+",
        help_text=_("The companies this client may use when it is not allowed all of them."),
    )
    token_prefix = models.CharField(_("token prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(_("secret hash (SHA-256)"), max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class WebhookEndpoint(models.Model):
    """Where one API client wants events sent (``api.webhooks``).

    The signing secret (``whsec_…``, Standard Webhooks) is shown once, when the endpoint is
    created or its secret rotated. It has to be stored as it is, because every delivery is
    signed with it (HMAC); the database is the portal's secret store, as for other
    credentials it uses. During a rotation's overlap (``previous_secret_until``) deliveries
    carry two signatures, one per secret, so the receiver can switch at its own pace.
    """

    client = models.ForeignKey(
        ApiClient, verbose_name=_("API client"), on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("events"), default=list, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    previous_secret = models.CharField(_("previous signing secret"), max_length=100, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(_("previous secret signs until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    failing_since = models.DateTimeField(
        _("failing since"),
        null=True,
        blank=True,
        help_text=_("When the current run of failed deliveries began; empty once a delivery succeeds."),
    )
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["client__name", "pk"]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """One event as it is sent (the envelope: id, type, version, timestamp, data), shared by
    its deliveries. ``event_id`` is the ``webhook-id`` header: the same on every attempt, so
    a receiver de-duplicates by it."""

    event_id = models.CharField(_("event id"), max_length=40, unique=True)
    type = models.CharField(_("type"), max_length=40)
    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Gave up")


class WebhookDelivery(models.Model):
    """One event for one endpoint: attempted until the receiver answers 2xx or the retry
    schedule runs out. Deliveries of one company to one endpoint go out in event order
    (``api.webhooks``): a later one waits while an earlier one is still pending."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(
        WebhookEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="deliveries"
    )
    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last response code"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        permissions = [("resend_webhookdelivery", _("Can resend webhook deliveries"))]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="api_delivery_once_per_endpoint"),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values), name="api_delivery_status_valid"
            ),
        ]
        indexes = [
            # The head of each (endpoint, company) queue, and the retry job's due heads.
            models.Index(
                fields=["endpoint", "company", "id"],
                condition=models.Q(status="pending"),
                name="api_delivery_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event.type} #{self.pk}"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: when, how long, what came back."""

    delivery = models.ForeignKey(
        WebhookDelivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="attempt_log"
    )
    attempted_at = models.DateTimeField(_("attempted"), default=timezone.now)
    succeeded = models.BooleanField(_("succeeded"), default=False)
    status_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    error = models.CharField(_("error"), max_length=300, blank=True)
    response_excerpt = models.CharField(_("response (start)"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"#{self.pk}"


class ApiImportJob(models.Model):
    """A purchase file posted through the API (``POST /imports``): the client's idempotency
    key for the ``PurchaseImport`` it created, so posting the same job twice runs it once."""

    client = models.ForeignKey(ApiClient, verbose_name=_("API client"), on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=100)
    purchase_import = models.OneToOneField(
        "rewards.PurchaseImport", verbose_name=_("import"), on_delete=models.CASCADE, related_name="api_job"
    )
    file_sha256 = models.CharField(_("file hash (SHA-256)"), max_length=64)
    file_format = models.CharField(_("format"), max_length=10)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("API import job")
        verbose_name_plural = _("API import jobs")
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="api_import_job_key_once")]

    def __str__(self) -> str:
        return f"{self.client} {self.key}"
