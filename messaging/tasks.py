"""Background work for conversations. Tasks take ids and are safe to run twice."""

from celery import shared_task

from .services import broadcast_deliver, message_emails_send


@shared_task
def deliver_broadcast(broadcast_id: int) -> int:
    """Put a broadcast into one thread per company; a company already reached is skipped."""
    return broadcast_deliver(broadcast_id=broadcast_id)


@shared_task
def send_message_emails() -> int:
    """Every minute: e-mail unread messages, at most one e-mail per thread and person per interval."""
    return message_emails_send()
