"""The points economy: purchases, the rules that turn them into points, and the ledger.

The ledger is three buckets per company account, each cached on ``PointsAccount`` and
each equal to the sum of one signed column over the account's ``LedgerEntry`` rows:

* ``balance``   — spendable points, ``== sum(entry.points)``, never negative;
* ``pending``   — points earned but still inside the return window,
  ``== sum(entry.pending_points)``, never negative;
* ``shortfall`` — points owed after a return the balance could not cover,
  ``== sum(entry.shortfall_points)``, never negative; paid first from later earnings.

Only ``rewards.services`` writes entries and moves the buckets. Entries are never
updated or deleted; a correction is a new entry.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProgrammeRules(models.Model):
    """The programme's earn, value, return and expiry rules: one row, edited in the admin.

    ``ProgrammeRules.current()`` returns the row, creating it with the defaults on first use.
    """

    SINGLETON_PK = 1

    points_per_currency_unit = models.DecimalField(
        _("points per currency unit"),
        max_digits=9,
        decimal_places=4,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Points for one unit of net purchase amount (e.g. 1 point per SEK), before multipliers."),
    )
    # A rate, not an amount: four decimals so a point can be worth e.g. 0.0125 SEK.
    point_value = models.DecimalField(
        _("value of one point"),
        max_digits=13,
        decimal_places=4,
        default=Decimal("0.05"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="SEK", validators=[RegexValidator(r"^[A-Z]{3}$")])
    return_window_days = models.PositiveIntegerField(
        _("return window (days)"),
        default=14,
        help_text=_("Points from a purchase stay pending this many days after it, then become spendable."),
    )
    expiry_months = models.PositiveIntegerField(
        _("expiry (months)"),
        default=24,
        validators=[MinValueValidator(1)],
        help_text=_("Earned points expire this many months after the purchase, first in first out."),
    )

    class Meta:
        verbose_name = _("programme rules")
        verbose_name_plural = _("programme rules")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="rewards_programmerules_singleton")]

    def __str__(self) -> str:
        return str(_("Programme rules"))

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> ProgrammeRules:
        rules, _created = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        return rules


class ProductCategory(models.Model):
    """A product category; profitable categories earn more through their multiplier."""

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=40, unique=True)
    multiplier = models.DecimalField(_("earn multiplier"), max_digits=5, decimal_places=2, default=Decimal("1"))

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(multiplier__gte=1), name="rewards_productcategory_multiplier_gte_1")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Tier(models.Model):
    """A membership tier, reached with ``qualifying_points`` earned over a rolling 12 months."""

    name = models.CharField(_("name"), max_length=60)
    qualifying_points = models.PositiveIntegerField(_("qualifying points"), unique=True)
    earn_multiplier = models.DecimalField(_("earn multiplier"), max_digits=5, decimal_places=2, default=Decimal("1"))
    benefits = models.TextField(_("benefits"), blank=True)
    colour = models.CharField(
        _("colour"), max_length=7, default="#888888", validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$")]
    )

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["qualifying_points"]
        constraints = [
            models.CheckConstraint(condition=Q(earn_multiplier__gte=1), name="rewards_tier_multiplier_gte_1")
        ]

    def __str__(self) -> str:
        return self.name


class Purchase(models.Model):
    """A purchase (or, with ``original`` set, a credit note against one) from the ERP.

    ``(source, external_id)`` is unique, so a purchase re-sent by the ERP is recognised.
    A purchase has a net amount ≥ 0; a credit note has a net amount ≤ 0.
    """

    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="purchases"
    )
    source = models.CharField(_("source"), max_length=40)
    external_id = models.CharField(_("external id"), max_length=100)
    occurred_at = models.DateTimeField(_("occurred"))
    net_amount = models.DecimalField(_("net amount"), max_digits=13, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="SEK")
    original = models.ForeignKey(
        "self",
        verbose_name=_("credited purchase"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="rewards_purchase_unique_source_external_id"
            ),
            models.CheckConstraint(
                condition=(Q(original__isnull=True, net_amount__gte=0) | Q(original__isnull=False, net_amount__lte=0)),
                name="rewards_purchase_sign_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"

    @property
    def is_credit_note(self) -> bool:
        return self.original_id is not None


class PurchaseLine(models.Model):
    purchase = models.ForeignKey(Purchase, verbose_name=_("purchase"), on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(_("SKU"), max_length=64)
    category = models.ForeignKey(
        ProductCategory, verbose_name=_("category"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amount = models.DecimalField(_("net amount"), max_digits=13, decimal_places=2)

    class Meta:
        verbose_name = _("purchase line")
        verbose_name_plural = _("purchase lines")

    def __str__(self) -> str:
        return f"{self.sku} {self.amount}"


class PointsAccount(models.Model):
    """A company's points: spendable balance, pending and shortfall buckets, and its tier.

    Guarantees (CHECK constraints): every bucket ≥ 0. Each bucket equals the sum of its
    column over the account's entries (verified by ``manage.py check_ledger``). Rows are
    changed only by ``rewards.services``, which lock the row first.
    """

    company = models.OneToOneField(
        "members.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="points_account"
    )
    balance = models.IntegerField(_("balance"), default=0)
    pending = models.IntegerField(_("pending"), default=0)
    shortfall = models.IntegerField(_("shortfall"), default=0)
    tier = models.ForeignKey(
        Tier, verbose_name=_("tier"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    tier_changed_at = models.DateTimeField(_("tier changed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="rewards_pointsaccount_balance_gte_0"),
            models.CheckConstraint(condition=Q(pending__gte=0), name="rewards_pointsaccount_pending_gte_0"),
            models.CheckConstraint(condition=Q(shortfall__gte=0), name="rewards_pointsaccount_shortfall_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.company}: {self.balance}"


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    REDEEM = "redeem", _("Redeemed")
    EXPIRE = "expire", _("Expired")
    ADJUST = "adjust", _("Adjusted")
    REVERSAL = "reversal", _("Reversed")
    RELEASE = "release", _("Released")


class LedgerEntryError(Exception):
    """An attempt to change or delete a ledger entry; entries are append-only."""


class LedgerEntryQuerySet(models.QuerySet):
    """Bulk ``update()``/``delete()`` would bypass ``LedgerEntry.save``/``delete``: refused too."""

    def update(self, **kwargs):
        raise LedgerEntryError("Ledger entries are append-only; write a correcting entry instead.")

    def delete(self):
        raise LedgerEntryError("Ledger entries are never deleted; write a correcting entry instead.")


class LedgerEntry(models.Model):
    """One movement of points; append-only.

    ``points``, ``pending_points`` and ``shortfall_points`` are the signed changes this
    entry made to the account's balance, pending and shortfall buckets. How each kind
    uses them:

    * earn: ``pending_points = +N`` (N = points the purchase earned, campaign extras
      included); ``available_at`` says when they are released and ``expires_at`` when they
      expire. An earn without a purchase (``points_award``: an activity, a challenge) is
      spendable at once instead: ``points = +N``, no ``available_at``.
    * release (``releases`` → the earn): ``pending_points = -R`` where R is what is
      left of the earn after returns; ``shortfall_points = -P`` pays off shortfall
      first; ``points = R - P`` becomes spendable. Net effect 0.
    * redeem: ``points = -N``. expire: ``points = -N``. adjust: ``points = ±N``.
    * reversal (a return, with ``purchase`` → the credit note, or a staff reversal
      with ``reverses`` → the entry): takes points back from pending, or from the
      balance as far as it goes with the rest as ``shortfall_points``; or gives them
      back (reversing a redeem, expire or negative adjustment).

    ``points + pending_points - shortfall_points`` is the entry's net value to the company.
    Every entry with ``points > 0`` is an expiry lot and carries ``expires_at``.
    ``idempotency_key`` is unique: a retried call finds the first entry.
    """

    account = models.ForeignKey(
        PointsAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="entries"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    points = models.IntegerField(_("points"), default=0)
    pending_points = models.IntegerField(_("pending points"), default=0)
    shortfall_points = models.IntegerField(_("shortfall points"), default=0)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    memo = models.CharField(_("memo"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    purchase = models.ForeignKey(
        Purchase,
        verbose_name=_("purchase"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    reverses = models.OneToOneField(
        "self", verbose_name=_("reverses"), on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    releases = models.OneToOneField(
        "self", verbose_name=_("releases"), on_delete=models.PROTECT, null=True, blank=True, related_name="released_by"
    )
    available_at = models.DateTimeField(_("available from"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "kind"], name="rewards_entry_account_kind"),
            models.Index(fields=["account", "expires_at"], name="rewards_entry_account_expires"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="rewards_ledgerentry_kind_valid"),
            models.CheckConstraint(
                condition=Q(points__lte=0) | Q(expires_at__isnull=False), name="rewards_ledgerentry_lot_expires"
            ),
            # One earn per purchase, so a purchase can never earn twice whatever the key.
            models.UniqueConstraint(
                fields=["purchase"], condition=Q(kind="earn"), name="rewards_ledgerentry_one_earn_per_purchase"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.net_points:+d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerEntryError("Ledger entries are append-only; write a correcting entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerEntryError("Ledger entries are never deleted; write a correcting entry instead.")

    @property
    def net_points(self) -> int:
        return self.points + self.pending_points - self.shortfall_points


# --- Notices to members (rewards.services: expiry reminders, tier downgrade notices) ---------


class ExpiryReminder(models.Model):
    """Records that the company's contacts are (to be) reminded of points expiring on a day.

    One row per account and expiry day (UNIQUE), written before the e-mail is queued, so a
    second or concurrent run of the reminder job finds the row and queues nothing.
    ``sent_at`` is set, under a row lock, when the e-mail went out.
    """

    account = models.ForeignKey(
        PointsAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="expiry_reminders"
    )
    expires_on = models.DateField(_("expires on"))
    points = models.PositiveIntegerField(_("points"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("expiry reminder")
        verbose_name_plural = _("expiry reminders")
        constraints = [
            models.UniqueConstraint(fields=["account", "expires_on"], name="rewards_expiryreminder_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.points} on {self.expires_on}"


class TierDowngradeNotice(models.Model):
    """Records that a company's admins are (to be) told it will drop a tier at an evaluation.

    One row per account and yearly evaluation date (UNIQUE), written before the e-mail is
    queued; ``sent_at`` is set when it went out.
    """

    account = models.ForeignKey(
        PointsAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="tier_downgrade_notices"
    )
    evaluation_on = models.DateField(_("evaluation date"))
    tier = models.ForeignKey(Tier, verbose_name=_("current tier"), on_delete=models.PROTECT, related_name="+")
    tier_after = models.ForeignKey(
        Tier, verbose_name=_("tier after"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    points_needed = models.PositiveIntegerField(_("points needed to keep the tier"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("tier downgrade notice")
        verbose_name_plural = _("tier downgrade notices")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "evaluation_on"], name="rewards_tierdowngradenotice_once_per_evaluation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.evaluation_on}"


# --- CSV import of purchases (rewards.imports) -------------------------------------------------


class PurchaseImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class PurchaseImport(models.Model):
    """One uploaded CSV file of purchases and the progress of importing it.

    ``rows_done`` is a checkpoint: it is updated in the same transaction as the rows it
    counts, so a crashed import resumes after the last committed chunk. ``done`` means
    the whole file was read (some rows may have failed: see ``rows_failed`` and the error
    file); ``failed`` means the file could not be imported at all (``error_message``).
    """

    file = models.FileField(_("file"), upload_to="imports/purchases/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PurchaseImportStatus.choices, default=PurchaseImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("rows in file"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_created = models.PositiveIntegerField(_("rows imported"), default=0)
    rows_duplicate = models.PositiveIntegerField(_("rows already imported"), default=0)
    rows_failed = models.PositiveIntegerField(_("rows failed"), default=0)
    error_file = models.FileField(_("error file"), upload_to="imports/purchases/errors/%Y/%m/", blank=True)
    error_message = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("purchase import")
        verbose_name_plural = _("purchase imports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PurchaseImportStatus.values), name="rewards_purchaseimport_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.original_name or self.file.name

    @property
    def is_active(self) -> bool:
        return self.status in (PurchaseImportStatus.QUEUED, PurchaseImportStatus.RUNNING)


class PurchaseImportError(models.Model):
    """A row of an import that was not imported, with its line number and the reason.

    Written in the same transaction as the chunk it belongs to, so the error report stays
    complete when a crashed import resumes.
    """

    purchase_import = models.ForeignKey(
        PurchaseImport, verbose_name=_("import"), on_delete=models.CASCADE, related_name="errors"
    )
    line = models.PositiveIntegerField(_("line"))
    reason = models.CharField(_("reason"), max_length=500)
    row = models.TextField(_("row"), blank=True)

    class Meta:
        verbose_name = _("purchase import error")
        verbose_name_plural = _("purchase import errors")
        ordering = ["purchase_import", "line"]
        indexes = [models.Index(fields=["purchase_import", "line"], name="rewards_importerror_line")]

    def __str__(self) -> str:
        return f"{self.line}: {self.reason}"
