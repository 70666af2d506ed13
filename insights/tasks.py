from celery import shared_task

from .services import segments_snapshot


@shared_task
def snapshot_segments() -> int:
    """Nightly: today's value segment of every buying company (idempotent)."""
    return segments_snapshot()
