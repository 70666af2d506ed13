"""Receivers of allauth's signals (the library's extension points, not business rules)."""

from __future__ import annotations

from allauth.account.internal.flows.login import record_authentication
from allauth.account.signals import user_logged_in
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver


@receiver(authenticator_added, dispatch_uid="members.record_mfa_on_activation")
def record_mfa_on_activation(sender, request, user, authenticator, **kwargs) -> None:
    """Setting up TOTP proves this session holds the new authenticator (allauth asks for the
    password again first, then for a code from the app): record it as this session's second
    factor, as a login with a code would, so staff are not asked for a second code straight
    away. allauth offers no public function for this; its record is what
    ``members.middleware.session_passed_mfa`` reads."""
    if request is None or authenticator.type == Authenticator.Type.RECOVERY_CODES:
        return
    if getattr(request, "user", None) is None or request.user.pk != user.pk:
        return
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type, activated=True)


@receiver(user_logged_in, dispatch_uid="members.login_counts_as_recent_authentication")
def login_counts_as_recent_authentication(sender, request, user, **kwargs) -> None:
    """A login that just happened counts as a recent authentication for allauth's
    re-authentication (the password prompt before sensitive account pages, such as
    setting up TOTP). Without this, staff who just typed their password were asked for
    it again seconds later, on their way to the compulsory TOTP set-up.

    allauth counts only records marked ``reauthenticated``; the login's own record (its
    last one: the password, the code, or the single sign-on) is marked so. It still ages
    out after ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` like any re-authentication.
    """
    from allauth.account.authentication import get_authentication_records

    if request is None or not hasattr(request, "session"):
        return
    records = get_authentication_records(request, user)
    if records:
        records[-1]["reauthenticated"] = True
        request.session.modified = True
