from celery import shared_task

from . import snapshots


@shared_task
def snapshot_segments() -> int:
    """Nightly: the summary brought up to date, then today's standings (idempotent)."""
    return snapshots.nightly()


@shared_task
def refresh_summary() -> int:
    """Every few minutes: the (company, day) pairs written since the last run (incremental,
    idempotent, serialised by a row lock)."""
    return snapshots.refresh()
