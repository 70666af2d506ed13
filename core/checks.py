"""System checks of the portal shell: session cookies, and admin actions that declare their permission."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.checks.security import sessions


@register(Tags.security, deploy=True)
def check_session_cookie(app_configs, **kwargs):
    """Django's own session-cookie checks look for its SessionMiddleware by name; the portal
    lists a subclass (``core.middleware.PortalSessionMiddleware``), so they are run here."""
    if "django.contrib.sessions.middleware.SessionMiddleware" in settings.MIDDLEWARE:
        return []  # Django checks it itself
    if "core.middleware.PortalSessionMiddleware" not in settings.MIDDLEWARE:
        return []
    problems = []
    if not settings.SESSION_COOKIE_SECURE:
        problems.append(sessions.W011)
    if not settings.SESSION_COOKIE_HTTPONLY:
        problems.append(sessions.W014)
    return problems


def unguarded_admin_actions(site=None) -> list[tuple[str, str]]:
    """(model admin, action name) for every admin action that declares no permission.
    Django's "delete selected" is left out: it checks the delete permission itself."""
    from django.contrib import admin
    from django.contrib.admin.actions import delete_selected

    site = site or admin.site
    found = []
    for model_admin in site._registry.values():
        names = list(model_admin.actions or []) + [name for name, _func in site.actions]
        for name in names:
            func = name if callable(name) else (getattr(type(model_admin), name, None) or site._actions.get(name))
            if func is delete_selected:
                continue
            if not getattr(func, "allowed_permissions", None):
                label = f"{type(model_admin).__module__}.{type(model_admin).__qualname__}"
                found.append((label, getattr(func, "__name__", str(name))))
    return found


@register(Tags.admin, Tags.security)
def check_admin_actions_declare_permissions(app_configs, **kwargs):
    """Every admin action says which permission it needs, or a member of staff who may only
    view a list could run it (a view-only rep reactivated a suspended company that way)."""
    return [
        Error(
            f"The admin action {action!r} of {label} declares no permission.",
            hint="Declare it: @admin.action(permissions=['change']) (or core.admin.require_permissions).",
            id="core.E001",
        )
        for label, action in unguarded_admin_actions()
    ]
