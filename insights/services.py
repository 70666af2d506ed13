"""Insights' one write outside its snapshots (``insights.snapshots``): a draft campaign
for a segment."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

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
