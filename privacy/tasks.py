from celery import shared_task
from django.utils import timezone

from privacy.retention import retention_purge


@shared_task(name="privacy.tasks.retention_purge")
def purge_expired_data() -> dict[str, int]:
    """Nightly: remove what is kept longer than the club's retention settings. Idempotent."""
    return retention_purge(now=timezone.now())
