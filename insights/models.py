"""Insights' own rows, written only by ``insights.snapshots`` (the beat tasks and the
``insights_rebuild`` command), so every page answers from them at any size:

* ``CompanyDay``: per company and local day, its orders, revenue and points (earned,
  redeemed, expired, and the net of every entry). Incremental: a refresh recomputes exactly the (company, day) pairs
  touched by purchases and ledger entries written since the last refresh (a late purchase
  updates its day); idempotent (a second run writes the same rows).
* ``CompanyMonth``: the same summed per company and calendar month, rewritten with its
  days, so a period of whole months (the month, quarter and year pickers) reads one row per
  company and month instead of one per day.
* ``SegmentSnapshot`` + ``SnapshotDay``: every company's standing (first and last order,
  orders and revenue to date, in the last 365 days and in the two behaviour windows, and
  its segment) as of the start of a day, from ``CompanyDay``; ``SnapshotDay`` says the day
  is complete and when it was taken; ``ExpiringPoints``, each company's points about to
  expire unused as of that moment.
* ``CompanyFirstOrder``: per company that has ordered, its first order ever and whether it
  ordered again within ``REPURCHASE_DAYS`` of it, from ``CompanyDay``; rewritten with the
  company's days, so the overview counts first-time buyers and companies that never bought
  from one row per company instead of every company's months.
* ``SummaryState``: one row, the refresh's watermarks (the last purchase and ledger entry
  ids it has read)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

# A first-time buyer "came back" when it placed another order within this many days of its
# first (the overview's repurchase figure; ``CompanyFirstOrder.came_back``).
REPURCHASE_DAYS = 90


class SegmentSnapshot(models.Model):
    day = models.DateField(_("day"))
    company = models.ForeignKey(
        "members.Company",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="+",
        related_query_name="insights_standing",  # for the at-risk list's join (``insights.behaviour``)
    )
    segment = models.CharField(_("segment"), max_length=16)
    orders_365 = models.PositiveIntegerField(_("orders in the last 365 days"), default=0)
    revenue_365 = models.DecimalField(
        _("net revenue in the last 365 days"), max_digits=15, decimal_places=2, default=Decimal("0")
    )
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    orders_total = models.PositiveIntegerField(_("orders to date"), default=0)
    revenue_total = models.DecimalField(_("net revenue to date"), max_digits=17, decimal_places=2, default=Decimal("0"))
    revenue_recent = models.DecimalField(
        _("net revenue in the last 180 days"), max_digits=17, decimal_places=2, default=Decimal("0")
    )
    revenue_before = models.DecimalField(
        _("net revenue in the 180 days before"), max_digits=17, decimal_places=2, default=Decimal("0")
    )
    # Worked out from the fields above as of the snapshot's moment when it is taken
    # (``SnapshotDay.facts_stored``), so the value, at-risk and segment pages can sort, count
    # and page in SQL instead of recomputing 10 000 companies in Python on every view.
    tenure_days = models.PositiveIntegerField(_("tenure in days"), default=0)
    yearly_value = models.DecimalField(_("yearly value"), max_digits=17, decimal_places=2, default=Decimal("0"))
    prediction_base = models.DecimalField(
        _("base of the 12-month prediction"), max_digits=17, decimal_places=2, default=Decimal("0")
    )
    usual_gap_days = models.PositiveIntegerField(_("usual days between orders"), null=True, blank=True)
    overdue_days = models.PositiveIntegerField(
        _("days since the last order, when later than usual"), null=True, blank=True
    )
    declining = models.BooleanField(_("spend declining"), default=False)
    slipping = models.BooleanField(_("slipping away"), default=False)

    class Meta:
        verbose_name = _("segment snapshot")
        verbose_name_plural = _("segment snapshots")
        constraints = [models.UniqueConstraint(fields=["day", "company"], name="insights_snapshot_one_per_day")]
        indexes = [models.Index(fields=["day", "segment"], name="insights_snapshot_day_segment")]
        permissions = [("view_insights", _("Can open Insights (reps: their own accounts)"))]

    def __str__(self) -> str:
        return f"{self.day} {self.company_id} {self.segment}"


class SnapshotDay(models.Model):
    """A day whose ``SegmentSnapshot`` rows are complete, taken as of ``taken_at`` (the
    start of the day, local time)."""

    day = models.DateField(_("day"), unique=True)
    taken_at = models.DateTimeField(_("as of"))
    companies = models.PositiveIntegerField(_("companies"), default=0)
    written_at = models.DateTimeField(_("written"))
    expiring_counted = models.BooleanField(
        _("expiring points counted"),
        default=False,
        help_text=_("Whether the day's ExpiringPoints rows were written (only for the day the snapshot ran)."),
    )
    facts_stored = models.BooleanField(
        _("worked-out figures stored"),
        default=False,
        help_text=_(
            "Whether the day's rows hold the tenure, the values and the at-risk and slipping facts "
            "(snapshots taken before these were added do not)."
        ),
    )

    class Meta:
        verbose_name = _("segment snapshot day")
        verbose_name_plural = _("segment snapshot days")

    def __str__(self) -> str:
        return str(self.day)


class ExpiringPoints(models.Model):
    """A company's points that expire unused in the ``EXPIRING_WITHIN_DAYS`` after a standings
    snapshot's moment (first in, first out, as the nightly expiry does it), and the last day
    they expire on: the at-risk list's "points expiring" as of that moment, written with the
    standings of the day the snapshot runs."""

    day = models.DateField(_("day"))
    company = models.ForeignKey(
        "members.Company",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="+",
        related_query_name="insights_expiring",  # for the at-risk list's join (``insights.behaviour``)
    )
    points = models.BigIntegerField(_("points"))
    last_day = models.DateField(_("expire by"))

    class Meta:
        verbose_name = _("points expiring")
        verbose_name_plural = _("points expiring")
        constraints = [models.UniqueConstraint(fields=["day", "company"], name="insights_expiring_one_per_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.company_id} {self.points}"


class CompanySums(models.Model):
    """What ``CompanyDay`` and ``CompanyMonth`` sum for a company over their day or month."""

    purchases = models.PositiveIntegerField(_("purchases and credit notes"), default=0)
    orders = models.PositiveIntegerField(_("orders"), default=0)
    order_value = models.DecimalField(_("order value"), max_digits=17, decimal_places=2, default=Decimal("0"))
    net_revenue = models.DecimalField(_("net revenue"), max_digits=17, decimal_places=2, default=Decimal("0"))
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    points_earned = models.BigIntegerField(_("points earned"), default=0)
    points_redeemed = models.BigIntegerField(_("points redeemed"), default=0)
    points_expired = models.BigIntegerField(_("points expired"), default=0)
    points_net = models.BigIntegerField(
        _("net points"), default=0, help_text=_("Every entry's points, pending points less shortfall, summed.")
    )

    class Meta:
        abstract = True


# The summed columns, held in the covering indexes of the day and month rows.
SUMMED = [
    "purchases",
    "orders",
    "order_value",
    "net_revenue",
    "points_earned",
    "points_redeemed",
    "points_expired",
    "points_net",
]


class CompanyDay(CompanySums):
    """One company's purchases and points on one local day (see the module docstring)."""

    # No index of its own: the (company, day) key serves the company's lookups.
    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("company day")
        verbose_name_plural = _("company days")
        constraints = [models.UniqueConstraint(fields=["company", "day"], name="insights_companyday_one_per_day")]
        # Covering, like the months': a custom period's days around its whole months (half a
        # million rows for 100 days against the year before) are read from the index alone.
        indexes = [models.Index(fields=["day", "company"], name="insights_companyday_day_sums", include=SUMMED)]

    def __str__(self) -> str:
        return f"{self.day} {self.company_id}"


class CompanyMonth(CompanySums):
    """One company's ``CompanyDay`` rows of one calendar month, summed (``month`` is its first
    day); written with them (see the module docstring)."""

    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("company month")
        verbose_name_plural = _("company months")
        constraints = [models.UniqueConstraint(fields=["company", "month"], name="insights_companymonth_one_per_month")]
        # Covering: the overview's sums over a period's months read the index alone
        # (index-only scans), not company-months scattered over the table's pages.
        indexes = [models.Index(fields=["month", "company"], name="insights_companymonth_month", include=SUMMED)]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.company_id}"


class CompanyFirstOrder(models.Model):
    """A company's first order ever and whether another order followed within
    ``REPURCHASE_DAYS`` (see the module docstring); only companies that have ordered have one."""

    company = models.OneToOneField(
        "members.Company",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        related_query_name="insights_first_order",
    )
    first_order_at = models.DateTimeField(_("first order"))
    came_back = models.BooleanField(
        _("ordered again within 90 days"),
        help_text=_("Whether another order followed the first within 90 days."),
    )

    class Meta:
        verbose_name = _("company's first order")
        verbose_name_plural = _("companies' first orders")

    def __str__(self) -> str:
        return f"{self.company_id} {self.first_order_at:%Y-%m-%d}"


class SummaryState(models.Model):
    """The single row of the ``CompanyDay`` (and ``CompanyMonth``) refresh: the highest purchase and ledger entry
    ids it has read (``None`` until the first rebuild: the pages then read live), and the
    reporting rates its revenue is in (``rewards.purchases.selectors.reporting_fingerprint``)."""

    purchase_pk = models.BigIntegerField(_("last purchase read"), default=0)
    entry_pk = models.BigIntegerField(_("last ledger entry read"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed"))
    rebuilt_at = models.DateTimeField(_("rebuilt"))
    reporting_rates = models.JSONField(
        _("reporting rates"),
        default=dict,
        blank=True,
        help_text=_("The base currency and the rates the revenue was summed at; a change rebuilds the summary."),
    )

    class Meta:
        verbose_name = _("insights summary state")
        verbose_name_plural = _("insights summary state")

    def __str__(self) -> str:
        return str(self.refreshed_at)
