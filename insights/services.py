"""Insights writes one thing: its own segment snapshots."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from .models import SegmentSnapshot
from .selectors import company_values

BATCH_SIZE = 2000


def segments_snapshot(*, day: date | None = None, now: datetime | None = None) -> int:
    """Record every buying company's segment for ``day`` (today by default) and return the
    number of rows. Safe to run twice, or concurrently with itself: the day's rows are
    replaced in one transaction, so a second run leaves exactly the rows of a single run
    (``(day, company)`` is unique). Companies that never ordered are not stored."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    rows = [
        SegmentSnapshot(
            day=day,
            company_id=value.company_id,
            segment=value.segment,
            orders_365=value.orders_365,
            revenue_365=value.revenue_365,
            last_order_at=value.last_order_at,
        )
        for value in company_values(user=None, now=now)
    ]
    with transaction.atomic():
        SegmentSnapshot.objects.filter(day=day).delete()
        SegmentSnapshot.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(rows)
