"""The points economy: purchases, the rules that turn them into points, and the ledger.

The ledger is three buckets per company account, each cached on ``PointsAccount`` and
each equal to the sum of one signed column over the account's ``LedgerEntry`` rows:

* ``balance``   — spendable points, ``== sum(entry.points)``, never negative;
* ``pending``   — points earned but still inside the return window,
  ``== sum(entry.pending_points)``, never negative;
* ``shortfall`` — points owed after a return the balance could not cover,
  ``== sum(entry.shortfall_points)``, never negative; paid first from later earnings.

Only ``rewards.ledger.services`` writes entries and moves the buckets. Entries are never
updated or deleted; a correction is a new entry.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_cleanup import cleanup
from modeltranslation.utils import build_localized_fieldname

from core.currencies import CurrencyField, currency_for_country, currency_is_known
from core.texts import StoredText, text_render
from members.models import Company, Country

from . import texts as _texts  # noqa: F401  (registers the ledger's text keys)
from .bounds import MONEY_MAX, MONEY_MIN, PointsMaxValidator


class ClosingRule(models.TextChoices):
    """What happens to a company's points when it leaves the club (``privacy.closing``)."""

    FORFEIT = "forfeit", _("Points are forfeited")
    CREDIT = "credit", _("Points are paid out as a credit on the company's invoice")


# An earn rate and a point's value are above zero (the smallest the four decimals hold): at
# 0 every figure a member reads says "0 SEK" and nothing is earned, which no club means.
RATE_ABOVE_ZERO = MinValueValidator(
    Decimal("0.0001"),
    message=_("Enter a figure above zero (at least 0.0001)."),
)


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
        validators=[RATE_ABOVE_ZERO],
        help_text=_("Points for one unit of net purchase amount (e.g. 1 point per SEK), before multipliers."),
    )
    # A rate, not an amount: four decimals so a point can be worth e.g. 0.0125 SEK.
    point_value = models.DecimalField(
        _("value of one point"),
        max_digits=13,
        decimal_places=4,
        default=Decimal("0.05"),
        validators=[RATE_ABOVE_ZERO],
    )
    currency = CurrencyField(_("currency"), default="SEK")
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
    closing_rule = models.CharField(
        _("when a company leaves the club"),
        max_length=16,
        choices=ClosingRule.choices,
        default=ClosingRule.FORFEIT,
        help_text=_(
            "Closing a company takes its points away: forfeited, or paid out at the point value as a credit "
            "the ERP puts on the company's next invoice."
        ),
    )

    class Meta:
        verbose_name = _("programme rules")
        verbose_name_plural = _("programme rules")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="rewards_programmerules_singleton"),
            models.CheckConstraint(
                condition=Q(closing_rule__in=ClosingRule.values), name="rewards_programmerules_closing_rule_valid"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Programme rules"))

    def save(self, *args, **kwargs):
        if "_base" in self.__dict__:
            raise ValueError("A currency view of the programme rules cannot be saved.")
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> ProgrammeRules:
        rules, _created = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        return rules

    def _currency_terms(self) -> dict[str, ProgrammeCurrency]:
        """The programme's other currencies, read once per rules object."""
        terms = self.__dict__.get("_terms")
        if terms is None:
            terms = {term.currency: term for term in ProgrammeCurrency.objects.all()}
            self.__dict__["_terms"] = terms
        return terms

    def currencies(self) -> list[str]:
        """Every currency a purchase may arrive in: the base currency first."""
        return [self.currency, *sorted(code for code in self._currency_terms() if code != self.currency)]

    def in_currency(self, currency: str) -> ProgrammeRules | None:
        """The rules as they read in ``currency``: its earn rate and point value (both the
        club's decisions, ``ProgrammeCurrency``), the rest unchanged; ``self`` for the base
        currency, None for a currency the programme has no terms for. A view, never saved.
        Costs one query per rules object for the first currency other than the base."""
        if currency == self.currency or not currency:
            return self
        if "_base" in self.__dict__:  # a view: ask the base currency's rules
            return self.base.in_currency(currency)
        term = self._currency_terms().get(currency)
        if term is None:
            return None
        view = copy.copy(self)
        view.__dict__["_base"] = self
        view.currency = term.currency
        view.points_per_currency_unit = term.points_per_currency_unit
        view.point_value = term.point_value
        return view

    @property
    def base(self) -> ProgrammeRules:
        """The rules in the club's base currency (``self`` unless this is a currency view)."""
        return self.__dict__.get("_base", self)

    def for_company(self, company) -> ProgrammeRules:
        """The rules as ``company`` (a ``Company`` or its id: one query) reads them: in its
        currency, else the base currency."""
        if isinstance(company, Company):
            currency = company.purchase_currency
        else:
            row = Company.objects.filter(pk=company).values_list("currency", "country").first()
            currency = (row[0] or currency_for_country(row[1])) if row else self.currency
        return self.in_currency_or_base(currency)

    def in_currency_or_base(self, currency: str) -> ProgrammeRules:
        """For showing values: ``in_currency``, else the base currency's rules (a company
        whose currency has no terms yet reads its points' value in the base currency)."""
        return self.in_currency(currency) or self.base


class ProgrammeCurrency(models.Model):
    """A currency the programme runs in besides its base currency, with its own earn rate
    and point value: both decisions of the club, kept here rather than derived from an
    exchange rate, so a point never changes worth with the market (docs/architecture.md);
    and the reporting rate its revenue counts at where companies are added together."""

    currency = CurrencyField(_("currency"), unique=True, help_text=_("ISO 4217 code, e.g. EUR."))
    points_per_currency_unit = models.DecimalField(
        _("points per currency unit"),
        max_digits=9,
        decimal_places=4,
        validators=[RATE_ABOVE_ZERO],
        help_text=_("Points for one unit of net purchase amount in this currency, before multipliers."),
    )
    point_value = models.DecimalField(
        _("value of one point"),
        max_digits=13,
        decimal_places=4,
        validators=[RATE_ABOVE_ZERO],
        help_text=_("What one point is worth in this currency, as members read it."),
    )
    reporting_rate = models.DecimalField(
        _("reporting rate"),
        max_digits=13,
        decimal_places=6,
        # At most a million: wide enough for any pair of currencies, and a purchase at the
        # amount bound times it still fits the Insights summary's sums.
        validators=[MinValueValidator(Decimal("0.000001")), MaxValueValidator(Decimal("1000000"))],
        help_text=_(
            "What one unit of this currency counts as in the base currency in Insights' and campaign "
            "results' revenue figures: a planning rate the club sets and reviews. It never changes "
            "points or their value. Insights follows a change at its next summary refresh."
        ),
    )

    class Meta:
        verbose_name = _("programme currency")
        verbose_name_plural = _("programme currencies")
        ordering = ["currency"]
        constraints = [
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="rewards_programmecurrency_code"),
            models.CheckConstraint(
                condition=Q(points_per_currency_unit__gte=0, point_value__gte=0),
                name="rewards_programmecurrency_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(reporting_rate__gt=0, reporting_rate__lte=1_000_000),
                name="rewards_programmecurrency_reporting_rate",
            ),
        ]

    def __str__(self) -> str:
        return self.currency

    def clean(self) -> None:
        # Whether it is a currency at all: the field's check (``CurrencyField``).
        if self.currency and self.currency == ProgrammeRules.current().currency:
            raise ValidationError({"currency": _("This is the programme's base currency; set its rates in the rules.")})


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
    qualifying_points = models.PositiveIntegerField(
        _("qualifying points"), unique=True, validators=[PointsMaxValidator()]
    )
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

    # Indexed by "rewards_purchase_company_time" (company first), not by an index of its own.
    company = models.ForeignKey(
        "members.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="purchases",
        db_index=False,
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
        db_index=False,  # "rewards_purchase_credit_notes": only the credit notes are indexed
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-occurred_at"]
        indexes = [
            # Reads by period (Insights, campaign results): the key holds every column those
            # aggregates need, so PostgreSQL answers them from the index alone.
            models.Index(fields=["occurred_at", "company", "original", "net_amount"], name="rewards_purchase_period"),
            # A company's orders in time order (first and last order, its own rhythm).
            models.Index(fields=["company", "occurred_at"], name="rewards_purchase_company_time"),
            # A purchase's credit notes. Partial: the purchases (original empty, nearly every
            # row) cost an import no index write.
            models.Index(
                fields=["original"], condition=Q(original__isnull=False), name="rewards_purchase_credit_notes"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="rewards_purchase_unique_source_external_id"
            ),
            models.CheckConstraint(
                condition=(Q(original__isnull=True, net_amount__gte=0) | Q(original__isnull=False, net_amount__lte=0)),
                name="rewards_purchase_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(net_amount__gte=MONEY_MIN, net_amount__lte=MONEY_MAX),
                name="rewards_purchase_net_amount_in_bounds",
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
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=MONEY_MIN, amount__lte=MONEY_MAX), name="rewards_purchaseline_amount_in_bounds"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.amount}"


class PointsAccount(models.Model):
    """A company's points: spendable balance, pending and shortfall buckets, and its tier.

    Guarantees (CHECK constraints): every bucket ≥ 0. Each bucket equals the sum of its
    column over the account's entries (verified by ``manage.py check_ledger``). Rows are
    changed only by ``rewards.ledger.services``, which lock the row first.
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
    TRANSFER = "transfer", _("Transferred")
    CLOSE = "close", _("Account closed")


class LedgerEntryError(Exception):
    """An attempt to change or delete a ledger entry; entries are append-only."""


class LedgerEntryQuerySet(models.QuerySet):
    """Bulk ``update()``/``delete()`` would bypass ``LedgerEntry.save``/``delete``: refused too."""

    def update(self, **kwargs):
        raise LedgerEntryError("Ledger entries are append-only; write a correcting entry instead.")

    def delete(self):
        raise LedgerEntryError("Ledger entries are never deleted; write a correcting entry instead.")

    def memo_params_pseudonymise(self, memo_params: dict) -> int:
        """The one rewrite the ledger allows: a person's erasure (GDPR) replaces their name in
        the description's parameters. Points, kinds, dates and keys never change."""
        return super().update(memo_params=memo_params)


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
    * close: ``points = -balance`` when a company leaves the club (``points_account_close``,
      after releasing its pending points): forfeited or paid out as an ``InvoiceCredit``.
    * reversal (a return, with ``purchase`` → the credit note, or a staff reversal
      with ``reverses`` → the entry): takes points back from pending, or from the
      balance as far as it goes with the rest as ``shortfall_points``; or gives them
      back (reversing a redeem, expire or negative adjustment).

    ``points + pending_points - shortfall_points`` is the entry's net value to the company.
    Every entry with ``points > 0`` is an expiry lot and carries ``expires_at``.
    ``idempotency_key`` is unique: a retried call finds the first entry.
    """

    account = models.ForeignKey(
        PointsAccount,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="entries",
        # The (account, kind) and (account, expires_at) indexes start with the account.
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    points = models.IntegerField(_("points"), default=0)
    pending_points = models.IntegerField(_("pending points"), default=0)
    shortfall_points = models.IntegerField(_("shortfall points"), default=0)
    # Unique by a constraint in Meta rather than unique=True, which on PostgreSQL would add a
    # second (LIKE) index that no query uses and every insert pays for.
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    # What the entry says, as a message key and its parameters (``core.texts``; the keys are
    # in ``rewards.texts`` and the apps that cause entries), rendered in the reader's
    # language by ``memo``. A reason a person typed is a parameter, kept as typed.
    memo_key = models.CharField(_("description key"), max_length=64, blank=True, default="")
    memo_params = models.JSONField(_("description parameters"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # "rewards_entry_created_by": only entries a person made are indexed
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
    # The account's spendable balance right after this entry was written: set with the entry,
    # under the account lock, by ``rewards.ledger.services._write`` and the import's set-based
    # insert, so the points history reads it instead of summing every later entry.
    balance_after = models.IntegerField(
        _("balance after"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The account's spendable balance right after this entry was written."),
    )

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "kind"], name="rewards_entry_account_kind"),
            # The account's lots (entries adding spendable points) by expiry, with their points
            # (a key column, as SQLite has no INCLUDE): FIFO expiry reads Σ lots expiring after
            # a moment from the index alone.
            models.Index(
                fields=["account", "expires_at", "points"],
                condition=Q(points__gt=0),
                name="rewards_entry_account_lots",
            ),
            # The account's earns that wait for release, newest first: the pending points'
            # release dates are read from the newest until the account's pending is covered.
            models.Index(
                fields=["account", "-available_at", "-id"],
                condition=Q(kind="earn", available_at__isnull=False),
                name="rewards_entry_account_earns",
            ),
            # Partial: earns, releases and expiries (no person) cost an import no index write.
            models.Index(fields=["created_by"], condition=Q(created_by__isnull=False), name="rewards_entry_created_by"),
            # One account's entries newest first: the points history, its pages and its export.
            models.Index(fields=["account", "-created_at", "-id"], name="rewards_entry_account_time"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="rewards_ledgerentry_unique_idempotency_key"),
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
    def memo(self) -> str:
        """The entry's description in the active language (the reader's). Reads nothing."""
        return text_render(self.memo_key, self.memo_params)

    @property
    def memo_text(self) -> StoredText:
        return StoredText(self.memo_key, self.memo_params)

    @property
    def net_points(self) -> int:
        return self.points + self.pending_points - self.shortfall_points


class AccountMonth(models.Model):
    """An account's ledger summed per calendar month (local time), kept by the ledger's writes.

    ``qualifying_points``: the net points of earns and returns (and staff reversals) whose
    purchase was made in the month — the tier rule's 12 months read as whole months from
    here plus the two partial months at the window's ends from the entries.
    ``earned`` and ``spent``: the dashboard chart's net points earned and spent, by the
    month the entry was written (``points_by_month``).

    Written in the transaction of every entry, under the account's lock, by
    ``rewards.ledger.months`` (``_write`` and the set-based import); never by hand.
    ``manage.py check_ledger`` compares every row with the entries and
    ``manage.py rebuild_account_months`` rewrites them from the entries.
    """

    account = models.ForeignKey(
        PointsAccount,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="months",
        db_index=False,  # the unique (account, month) index starts with it
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    qualifying_points = models.IntegerField(_("qualifying points"), default=0)
    earned = models.IntegerField(_("earned"), default=0)
    spent = models.IntegerField(_("spent"), default=0)

    class Meta:
        verbose_name = _("account month")
        verbose_name_plural = _("account months")
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="rewards_accountmonth_once_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m}"


# --- Notices to members (rewards.ledger.services: expiry reminders, tier downgrade notices) ---------


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


# --- CSV import of purchases (rewards.purchases.imports) -------------------------------------------------


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
    # Moved by every committed transaction of a run (and when the import is re-queued): an
    # import "running" whose progress_at is old has lost its worker (rewards.purchases.imports
    # purchase_imports_resume_stale).
    progress_at = models.DateTimeField(_("last progress"), null=True, blank=True)

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


class PurchaseImportEarning(models.Model):
    """What an import's committed chunks earned for one company: the figures of its
    "points arrived" notice. Moved in each chunk's transaction, so a run resumed after a
    crash announces the whole import, not only the chunks it imported itself."""

    purchase_import = models.ForeignKey(
        PurchaseImport, verbose_name=_("import"), on_delete=models.CASCADE, related_name="earnings"
    )
    company = models.ForeignKey("members.Company", verbose_name=_("company"), on_delete=models.CASCADE)
    purchases = models.PositiveIntegerField(_("purchases that earned"), default=0)
    points = models.IntegerField(_("points"), default=0)

    class Meta:
        verbose_name = _("points earned by an import")
        verbose_name_plural = _("points earned by imports")
        constraints = [
            models.UniqueConstraint(fields=["purchase_import", "company"], name="rewards_importearning_once"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase_import_id}:{self.company_id} {self.points}"


class PurchaseImportPendingRow(models.Model):
    """A row of an import read and checked by a committed chunk but not yet recorded: it goes
    through the single-purchase services (``rewards.purchases.imports._drain_pending``) in short
    transactions of its own, so no chunk holds account locks for the time those take.

    Written in the chunk's transaction (which moves ``rows_done`` past it) and deleted in the
    transaction that records it and moves the counters, so a row is counted exactly once
    even when a worker dies in between: the resumed run drains what is left first.
    """

    purchase_import = models.ForeignKey(
        PurchaseImport, verbose_name=_("import"), on_delete=models.CASCADE, related_name="pending_rows"
    )
    line = models.PositiveIntegerField(_("line"))
    # Credit notes are recorded after the chunk's purchases (a credit note may precede its
    # purchase in the file).
    credit_note = models.BooleanField(_("credit note"), default=False)
    row = models.TextField(_("row"))

    class Meta:
        verbose_name = _("purchase import row waiting")
        verbose_name_plural = _("purchase import rows waiting")
        constraints = [
            models.UniqueConstraint(fields=["purchase_import", "line"], name="rewards_importpending_line_once"),
        ]
        indexes = [
            models.Index(fields=["purchase_import", "credit_note", "line"], name="rewards_importpending_order"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase_import_id}:{self.line}"


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


# --- The reward catalogue and redemptions (rewards.redemptions.services) --------------------------------
#
# A company spends its points on a ``Reward``; each order is a ``Redemption`` whose points
# are reserved (a redeem entry) when it is requested and given back (a reversal entry of
# that redeem entry) if it is rejected or cancelled. ``rewards.redemptions.services`` is the only
# place a stock count, a voucher code's assignment or a redemption's status changes; it
# locks the points account row first, then the reward row, then the redemption row. The
# constraints below are the last guard behind those locks.


class RewardKind(models.TextChoices):
    PHYSICAL = "physical", _("Product, delivered")
    VOUCHER = "voucher", _("Digital voucher")
    EXPERIENCE = "experience", _("Event or experience")
    DONATION = "donation", _("Donation to charity")
    INVOICE_CREDIT = "invoice_credit", _("Credit on your next invoice")


# The kinds whose value is money the company receives in the reward's currency (a gift card's
# code, a credit on the invoice): an open order of one cannot be approved or fulfilled once
# its company buys in another currency (``rewards.redemptions.services``).
MONEY_KINDS = (RewardKind.VOUCHER, RewardKind.INVOICE_CREDIT)
# The kinds whose value is a sum of money in the reward's currency: the money kinds, and a
# donation (the club gives that sum in the company's name: "250 SEK to Barncancerfonden").
# Offered only to companies that buy in that currency (``rewards.catalogue.selectors.
# offered_to_q``: a EUR company is never offered a SEK sum), and only in a currency the club
# runs in (``Reward.clean_fields``). Any other kind's value (a product, an event) is a price tag.
CURRENCY_BOUND_KINDS = (*MONEY_KINDS, RewardKind.DONATION)


class LimitPeriod(models.TextChoices):
    MONTH = "month", _("per calendar month")
    QUARTER = "quarter", _("per calendar quarter")
    YEAR = "year", _("per calendar year")
    EVER = "ever", _("in total")


class RewardCategory(models.Model):
    """A shelf of the catalogue (gift cards, tools, experiences...), for filtering."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("reward category")
        verbose_name_plural = _("reward categories")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class RewardQuerySet(models.QuerySet):
    def published(self):
        """Rewards members may see: active ones (availability windows are shown, not hidden)."""
        return self.filter(is_active=True)


class Reward(models.Model):
    """Something a company can redeem its points for.

    ``stock`` is the number left for physical rewards, events and donations; empty means
    unlimited. A voucher reward has no ``stock`` (CHECK): what is left is its pool of
    unassigned ``VoucherCode`` rows. ``company_limit`` caps how many one company may
    redeem per ``limit_period``. ``tier_required`` is the lowest tier that may redeem it.
    The reward can be redeemed from ``available_from`` until ``available_until``.
    """

    sku = models.CharField(
        _("article number"),
        max_length=40,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", _("Letters, digits, '.', '_' and '-'."))],
        help_text=_("The warehouse's article number; it appears in the fulfilment export."),
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True, help_text=_("One line for the catalogue."))
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        RewardCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rewards",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=RewardKind.choices, default=RewardKind.PHYSICAL)
    points_cost = models.IntegerField(
        _("points"), validators=[MinValueValidator(1), PointsMaxValidator()], help_text=_("Points for one.")
    )
    value = models.DecimalField(
        _("value"),
        max_digits=13,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("What one is worth in money (retail price, or the amount donated)."),
    )
    currency = CurrencyField(_("currency"), default="SEK")
    stock = models.IntegerField(
        _("stock"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("How many are left. Empty: unlimited. Voucher rewards take their stock from the code pool."),
    )
    low_stock_threshold = models.PositiveIntegerField(
        _("low-stock warning at"), default=5, help_text=_("Staff are warned when this many or fewer are left.")
    )
    max_per_order = models.PositiveSmallIntegerField(
        _("most per order"), default=10, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    company_limit = models.PositiveIntegerField(
        _("limit per company"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("How many one company may redeem in the period below. Empty: no limit."),
    )
    limit_period = models.CharField(
        _("limit period"), max_length=16, choices=LimitPeriod.choices, default=LimitPeriod.YEAR
    )
    tier_required = models.ForeignKey(
        Tier,
        verbose_name=_("tier required"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Only companies in this tier or a higher one may redeem it."),
    )
    available_from = models.DateTimeField(_("available from"), null=True, blank=True)
    available_until = models.DateTimeField(_("available until"), null=True, blank=True)
    featured = models.BooleanField(_("featured"), default=False, help_text=_("Shown first in the catalogue."))
    is_active = models.BooleanField(
        _("in the catalogue"), default=True, help_text=_("Untick to take it out of the catalogue.")
    )
    charity_name = models.CharField(
        _("charity"), max_length=200, blank=True, help_text=_("For donations: who receives the money.")
    )
    event_starts_at = models.DateTimeField(_("event starts"), null=True, blank=True)
    event_location = models.CharField(_("event location"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = RewardQuerySet.as_manager()

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["points_cost", "title"]
        indexes = [models.Index(fields=["is_active", "points_cost"], name="rewards_reward_active_cost")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=RewardKind.values), name="rewards_reward_kind_valid"),
            models.CheckConstraint(condition=Q(points_cost__gte=1), name="rewards_reward_points_cost_gte_1"),
            models.CheckConstraint(condition=Q(value__gte=0), name="rewards_reward_value_gte_0"),
            # Never oversold: the last guard behind the reward row lock.
            models.CheckConstraint(condition=Q(stock__gte=0), name="rewards_reward_stock_gte_0"),
            models.CheckConstraint(
                condition=~Q(kind=RewardKind.VOUCHER) | Q(stock__isnull=True),
                name="rewards_reward_voucher_stock_is_pool",
            ),
            models.CheckConstraint(
                condition=Q(limit_period__in=LimitPeriod.values), name="rewards_reward_limit_period_valid"
            ),
            models.CheckConstraint(
                condition=Q(available_from__isnull=True)
                | Q(available_until__isnull=True)
                | Q(available_until__gt=F("available_from")),
                name="rewards_reward_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("rewards:reward", args=[self.pk])

    def clean(self) -> None:
        """The rules between fields that the database does not hold, as form errors on the
        field to correct:

        * a voucher has no stock (its code pool is the stock; a CHECK too);
        * a donation names its charity;
        * the availability window ends after it starts (a CHECK too);
        * **the currency** — checked in ``clean_fields``, beside this: every reward's is an
          ISO 4217 code, and a money reward's (``CURRENCY_BOUND_KINDS``: a voucher, an
          invoice credit, a donation) is one the club runs in (``ProgrammeRules.currencies()``:
          the base currency and the programme currencies), since a company buys, earns and is
          invoiced in one of those, and such a reward is offered only to companies that buy
          in its currency (``rewards.catalogue.selectors.offered_to_q``). A 200 NOK gift card
          in a club that invoices in SEK and EUR would be offered to nobody, and a SEK credit
          put on a EUR invoice is money the ERP cannot give. A product's or an event's value
          is a price tag, in any currency.
        """
        errors = {}
        if self.kind == RewardKind.VOUCHER and self.stock is not None:
            errors["stock"] = _("Voucher rewards take their stock from the code pool; leave this empty.")
        if self.kind == RewardKind.DONATION and not self.charity_name.strip():
            errors["charity_name"] = _("Name the charity that receives the donation.")
        if self.available_from and self.available_until and self.available_until <= self.available_from:
            errors["available_until"] = _("The end of the availability window must be after its start.")
        if errors:
            raise ValidationError(errors)

    def clean_fields(self, exclude=None) -> None:
        """The field checks, then the currency rule documented on ``clean``. It lives here
        rather than in ``clean`` because only this method knows which fields the form edits:
        the admin's list (``list_editable``: in the catalogue, featured) has no currency
        field, and Django turns an error on a field a form does not have into a crash, not
        a message; such a form leaves the rule alone."""
        errors: dict = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        checked = "currency" not in errors and "currency" not in (exclude or ())
        if checked and (problem := self._currency_problem()):
            errors["currency"] = [problem]
        if errors:
            raise ValidationError(errors)

    def _currency_problem(self) -> str | None:
        """Why the currency does not fit the kind (``clean``), or None."""
        if not currency_is_known(self.currency):
            return _("%(code)s is not a currency code (ISO 4217).") % {"code": self.currency}
        if self.kind not in CURRENCY_BOUND_KINDS:
            return None
        currencies = ProgrammeRules.current().currencies()
        if self.currency in currencies:
            return None
        if self.kind == RewardKind.DONATION:
            return _(
                "The club does not invoice in %(currency)s; it runs in %(currencies)s. A donation is a sum in its "
                "own currency, offered only to companies that buy in it: choose one of those, or add %(currency)s "
                "under programme currencies first."
            ) % {"currency": self.currency, "currencies": ", ".join(currencies)}
        return _(
            "The club does not invoice in %(currency)s; it runs in %(currencies)s. A voucher or an invoice credit "
            "is money in its own currency, offered only to companies that buy in it: choose one of those, or add "
            "%(currency)s under programme currencies first."
        ) % {"currency": self.currency, "currencies": ", ".join(currencies)}

    @property
    def uses_code_pool(self) -> bool:
        return self.kind == RewardKind.VOUCHER

    @property
    def needs_delivery_address(self) -> bool:
        return self.kind == RewardKind.PHYSICAL

    @property
    def is_invoice_credit(self) -> bool:
        return self.kind == RewardKind.INVOICE_CREDIT

    @property
    def has_unlimited_stock(self) -> bool:
        return self.stock is None and not self.uses_code_pool

    def is_open_at(self, moment) -> bool:
        """Whether ``moment`` falls inside the availability window (ignores ``is_active``)."""
        return (self.available_from is None or self.available_from <= moment) and (
            self.available_until is None or moment < self.available_until
        )


@cleanup.select
class RewardImage(models.Model):
    """A picture of a reward, stored as validated, re-encoded copies (``rewards.catalogue.images``).

    ``image`` is the display copy (at most 1600 px on its long side, metadata stripped);
    ``thumbnail`` the 4:3 catalogue card. Both are made once, when the picture is
    uploaded, never when a page is shown. The first by ``position`` is the main picture.
    Deleting the row (or its reward) deletes both files once the transaction commits
    (django-cleanup).
    """

    reward = models.ForeignKey(Reward, verbose_name=_("reward"), on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("image"), upload_to="rewards/images/%Y/%m/", width_field="width", height_field="height")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="rewards/thumbnails/%Y/%m/")
    width = models.PositiveIntegerField(_("width"), default=0, editable=False)
    height = models.PositiveIntegerField(_("height"), default=0, editable=False)
    alt_text = models.CharField(
        _("description for screen readers"),
        max_length=200,
        blank=True,
        help_text=_("What the picture shows. Empty: the reward's title."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("reward image")
        verbose_name_plural = _("reward images")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.alt_text or self.reward.title

    @property
    def description(self) -> str:
        return self.alt_text or self.reward.title


class CompanyRewardSettings(models.Model):
    """A company's own rules for spending its points, and the reward it is saving for.

    ``approval_threshold``: a purchaser's redemption costing more points than this waits
    for a company admin's approval; empty means purchasers never need approval. Admins'
    own redemptions never do. ``goal_reward`` is the company's goal on the dashboard.
    """

    company = models.OneToOneField(
        "members.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="reward_settings"
    )
    approval_threshold = models.PositiveIntegerField(
        _("approval needed above (points)"),
        null=True,
        blank=True,
        help_text=_("Purchasers' orders costing more points than this need a company admin's approval."),
    )
    goal_reward = models.ForeignKey(
        Reward, verbose_name=_("goal"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    goal_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("goal set by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    goal_set_at = models.DateTimeField(_("goal set"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("company reward settings")
        verbose_name_plural = _("company reward settings")

    def __str__(self) -> str:
        return str(self.company)


class RedemptionStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    FULFILLED = "fulfilled", _("Fulfilled")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


# Ready for the club to fulfil: requested without needing approval, or approved.
TO_FULFIL = (RedemptionStatus.REQUESTED, RedemptionStatus.APPROVED)
# Not final: can still be rejected or cancelled (and its points returned).
OPEN_STATUSES = (RedemptionStatus.REQUESTED, RedemptionStatus.AWAITING_APPROVAL, RedemptionStatus.APPROVED)
# Final with the points given back.
RETURNED_STATUSES = (RedemptionStatus.REJECTED, RedemptionStatus.CANCELLED)


class Redemption(models.Model):
    """One order of a reward by a company: quantity, the points reserved, and its state.

    State machine (``rewards.redemptions.services``)::

        requested ──────────────────────────┐
            │ (a purchaser above the company's approval threshold)
            ▼                               ▼
        awaiting approval ──► approved ──► fulfilled
            │                   │
            └──────┬────────────┴── requested too ──► rejected / cancelled

    The points are reserved when the redemption is requested (``redeem_entry``) and given
    back exactly once when it is rejected or cancelled (``return_entry``, a reversal of
    the redeem entry): both links are UNIQUE, and a CHECK says a redemption has a return
    entry exactly when it is rejected or cancelled. ``request_key`` (UNIQUE) makes a
    double-submitted order one order. The reward's title, kind and price are copied at
    request time, so the history reads right after the catalogue changes.
    """

    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="redemptions"
    )
    reward = models.ForeignKey(Reward, verbose_name=_("reward"), on_delete=models.PROTECT, related_name="redemptions")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=20, choices=RedemptionStatus.choices)
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    points_each = models.IntegerField(_("points each"))
    points_total = models.IntegerField(_("points"))
    reward_title = models.CharField(_("reward"), max_length=200)
    reward_kind = models.CharField(_("kind"), max_length=16, choices=RewardKind.choices)
    value_each = models.DecimalField(_("value each"), max_digits=13, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    note = models.CharField(_("note to the club"), max_length=500, blank=True)
    delivery_name = models.CharField(_("recipient"), max_length=200, blank=True)
    delivery_street = models.CharField(_("street address"), max_length=200, blank=True)
    delivery_postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    delivery_city = models.CharField(_("city"), max_length=100, blank=True)
    delivery_country = models.CharField(_("country"), max_length=2, blank=True)
    delivery_phone = models.CharField(_("phone"), max_length=40, blank=True)
    request_key = models.CharField(_("request key"), max_length=100, unique=True, editable=False)
    redeem_entry = models.OneToOneField(
        LedgerEntry, verbose_name=_("points reserved"), on_delete=models.PROTECT, related_name="redemption"
    )
    return_entry = models.OneToOneField(
        LedgerEntry,
        verbose_name=_("points returned"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="returned_redemption",
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or rejected by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("approved or rejected"), null=True, blank=True)
    decision_comment = models.CharField(_("comment"), max_length=500, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled"), null=True, blank=True)
    tracking_reference = models.CharField(_("tracking reference"), max_length=200, blank=True)
    fulfilment_note = models.CharField(_("delivery note"), max_length=1000, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-requested_at", "-pk"]
        permissions = [("fulfil_redemption", _("Can fulfil, reject and export redemptions"))]
        indexes = [
            models.Index(fields=["company", "-requested_at"], name="rewards_redemption_company"),
            models.Index(fields=["status", "requested_at"], name="rewards_redemption_status"),
            models.Index(fields=["reward", "company", "requested_at"], name="rewards_redemption_limit"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RedemptionStatus.values), name="rewards_redemption_status_valid"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="rewards_redemption_quantity_gte_1"),
            models.CheckConstraint(condition=Q(points_each__gte=1), name="rewards_redemption_points_each_gte_1"),
            models.CheckConstraint(
                condition=Q(points_total=F("points_each") * F("quantity")), name="rewards_redemption_total_adds_up"
            ),
            # Points come back exactly when the redemption is rejected or cancelled.
            models.CheckConstraint(
                condition=Q(status__in=RETURNED_STATUSES, return_entry__isnull=False)
                | (~Q(status__in=RETURNED_STATUSES) & Q(return_entry__isnull=True)),
                name="rewards_redemption_returned_iff_closed",
            ),
            models.CheckConstraint(
                condition=~Q(status=RedemptionStatus.FULFILLED) | Q(fulfilled_at__isnull=False),
                name="rewards_redemption_fulfilled_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.reward_title}"

    def get_absolute_url(self) -> str:
        return reverse("rewards:order", args=[self.pk])

    @property
    def reward_name(self) -> str:
        """The reward's name in the reader's language: the catalogue's translation while the
        reward still bears the name it was ordered under (in any language), else the name
        copied at request time (``reward_title``), so a renamed reward's history reads as
        ordered. Reads ``reward``: select it with the redemption."""
        reward = self.reward
        ordered_under = {
            getattr(reward, build_localized_fieldname("title", code)) for code, _name in settings.LANGUAGES
        }
        return reward.title if self.reward_title in ordered_under else self.reward_title

    @property
    def number(self) -> str:
        """The order number people quote: R-01042."""
        return f"R-{self.pk:05d}" if self.pk else ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_to_fulfil(self) -> bool:
        return self.status in TO_FULFIL

    @property
    def delivery_lines(self) -> list[str]:
        lines = [
            self.delivery_name,
            self.delivery_street,
            f"{self.delivery_postal_code} {self.delivery_city}".strip(),
            self.get_delivery_country_display() if self.delivery_country else "",
            self.delivery_phone,
        ]
        return [line for line in lines if line]

    def get_delivery_country_display(self) -> str:
        try:
            return str(Country(self.delivery_country).label)
        except ValueError:
            return self.delivery_country


class RedemptionEvent(models.Model):
    """One step in a redemption's life: the status it entered, who moved it, and why.

    Written by ``rewards.redemptions.services`` in the same transaction as the change; the order
    page shows them as a timeline. ``actor_label`` names a non-person actor (the API
    client that marked it fulfilled).
    """

    redemption = models.ForeignKey(
        Redemption, verbose_name=_("redemption"), on_delete=models.CASCADE, related_name="events"
    )
    status = models.CharField(_("status"), max_length=20, choices=RedemptionStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    actor_label = models.CharField(_("by (system)"), max_length=100, blank=True)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("redemption event")
        verbose_name_plural = _("redemption events")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RedemptionStatus.values), name="rewards_redemptionevent_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.redemption_id}: {self.status}"


class VoucherCode(models.Model):
    """One code of a voucher reward's pool.

    Unassigned codes (``redemption`` empty) are the reward's stock. A redemption takes its
    codes when it is requested (under the reward row lock, skipping codes another
    transaction holds) and the company sees them once it is fulfilled; a rejected or
    cancelled redemption puts its never-shown codes back. A code row has one redemption
    link, so it is never handed to two; (reward, code) is UNIQUE, so the same code cannot
    sit in a pool twice.
    """

    reward = models.ForeignKey(Reward, verbose_name=_("reward"), on_delete=models.PROTECT, related_name="codes")
    code = models.CharField(_("code"), max_length=100)
    redemption = models.ForeignKey(
        Redemption,
        verbose_name=_("redemption"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="voucher_codes",
    )
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("voucher code")
        verbose_name_plural = _("voucher codes")
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["reward", "id"], condition=Q(redemption__isnull=True), name="rewards_vouchercode_free")
        ]
        constraints = [
            models.UniqueConstraint(fields=["reward", "code"], name="rewards_vouchercode_unique_per_reward"),
            models.CheckConstraint(
                condition=Q(redemption__isnull=True, assigned_at__isnull=True)
                | Q(redemption__isnull=False, assigned_at__isnull=False),
                name="rewards_vouchercode_assigned_with_date",
            ),
            models.CheckConstraint(condition=~Q(code=""), name="rewards_vouchercode_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.reward_id}: {self.code[:4]}…"


class InvoiceCreditStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the next invoice")
    APPLIED = "applied", _("Credited on an invoice")


class InvoiceCreditSource(models.TextChoices):
    REDEMPTION = "redemption", _("Reward order")
    CLOSING = "closing", _("Points paid out when the company left the club")


class InvoiceCredit(models.Model):
    """Money the ERP owes a company as a credit on its next invoice, bought with points.

    Made in the transaction that spends the points: a fulfilled order of an invoice-credit
    reward (``redemption``; its redeem entry spent the points) or the payout of a closing
    company's points (``closing_entry``; ``privacy.closing``). The ERP lists the open ones
    and marks each applied once (``rewards.redemptions.credits``); the amount never
    changes. Exactly one source link is set, and an applied credit has its date.
    """

    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="invoice_credits"
    )
    source = models.CharField(_("source"), max_length=16, choices=InvoiceCreditSource.choices)
    redemption = models.OneToOneField(
        Redemption,
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_credit",
    )
    closing_entry = models.OneToOneField(
        LedgerEntry,
        verbose_name=_("closing entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_credit",
    )
    points = models.IntegerField(_("points"))
    amount = models.DecimalField(_("amount"), max_digits=13, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=16, choices=InvoiceCreditStatus.choices, default=InvoiceCreditStatus.OPEN
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    invoice_reference = models.CharField(_("invoice"), max_length=100, blank=True)
    applied_by = models.CharField(_("applied by"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("invoice credit")
        verbose_name_plural = _("invoice credits")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "id"], name="rewards_invoicecredit_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InvoiceCreditStatus.values), name="rewards_invoicecredit_status_valid"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="rewards_invoicecredit_amount_gte_0"),
            models.CheckConstraint(condition=Q(points__gte=1), name="rewards_invoicecredit_points_gte_1"),
            models.CheckConstraint(
                condition=Q(source=InvoiceCreditSource.REDEMPTION, redemption__isnull=False, closing_entry__isnull=True)
                | Q(source=InvoiceCreditSource.CLOSING, redemption__isnull=True, closing_entry__isnull=False),
                name="rewards_invoicecredit_one_source",
            ),
            models.CheckConstraint(
                condition=~Q(status=InvoiceCreditStatus.APPLIED) | Q(applied_at__isnull=False),
                name="rewards_invoicecredit_applied_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"IC-{self.pk:05d}" if self.pk else ""
