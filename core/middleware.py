"""Portal-wide middleware."""

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.contrib.sessions.middleware import SessionMiddleware
from django.utils.cache import patch_vary_headers

# The Django and Wagtail admins render inline styles and scripts. They are staff-only
# and behind MFA, so they get this small relaxation; every portal page keeps the strict
# policy from settings.CONTENT_SECURITY_POLICY.
ADMIN_PREFIXES = ("/admin/", "/cms/")
ADMIN_POLICY_UPDATE = {
    "script-src": [UNSAFE_INLINE],
    "style-src": [UNSAFE_INLINE],
    "img-src": ["blob:"],
}


class PortalCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith(ADMIN_PREFIXES):
            parts.update = {**ADMIN_POLICY_UPDATE, **(parts.update or {})}
        return parts


class PortalSessionMiddleware(SessionMiddleware):
    """Django's session middleware, except for background polls.

    Sessions have a sliding idle expiry (``SESSION_SAVE_EVERY_REQUEST``): every request
    saves the session and pushes its end forward. A request the view marks
    ``request.passive_session = True`` (the live-update polls of an open page) does not:
    unless it changed the session, nothing is written, so a tab left open neither keeps a
    session alive past ``SESSION_IDLE_TIMEOUT_MINUTES`` nor costs a database write per poll.
    """

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if getattr(request, "passive_session", False) and session is not None and not session.modified:
            if session.accessed:
                patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)
