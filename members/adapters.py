"""allauth adapters: sign-up only by invitation, no login for suspended companies, and
single sign-on through each member company's own provider (``members.sso``)."""

from __future__ import annotations

import html
import logging
from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal.httpkit import is_headless_request
from allauth.core.ratelimit import consume_or_429
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.shortcuts import redirect, resolve_url
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from core.branding import branding_for_email
from core.mail import send_branded_mail

from . import sso
from .invitations import forget_invitation, mark_newcomer, open_invitation_from_session
from .languages import person_language
from .middleware import SUSPENDED_SESSION_KEY
from .models import CompanyStatus, Membership
from .services import MembersError, invitation_accept, sso_membership_grant

logger = logging.getLogger(__name__)


def _club_site() -> SimpleNamespace:
    """What allauth's templates read as ``current_site``: the club's name (from the branding,
    as in every e-mail's header) and the portal's host (``SITE_URL``). Without
    ``django.contrib.sites``, allauth's own ``get_current_site`` would name the host of the
    request (or of no request at all) instead."""
    return SimpleNamespace(name=branding_for_email().club_name, domain=urlsplit(settings.SITE_URL).netloc)


def reader_language(request) -> str:
    """The language of the page the person is shown next, by ``UserLanguageMiddleware``'s
    rule: someone logged in reads their own (``person_language``), anyone else the browser's
    (the language cookie, else ``Accept-Language``, as Django's ``LocaleMiddleware`` picks it)."""
    browser = translation.get_language_from_request(request)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return person_language(user, fallback=browser)
    return browser


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # allauth's e-mails go out like the portal's own: branded, from the club, unescaped
        # plain text, in the language of the person they are for when allauth names them
        # (a password reset), else in the language of the request that caused them.
        # The context has what allauth's own send_mail adds (the address it goes to: the
        # "unknown account" mail names it), with the club as the site.
        context = {
            "request": allauth_context.request,
            "email": email,
            "current_site": SimpleLazyObject(_club_site),
            **context,
        }
        user = context.get("user")
        language = translation.get_language()
        if getattr(user, "pk", None) is not None:
            language = person_language(user, fallback=language)
        send_branded_mail(template=template_prefix, to=email, context=context, language=language)

    def send_confirmation_mail(self, request, emailconfirmation, signup: bool) -> None:
        # A member may type anyone's address on /accounts/email/. If it already belongs to
        # another account, its owner gets no "confirm this address" mail on the member's
        # behalf (the address could never be confirmed for the member anyway: addresses are
        # unique). The member sees the same "confirmation sent" message as for any address,
        # so the page does not tell which addresses have an account (allauth's enumeration
        # prevention; with it turned off, allauth's form already refuses a taken address).
        address = getattr(emailconfirmation, "email_address", None)
        if not signup and address is not None and _belongs_to_another_account(address.email, address.user_id):
            logger.info("No confirmation mail: the address a person added belongs to another account.")
            return
        super().send_confirmation_mail(request, emailconfirmation, signup)

    def add_message(
        self,
        request,
        level: int,
        message_template: str | None = None,
        message_context: dict | None = None,
        extra_tags: str = "",
        message: str | None = None,
    ) -> None:
        # allauth renders its messages ("You are logged in as …", "You have logged out.")
        # as it adds them, in the request's language: on login that is still the anonymous
        # visitor's browser's, on logout still the person's, while the page that shows the
        # message is the other one's. So the text is rendered when the message is stored,
        # at the end of the response, in the language of whoever is then logged in (or of
        # the browser, after a logout): the language of the page that will show it.
        if message or not message_template or is_headless_request(request):
            super().add_message(request, level, message_template, message_context, extra_tags, message)
            return
        message_context = message_context or {}
        try:
            text_now = _render_message(message_template, message_context)
        except TemplateDoesNotExist:
            return
        if not text_now:  # an empty template turns the message off
            return
        text = _MessageForReader(request, message_template, message_context, fallback=text_now)
        super().add_message(request, level, extra_tags=extra_tags, message=text)

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


def _render_message(template: str, context: dict) -> str:
    """allauth's message text from ``template``, as allauth renders it (in the active language)."""
    return html.unescape(render_to_string(template, context).strip())


class _MessageForReader:
    """An allauth message whose text is rendered when Django's message storage turns it into
    text (``Message._prepare``, as the response leaves; or a page that shows it first), in
    ``reader_language`` at that moment."""

    def __init__(self, request, template: str, context: dict, *, fallback: str):
        self.request, self.template, self.context, self.fallback = request, template, context, fallback

    def __bool__(self) -> bool:  # the storage drops an empty message; this one is not
        return True

    def __str__(self) -> str:
        try:
            language = reader_language(self.request)
        except DatabaseError:  # no answer about the person: the text as it was added
            return self.fallback
        with translation.override(language):
            return _render_message(self.template, self.context)

    def __repr__(self) -> str:
        return f"<allauth message {self.template}>"


def _belongs_to_another_account(email: str, user_id) -> bool:
    """Whether ``email`` is the login address, or a confirmed address, of an account other
    than ``user_id``'s."""
    from allauth.account.models import EmailAddress  # a model: not while the apps load

    if EmailAddress.objects.filter(email__iexact=email, verified=True).exclude(user_id=user_id).exists():
        return True
    email_field = account_settings.USER_MODEL_EMAIL_FIELD
    if not email_field:
        return False
    return get_user_model().objects.filter(**{f"{email_field}__iexact": email}).exclude(pk=user_id).exists()


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
