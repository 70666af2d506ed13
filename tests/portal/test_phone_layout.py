"""On a phone the menu collapses: its unread counts show on the menu button, and the tables
a member reads there stack instead of hiding columns (screenshots: tests/browser)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from core.texts import free_text
from notifications.models import NotificationKind
from notifications.services import notifications_send

pytestmark = pytest.mark.django_db


def _notify(user, count):
    for number in range(count):
        notifications_send(
            users=[user],
            kind=NotificationKind.POINTS,
            key=f"k{number}",
            title=free_text("Points arrived"),
            url="/",
            email=False,
        )


def _toggle_badge(html: str) -> str:
    button = re.search(r'<button class="navbar-toggler".*?</button>', html, re.S).group(0)
    return re.search(
        r'id="nav-toggle-badge"[^>]*>(.*?)</span></span>|id="nav-toggle-badge"[^>]*></span>', button, re.S
    ).group(0)


def test_given_unread_notifications_then_the_menu_button_carries_their_count(member_client, purchaser, portal_site):
    _notify(purchaser, 3)

    badge = _toggle_badge(member_client.get(reverse("dashboard")).content.decode())

    assert "text-bg-danger" in badge and ">3<" in badge and "3 unread items" in badge


def test_given_nothing_unread_then_the_menu_button_has_no_count(member_client, portal_site):
    badge = _toggle_badge(member_client.get(reverse("dashboard")).content.decode())

    assert "nav-badge--empty" in badge


def test_the_live_update_refreshes_the_menu_button_badge_too(member_client, purchaser):
    _notify(purchaser, 2)

    html = member_client.get(reverse("live_badges")).content.decode()

    assert re.search(r'id="nav-toggle-badge"[^>]*hx-swap-oob="true"[^>]*><span aria-hidden="true">2</span>', html)


@pytest.mark.parametrize(("url_name", "wrapper"), [("rewards:history", "history"), ("rewards:orders", "orders")])
def test_the_points_history_and_orders_tables_stack_on_phones(member_client, url_name, wrapper, portal_site):
    html = member_client.get(reverse(url_name)).content.decode()

    assert f'<div class="table-stack-sm table-stack-sm--{wrapper}">' in html
