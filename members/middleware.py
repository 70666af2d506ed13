"""Request-level rules for members and staff."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from .models import CompanyStatus
from .selectors import membership_for_user

SUSPENDED_SESSION_KEY = "members.suspended_reason"
STAFF_PATH_PREFIXES = ("/admin/", "/cms/", "/staff/")


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
    """Use the language a person chose in their profile, over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.language and user.language in dict(settings.LANGUAGES):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


def user_has_mfa(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user).exclude(type=Authenticator.Type.RECOVERY_CODES).exists()


class StaffMFARequiredMiddleware:
    """Staff must set up two-factor authentication before they reach any staff page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.STAFF_MFA_REQUIRED
            and user.is_authenticated
            and user.is_staff
            and request.path_info.startswith(STAFF_PATH_PREFIXES)
            and not user_has_mfa(user)
        ):
            messages.warning(request, _("Staff pages need two-factor authentication. Set it up to continue."))
            return redirect(f"{reverse('mfa_activate_totp')}?next={request.path}")
        return self.get_response(request)
