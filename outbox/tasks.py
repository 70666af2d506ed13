"""The outbox's periodic work: relay what waits, purge what was published long ago."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import connections
from django.utils import timezone

from .services import outbox_purge, outbox_relay

logger = logging.getLogger(__name__)


@shared_task
def relay_outbox() -> int:
    """Every minute: publish the tasks that could not be published after their commit.

    Safe to run twice or concurrently (rows are taken with SKIP LOCKED). Sent by beat
    without the outbox, at most once: a lost run is replaced by the next minute's.
    """
    return outbox_relay()


@shared_task
def purge_outbox() -> int:
    """Daily: delete rows published more than a week ago. Safe to run twice."""
    return outbox_purge(now=timezone.now())


def relay_on_worker_start(sender=None, **kwargs) -> None:
    """``worker_ready`` receiver: a worker that starts (after an outage, a deploy) publishes
    what waited at once, in its own process, instead of waiting up to a minute for beat."""
    try:
        published = outbox_relay()
    except Exception:  # the worker must start whatever the database says
        logger.exception("The outbox relay at worker start failed; beat's relay will try again.")
        return
    finally:
        connections.close_all()
    if published:
        logger.info("Published %s waiting outbox task(s) at worker start.", published)
