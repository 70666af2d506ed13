from celery import shared_task

from . import snapshots


@shared_task
def snapshot_segments() -> int:
    """Nightly: the summary brought up to date, then today's standings (idempotent). Nothing
    where the summary cannot be kept (SQLite: the pages compute live)."""
    return snapshots.nightly() if snapshots.supported() else 0


@shared_task
def refresh_summary() -> int:
    """Every few minutes: the (company, day) pairs written since the last run (incremental,
    idempotent, serialised by a row lock). Nothing where the summary cannot be kept."""
    return snapshots.refresh() if snapshots.supported() else 0
