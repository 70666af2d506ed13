"""The invitation a visitor is holding, kept in their session between the link and sign-up."""

from __future__ import annotations

from .models import Invitation

SESSION_KEY = "members.invitation_id"
NEWCOMER_SESSION_KEY = "members.newcomer"


def remember_invitation(request, invitation: Invitation) -> None:
    request.session[SESSION_KEY] = invitation.pk


def forget_invitation(request) -> None:
    request.session.pop(SESSION_KEY, None)


def open_invitation_from_session(request) -> Invitation | None:
    if request is None:
        return None
    invitation_id = request.session.get(SESSION_KEY)
    if not invitation_id:
        return None
    invitation = Invitation.objects.select_related("company").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_open or not invitation.company.is_active:
        return None
    return invitation


def mark_newcomer(request) -> None:
    """Remember that this session just joined a company, so the next page welcomes them."""
    request.session[NEWCOMER_SESSION_KEY] = True


def pop_newcomer(request) -> bool:
    """Whether this session just joined a company; true once, for the first page after."""
    return bool(request.session.pop(NEWCOMER_SESSION_KEY, False))
