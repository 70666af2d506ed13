"""Background work for members. Tasks take ids, load, and are safe to run twice."""

from celery import shared_task

from .services import invitation_email_send


@shared_task
def send_invitation_email(invitation_id: int) -> bool:
    """E-mail the invitation link, once; nothing for an invitation that is no longer open."""
    return invitation_email_send(invitation_id=invitation_id)
