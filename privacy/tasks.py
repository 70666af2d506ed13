from celery import shared_task
from django.utils import timezone

from privacy.closing import company_closed_email_send
from privacy.retention import retention_purge


@shared_task(name="privacy.tasks.retention_purge")
def purge_expired_data() -> dict[str, int]:
    """Nightly: remove what is kept longer than the club's retention settings. Idempotent."""
    return retention_purge(now=timezone.now())


@shared_task(name="privacy.tasks.send_company_closed_email")
def send_company_closed_email(closure_id: int) -> int:
    """Tell a closed company's admins, once (safe to run twice: ``emailed_at`` under a lock)."""
    return company_closed_email_send(closure_id=closure_id)
