"""Template context every portal page needs: the navigation and the person's membership."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def _navigation(request) -> list[dict]:
    """The main menu. Items appear here as their features land."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    items = [{"label": _("Dashboard"), "url": reverse("dashboard"), "icon": "speedometer2"}]
    if getattr(request, "membership", None):
        items.append({"label": _("Company"), "url": reverse("members:company"), "icon": "building"})
    path = request.path
    for item in items:
        item["active"] = path.startswith(item["url"])
    return items


def portal(request) -> dict:
    return {
        "membership": getattr(request, "membership", None),
        "main_navigation": _navigation(request),
    }
