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
        items.append({"label": _("Points"), "url": reverse("rewards:history"), "icon": "coin"})
        items.append({"label": _("Activities"), "url": reverse("campaigns:activities"), "icon": "trophy"})
    items.extend(_content_navigation(request))
    path = request.path
    for item in items:
        item["active"] = path.startswith(item["url"])
    return items


def _content_navigation(request) -> list[dict]:
    """Offers, News and Events: the cms index pages that are live (one query)."""
    from cms.selectors import navigation_pages

    return [{"label": label, "url": page_url, "icon": icon} for label, page_url, icon in navigation_pages(request)]


def portal(request) -> dict:
    # Context processors run again for every template rendered with the request (each
    # crispy form field, each table cell), so the menu is built once per request.
    navigation = getattr(request, "_portal_main_navigation", None)
    if navigation is None:
        navigation = _navigation(request)
        request._portal_main_navigation = navigation
    return {
        "membership": getattr(request, "membership", None),
        "main_navigation": navigation,
    }
