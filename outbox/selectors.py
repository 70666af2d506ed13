"""Reads of the outbox, for the health check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .models import OutboxTask

BACKLOG_COUNT_LIMIT = 1000


@dataclass(frozen=True)
class OutboxBacklog:
    waiting: int  # counted up to BACKLOG_COUNT_LIMIT
    oldest_created_at: datetime | None


def outbox_backlog() -> OutboxBacklog:
    """How many tasks wait to be published (counted up to ``BACKLOG_COUNT_LIMIT``, so a long
    outage does not make the health check slow) and since when. Two queries on the partial
    index of waiting rows."""
    waiting = OutboxTask.objects.filter(published_at__isnull=True)
    oldest = waiting.order_by("pk").values_list("created_at", flat=True).first()
    if oldest is None:
        return OutboxBacklog(waiting=0, oldest_created_at=None)
    return OutboxBacklog(waiting=waiting.order_by()[:BACKLOG_COUNT_LIMIT].count(), oldest_created_at=oldest)
