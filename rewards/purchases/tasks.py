"""The CSV purchase import's Celery tasks. The task names keep the dotted paths they had
before rewards was split into sub-packages (``rewards.tasks.…``), so tasks already queued
and the beat schedule (settings, django-celery-beat rows) keep finding them."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from outbox.services import outbox_enqueue
from rewards.purchases.imports import purchase_import_run, purchase_imports_resume_stale

# An import runs in short transactions, each a checkpoint, so a run may stop anywhere. The
# soft limit ends a run (its current transaction rolls back) and the task queues its
# continuation; the hard limit is the backstop. Both stay under the broker's
# visibility_timeout (settings), after which an unacknowledged task is delivered again.
PURCHASE_IMPORT_SOFT_TIME_LIMIT = 25 * 60
PURCHASE_IMPORT_TIME_LIMIT = 27 * 60


@shared_task(
    name="rewards.tasks.run_purchase_import",
    # Acknowledged when it ends, not when it starts: if the worker dies mid-import, the
    # broker gives the task to another worker (at its next start, or after the visibility
    # timeout), and with reject_on_worker_lost a pool process killed mid-task puts it back.
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=PURCHASE_IMPORT_SOFT_TIME_LIMIT,
    time_limit=PURCHASE_IMPORT_TIME_LIMIT,
)
def run_purchase_import(import_id: int) -> str:
    """Run a CSV purchase import; safe to run twice and more (a finished import is left alone,
    a concurrent run returns at once, a stopped one resumes from its last committed transaction
    with nothing lost or doubled)."""
    try:
        return purchase_import_run(import_id=import_id).status
    except SoftTimeLimitExceeded:
        outbox_enqueue(run_purchase_import, import_id)
        return "continued"


@shared_task(name="rewards.tasks.resume_stale_purchase_imports")
def resume_stale_purchase_imports() -> int:
    """Every few minutes: queue again each import whose worker died (no progress for
    ``PURCHASE_IMPORT_STALE_MINUTES``). Returns how many were queued."""
    return purchase_imports_resume_stale(
        now=timezone.now(), stale_after=timedelta(minutes=settings.PURCHASE_IMPORT_STALE_MINUTES)
    )
