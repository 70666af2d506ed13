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
