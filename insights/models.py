"""Insights' own rows: a nightly snapshot of every company's value segment, so the movement
between segments from one day (or month) to another can be read later. Written only by
``insights.tasks.segments_snapshot`` (idempotent: a second run the same day replaces the
day's rows with the same rows)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class SegmentSnapshot(models.Model):
    day = models.DateField(_("day"))
    company = models.ForeignKey(
        "members.Company", verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    segment = models.CharField(_("segment"), max_length=16)
    orders_365 = models.PositiveIntegerField(_("orders in the last 365 days"), default=0)
    revenue_365 = models.DecimalField(
        _("net revenue in the last 365 days"), max_digits=15, decimal_places=2, default=Decimal("0")
    )
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)

    class Meta:
        verbose_name = _("segment snapshot")
        verbose_name_plural = _("segment snapshots")
        constraints = [models.UniqueConstraint(fields=["day", "company"], name="insights_snapshot_one_per_day")]
        indexes = [models.Index(fields=["day", "segment"], name="insights_snapshot_day_segment")]
        permissions = [("view_insights", _("Can open Insights (reps: their own accounts)"))]

    def __str__(self) -> str:
        return f"{self.day} {self.company_id} {self.segment}"
