"""allauth adapters: sign-up only by invitation, no login for suspended companies, and
single sign-on through each member company's own provider (``members.sso``)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.ratelimit import consume_or_429
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils import translation

from core.mail import send_branded_mail

from . import sso
from .invitations import forget_invitation, mark_newcomer, open_invitation_from_session
from .languages import person_language
from .middleware import SUSPENDED_SESSION_KEY
from .models import CompanyStatus, Membership
from .services import MembersError, invitation_accept, sso_membership_grant


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

    def get_logout_redirect_url(self, request) -> str:
        # Called before the session ends. Someone who signed in through a provider that
        # supports RP-initiated logout goes on to the page that sends them there
        # (``logout`` below keeps the address for it), so that session ends too.
        if request.user.is_authenticated and request.session.get(sso.SESSION_PROVIDER_KEY):
            return reverse("members:sso_logout")
        return super().get_logout_redirect_url(request)

    def logout(self, request) -> None:
        provider_logout_url = self._provider_logout_url(request)
        super().logout(request)
        if provider_logout_url:
            request.session[sso.SESSION_LOGOUT_URL_KEY] = provider_logout_url

    def _provider_logout_url(self, request) -> str | None:
        provider_id = request.session.get(sso.SESSION_PROVIDER_KEY)
        if not provider_id:
            return None
        from allauth.socialaccount.adapter import get_adapter as get_social_adapter
        from allauth.socialaccount.models import SocialApp

        try:
            app = get_social_adapter(request).get_app(request, provider=provider_id)
        except SocialApp.DoesNotExist:  # the provider was removed meanwhile: log out here only
            return None
        login_url = request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL))
        return sso.provider_logout_url(request=request, app=app, post_logout_redirect_uri=login_url)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """The club's own provider (from the environment) signs in existing people, and new
    people holding an invitation; each member company's provider signs in only the people
    ``members.sso.check_sso_login`` admits (that company's, verified, never staff)."""

    _ADMISSION_ATTR = "_members_sso_admission"

    def list_apps(self, request, provider=None, client_id=None):
        apps = super().list_apps(request, provider=provider, client_id=client_id)
        return apps + sso.company_social_apps(provider=provider, client_id=client_id)

    def pre_social_login(self, request, sociallogin) -> None:
        # Throttled like the password form: the same "login" budget per address.
        throttled = consume_or_429(request, action="login")
        if throttled is not None:
            raise ImmediateHttpResponse(throttled)
        try:
            admission = sso.check_sso_login(request, sociallogin)
        except sso.SSORefused as exc:
            messages.error(request, str(exc))
            raise ImmediateHttpResponse(redirect("account_login")) from exc
        setattr(request, self._ADMISSION_ATTR, admission)
        if admission is not None and admission.user is not None and admission.membership is None:
            # Someone with an account here but no company yet (their invitation, or the
            # domain rule, brings them in now).
            self._grant(request, admission, admission.user)
        request.session[sso.SESSION_PROVIDER_KEY] = sociallogin.account.provider
        super().pre_social_login(request, sociallogin)

    def is_open_for_signup(self, request, sociallogin) -> bool:
        # A company provider's newcomer was admitted (invitation or domain rule) in
        # pre_social_login; through the club's own provider, only with an invitation.
        if getattr(request, self._ADMISSION_ATTR, None) is not None:
            return True
        return open_invitation_from_session(request) is not None

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        admission = getattr(request, self._ADMISSION_ATTR, None)
        if admission is not None:
            self._grant(request, admission, user)
            return user
        invitation = open_invitation_from_session(request)
        if invitation is not None and invitation.email.lower() == user.email.lower():
            invitation_accept(invitation_id=invitation.pk, user=user)
            forget_invitation(request)
            mark_newcomer(request)
        return user

    def _grant(self, request, admission, user) -> None:
        try:
            sso_membership_grant(user=user, provider=admission.provider, invitation=admission.invitation)
        except MembersError as exc:
            messages.error(request, str(exc))
            raise ImmediateHttpResponse(redirect("account_login")) from exc
        forget_invitation(request)
        mark_newcomer(request)
