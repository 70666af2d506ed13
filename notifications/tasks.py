"""Background work for notifications. Tasks take ids and are safe to run twice."""

from celery import shared_task

from .services import notification_email_send


@shared_task
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail each notification that its recipient wants by e-mail; one sent at most once."""
    return sum(notification_email_send(notification_id=notification_id) for notification_id in notification_ids)
