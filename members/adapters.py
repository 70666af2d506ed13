"""allauth adapters: sign-up only by invitation, and no login for suspended companies."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.shortcuts import redirect
from django.utils import translation

from core.mail import send_branded_mail

from .invitations import open_invitation_from_session
from .languages import person_language
from .middleware import SUSPENDED_SESSION_KEY
from .models import CompanyStatus, Membership


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # allauth's e-mails go out like the portal's own: branded, from the club, unescaped
        # plain text, in the language of the person they are for when allauth names them
        # (a password reset), else in the language of the request that caused them.
        user = context.get("user")
        language = translation.get_language()
        if getattr(user, "pk", None) is not None:
            language = person_language(user, fallback=language)
        send_branded_mail(template=template_prefix, to=email, context=context, language=language)

    def is_open_for_signup(self, request) -> bool:
        # Sign-up is open only to someone holding an open invitation (from its link).
        return open_invitation_from_session(request) is not None

    def pre_login(self, request, user, **kwargs):
        membership = Membership.objects.select_related("company").filter(user=user).first()
        if membership and membership.company.status == CompanyStatus.SUSPENDED and not user.is_staff:
            clear_login(request)
            request.session[SUSPENDED_SESSION_KEY] = membership.company.suspension_reason
            return redirect("members:suspended")
        return super().pre_login(request, user, **kwargs)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        # Single sign-on logs existing people in; new people still need an invitation.
        return open_invitation_from_session(request) is not None
