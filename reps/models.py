"""The sales rep workspace: private staff notes about accounts, and goodwill points.

Goodwill: club admins give each rep a monthly budget of points (``GoodwillBudget``, one
row per rep and calendar month, carried over from the month before until changed); a rep
gives points from it to their own accounts, each gift a ``GoodwillAward`` linked to the
ledger entry (an adjustment by the rep) that moved the points. ``awarded`` never exceeds
``points`` (CHECK); ``reps.services.goodwill_award`` locks the budget row, then the
account row, so concurrent gifts cannot overspend.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rewards.bounds import PointsMaxValidator


class StaffNote(models.Model):
    """A private note about a company by a member of staff. Members never see notes."""

    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="staff_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        verbose_name = _("staff note")
        verbose_name_plural = _("staff notes")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="reps_staffnote_body_not_empty")]
        indexes = [models.Index(fields=["company", "-created_at"], name="reps_note_company_recent")]

    def __str__(self) -> str:
        return self.body[:60]


class GoodwillBudget(models.Model):
    """How many goodwill points one rep may give their accounts in one calendar month.

    ``month`` is the first day of the month. ``awarded`` is what the rep has given so far
    that month; it only grows, under a lock on this row, and never above ``points``.
    """

    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales rep"),
        on_delete=models.CASCADE,
        related_name="goodwill_budgets",
        limit_choices_to={"is_staff": True, "groups__name": "Sales reps"},
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    points = models.PositiveIntegerField(_("budget (points)"), validators=[PointsMaxValidator()])
    awarded = models.PositiveIntegerField(_("given so far (points)"), default=0)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("goodwill budget")
        verbose_name_plural = _("goodwill budgets")
        ordering = ["-month", "rep__email"]
        constraints = [
            models.UniqueConstraint(fields=["rep", "month"], name="reps_goodwillbudget_one_per_rep_and_month"),
            models.CheckConstraint(condition=Q(awarded__lte=F("points")), name="reps_goodwillbudget_within_budget"),
        ]

    def __str__(self) -> str:
        return f"{self.rep} {self.month:%Y-%m}: {self.awarded}/{self.points}"

    def save(self, *args, **kwargs):
        self.month = self.month.replace(day=1)
        super().save(*args, **kwargs)

    @property
    def left(self) -> int:
        return max(0, self.points - self.awarded)


class GoodwillAward(models.Model):
    """Points a rep gave one of their accounts, with the reason, from one month's budget.

    ``entry`` is the ledger adjustment by the rep that moved the points; ``key`` (from the
    rep's form) makes a resubmitted form the same award.
    """

    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sales rep"), on_delete=models.PROTECT, related_name="+"
    )
    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="goodwill_awards"
    )
    budget = models.ForeignKey(
        GoodwillBudget, verbose_name=_("budget"), on_delete=models.PROTECT, related_name="awards"
    )
    points = models.PositiveIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=300)
    entry = models.OneToOneField(
        "rewards.LedgerEntry", verbose_name=_("ledger entry"), on_delete=models.PROTECT, related_name="goodwill_award"
    )
    key = models.CharField(_("key"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("given"), default=timezone.now)

    class Meta:
        verbose_name = _("goodwill award")
        verbose_name_plural = _("goodwill awards")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(points__gt=0), name="reps_goodwillaward_points_positive")]

    def __str__(self) -> str:
        return f"{self.points} → {self.company}"


class AccountActivity(models.Model):
    """What "My accounts" shows and sorts by about a company's purchases, kept beside the
    company so the list sorts and filters on columns instead of aggregating millions of
    purchases on every page view (``reps.activity``: recomputed from the purchases, never
    written by hand).

    ``last_purchase_at`` is the latest purchase (credit notes left out); ``purchases_recent``
    and ``purchases_before`` the net amounts (credit notes subtract) in the 90 days up to
    ``computed_at`` and the 90 before, in the club's base currency (a purchase in another
    currency at that currency's reporting rate, rounded to cents per purchase:
    ``rewards.purchases.selectors``), so accounts in different currencies compare;
    ``trend`` the percent change between them, null when there was nothing before.
    """

    company = models.OneToOneField(
        "members.Company",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="activity",
    )
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True)
    purchases_recent = models.DecimalField(
        _("purchases, last 90 days (base currency)"), max_digits=20, decimal_places=2, default=0
    )
    purchases_before = models.DecimalField(
        _("purchases, 90 days before (base currency)"), max_digits=20, decimal_places=2, default=0
    )
    trend = models.DecimalField(_("trend (per cent)"), max_digits=20, decimal_places=2, null=True, blank=True)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("account activity")
        verbose_name_plural = _("account activity")

    def __str__(self) -> str:
        return f"{self.company_id}: {self.purchases_recent} / {self.purchases_before}"


class AccountActivityRun(models.Model):
    """One recomputation of ``AccountActivity``: when it started, the newest purchase id it
    saw, how many companies it recomputed (``full``: all of them) and the base currency and
    reporting rates its amounts are in (``rewards.purchases.selectors.reporting_fingerprint``).
    The next catch-up reads the purchases after a run that started long enough ago, or
    recomputes every company when the newest run's rates are not today's (``reps.activity``);
    a run without rates predates amounts in the base currency and counts as none."""

    started_at = models.DateTimeField(_("started"))
    upto_purchase_id = models.BigIntegerField(_("newest purchase seen"))
    companies = models.PositiveIntegerField(_("companies recomputed"), default=0)
    full = models.BooleanField(_("all companies"), default=False)
    reporting_rates = models.JSONField(
        _("reporting rates"),
        default=dict,
        blank=True,
        help_text=_("The base currency and the rates the amounts were computed at; a change recomputes every company."),
    )

    class Meta:
        verbose_name = _("account activity run")
        verbose_name_plural = _("account activity runs")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["-started_at"], name="reps_activityrun_recent")]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ≤ {self.upto_purchase_id}"
