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


DRAFT_STARTS_IN_DAYS = 7
DRAFT_LASTS_DAYS = 30
DRAFT_POINTS_PER_COMPANY = 100


def campaign_draft_for(*, company_ids: list[int], name: str, by, now: datetime | None = None):
    """A draft campaign whose audience is exactly ``company_ids`` (a segment or "slipping
    away" list from Insights), for Marketing to finish in the campaign admin: it starts in a
    week, runs 30 days, keeps the usual 10 % hold-out and has a starting budget of 100
    points per company. Written through ``campaigns.services`` in one transaction; nothing
    is sent and nothing starts until someone schedules it."""
    from datetime import timedelta

    from campaigns.models import AudienceKind, Campaign
    from campaigns.services import campaign_audience_refresh, campaign_create

    now = now or timezone.now()
    with transaction.atomic():
        campaign = campaign_create(
            campaign=Campaign(
                name=name[:120],
                headline=name[:160],
                owner=by,
                starts_at=now + timedelta(days=DRAFT_STARTS_IN_DAYS),
                ends_at=now + timedelta(days=DRAFT_STARTS_IN_DAYS + DRAFT_LASTS_DAYS),
                audience_kind=AudienceKind.COMPANIES,
                points_budget=max(1, DRAFT_POINTS_PER_COMPANY * len(company_ids)),
            ),
            by=by,
        )
        campaign.companies.set(company_ids)
        campaign_audience_refresh(campaign=campaign, now=now)
    return campaign
