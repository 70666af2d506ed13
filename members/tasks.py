"""Background work for members. Tasks take ids, load, and are safe to run twice."""

from celery import shared_task

from clubportal.mail import send_branded_mail

from .models import Invitation


@shared_task
def send_invitation_email(invitation_id: int) -> bool:
    """E-mail the invitation link. Does nothing for an invitation that is no longer open."""
    invitation = Invitation.objects.select_related("company", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_open:
        return False
    send_branded_mail(
        template="members/email/invitation",
        to=invitation.email,
        context={"invitation": invitation, "accept_url": invitation.get_accept_url()},
        language=getattr(invitation.invited_by, "language", "") or None,
    )
    return True
