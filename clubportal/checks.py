"""System checks of the portal shell."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, register
from django.core.checks.security import sessions


@register(Tags.security, deploy=True)
def check_session_cookie(app_configs, **kwargs):
    """Django's own session-cookie checks look for its SessionMiddleware by name; the portal
    lists a subclass (``clubportal.middleware.PortalSessionMiddleware``), so they are run here."""
    if "django.contrib.sessions.middleware.SessionMiddleware" in settings.MIDDLEWARE:
        return []  # Django checks it itself
    if "clubportal.middleware.PortalSessionMiddleware" not in settings.MIDDLEWARE:
        return []
    problems = []
    if not settings.SESSION_COOKIE_SECURE:
        problems.append(sessions.W011)
    if not settings.SESSION_COOKIE_HTTPONLY:
        problems.append(sessions.W014)
    return problems
