"""Portal-wide middleware."""

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts

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
