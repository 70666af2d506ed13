"""Request-level rules for members and staff."""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .languages import person_language
from .models import CompanyStatus
from .selectors import membership_for_user

SUSPENDED_SESSION_KEY = "members.suspended_reason"


class MemberAccessMiddleware:
    """Attach ``request.membership`` (lazily, one query) and keep suspended companies out.

    Login is refused for a suspended company's contacts by the account adapter; this
    ends sessions that were open when the company was suspended.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: membership_for_user(request.user))
        user = request.user
        if user.is_authenticated and not user.is_staff:
            membership = request.membership
            if membership and membership.company.status == CompanyStatus.SUSPENDED:
                reason = membership.company.suspension_reason
                logout(request)
                request.session[SUSPENDED_SESSION_KEY] = reason
                return redirect("members:suspended")
        return self.get_response(request)


class UserLanguageMiddleware:
    """A logged-in person reads their own language (``members.languages.person_language``):
    their profile's, else their company's country's, else the browser's, which Django's
    ``LocaleMiddleware`` has already picked. The company comes from ``request.membership``,
    which ``MemberAccessMiddleware`` has loaded for members: no query of its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            membership = None if user.is_staff else request.membership
            company = membership.company if membership else None
            language = person_language(user, company=company, fallback=getattr(request, "LANGUAGE_CODE", None))
            if language != translation.get_language():
                translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def user_has_mfa(user) -> bool:
    """Whether ``user`` has an authenticator (recovery codes alone do not count)."""
    return Authenticator.objects.filter(user=user).exclude(type=Authenticator.Type.RECOVERY_CODES).exists()


def session_passed_mfa(request) -> bool:
    """Whether *this session* of ``request.user`` was authenticated with a second factor.

    allauth keeps a record of every authentication method used in a session, tied to the
    user it authenticated (``allauth.account.authentication.get_authentication_records``):
    a login through the MFA stage, a re-authentication with a code, or (see
    ``members.signals``) the activation of an authenticator each add an ``"mfa"`` record.
    A session opened any other way (a password alone, ``force_login``, a future form) has none.
    """
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, request.user))


# What a member of staff may open before this session has passed the second factor: leaving,
# the language switch and static files, and the pages that lead to the second factor.
_OPEN_BEFORE_MFA = ("/i18n/", "/jsi18n/", "/static/", "/healthz/", "/brand.css")
_OPEN_BEFORE_MFA_NAMES = ("account_logout",)
# Without an authenticator: allauth's account pages, where TOTP is set up (after the
# password is confirmed) and the password changed.
_OPEN_TO_SET_UP_MFA = ("/accounts/",)
# With one: only the page that asks for a code (or a recovery code), throttled by allauth.
_OPEN_TO_PASS_MFA_NAMES = ("mfa_reauthenticate",)


def _path_is(request, names) -> bool:
    return request.path_info in {reverse(name) for name in names}


class StaffMFARequiredMiddleware:
    """A member of staff gets no page until *this session* has passed the second factor.

    Staff without an authenticator are sent to set one up; staff with one whose session
    did not pass it (it was opened with a password alone, by any form) are sent to enter a
    code. This covers every page, not a list of staff prefixes, so a page that shows staff
    more (previews, a future staff view) cannot be reached with a password alone. Members
    are not affected. ``STAFF_MFA_REQUIRED=False`` turns the rule off (tests of other things).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            not settings.STAFF_MFA_REQUIRED
            or not user.is_authenticated
            or not user.is_staff
            or request.path_info.startswith(_OPEN_BEFORE_MFA)
            or _path_is(request, _OPEN_BEFORE_MFA_NAMES)
            or session_passed_mfa(request)
        ):
            return self.get_response(request)
        if request.headers.get("HX-Request"):
            # The navigation's live badges poll in the background: nothing to show yet, and no
            # redirect whose warning would pile up for the next page.
            return HttpResponse(status=204)
        next_query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
        if not user_has_mfa(user):
            if request.path_info.startswith(_OPEN_TO_SET_UP_MFA):
                request.second_factor_pending = True
                return self.get_response(request)
            messages.warning(request, _("Staff pages need two-factor authentication. Set it up to continue."))
            return redirect(f"{reverse('mfa_activate_totp')}?{next_query}")
        if _path_is(request, _OPEN_TO_PASS_MFA_NAMES):
            request.second_factor_pending = True
            return self.get_response(request)
        messages.warning(request, _("Staff pages need the code from your authenticator app for this session."))
        return redirect(f"{reverse('mfa_reauthenticate')}?{next_query}")
