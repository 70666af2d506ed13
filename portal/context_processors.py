"""Template context every portal page needs: the navigation, the person's membership, and
the unread counts on the bell and the Messages item."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cms.selectors import navigation_pages
from members.selectors import is_club_admin, is_sales_rep
from messaging.selectors import unread_thread_count
from notifications.selectors import unread_notification_count


def badge_counts(request) -> dict[str, int]:
    """Unread notifications and unread conversations of the person, once per request (two
    queries). The navigation shows them, and ``/live/badges/`` sends them to open pages."""
    counts = getattr(request, "_portal_badge_counts", None)
    if counts is None:
        user = request.user
        counts = {
            "notifications": unread_notification_count(user=user),
            # request.membership is a lazy object; "or None" turns "no membership" into None.
            "messages": unread_thread_count(user=user, membership=getattr(request, "membership", None) or None),
        }
        request._portal_badge_counts = counts
    return counts


def _navigation(request) -> list[dict]:
    """The main menu. Items appear here as their features land."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    items = [{"label": _("Dashboard"), "url": reverse("dashboard"), "icon": "speedometer2"}]
    if getattr(request, "membership", None):
        items.append({"label": _("Company"), "url": reverse("members:company"), "icon": "building"})
        items.append({"label": _("Points"), "url": reverse("rewards:history"), "icon": "coin"})
        items.append({"label": _("Rewards"), "url": reverse("rewards:catalogue"), "icon": "gift"})
        items.append({"label": _("Activities"), "url": reverse("campaigns:activities"), "icon": "trophy"})
        items.append(_messages_item(request, reverse("messaging:list")))
    elif user.is_staff:
        if is_sales_rep(user) or is_club_admin(user):
            label = _("Accounts") if is_club_admin(user) else _("My accounts")
            items.append({"label": label, "url": reverse("reps:accounts"), "icon": "people"})
            items.append(_messages_item(request, reverse("staff_messages:list")))
        if user.has_perm("rewards.fulfil_redemption"):
            items.append({"label": _("Fulfilment"), "url": reverse("rewards_staff:queue"), "icon": "box-seam"})
        if user.has_perm("insights.view_insights"):
            items.append({"label": _("Insights"), "url": reverse("insights:overview"), "icon": "graph-up"})
    items.extend(_content_navigation(request))
    path = request.path
    for item in items:
        item["active"] = path.startswith(item["url"])
    return items


def _messages_item(request, url: str) -> dict:
    return {
        "label": _("Messages"),
        "url": url,
        "icon": "chat-dots",
        "badge": badge_counts(request)["messages"],
        "badge_id": "nav-messages-badge",
    }


def _content_navigation(request) -> list[dict]:
    """Offers, News and Events: the cms index pages that are live (one query)."""
    items = [
        {"label": label, "url": page_url, "icon": icon, "compact": False}
        for label, page_url, icon in navigation_pages(request)
        if icon != "search"  # the cms search page leads to the portal's one search
    ]
    # Search shows as an icon on wide screens (its label stays for screen readers).
    items.append({"label": _("Search"), "url": reverse("search"), "icon": "search", "compact": True})
    return items


def portal(request) -> dict:
    """The menu and the unread counts, computed only when a template shows them (the Django
    and Wagtail admins render with this processor too, and show neither) and then once per
    request: context processors run again for every template rendered with the request
    (each crispy form field, each table cell). The template engine calls the callables."""

    def main_navigation() -> list[dict]:
        navigation = getattr(request, "_portal_main_navigation", None)
        if navigation is None:
            navigation = _navigation(request)
            request._portal_main_navigation = navigation
        return navigation

    def unread_notifications() -> int:
        user = getattr(request, "user", None)
        return badge_counts(request)["notifications"] if user and user.is_authenticated else 0

    def unread_total() -> int:
        # The menu button's badge on narrow screens: what the collapsed menu's badges hold.
        user = getattr(request, "user", None)
        if not (user and user.is_authenticated):
            return 0
        counts = badge_counts(request)
        shows_messages = any(item.get("badge_id") == "nav-messages-badge" for item in main_navigation())
        return counts["notifications"] + (counts["messages"] if shows_messages else 0)

    if getattr(request, "second_factor_pending", False):
        # A staff member's pages before this session's second factor (members.middleware:
        # setting it up, entering the code): a password alone reads nothing of the portal,
        # not even "Messages 3".
        return {
            "membership": None,
            "unread_total": 0,
            "main_navigation": [],
            "unread_notifications": 0,
            "live_badges_seconds": _live_badges_seconds,
        }
    return {
        "membership": getattr(request, "membership", None),
        "unread_total": unread_total,
        "main_navigation": main_navigation,
        "unread_notifications": unread_notifications,
        "live_badges_seconds": _live_badges_seconds,
    }


def _live_badges_seconds() -> int:
    return settings.LIVE_BADGES_SECONDS
