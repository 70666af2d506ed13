"""Before this session has passed the second factor, a member of staff sees a minimal
navigation: no menu items and no unread counts (a password alone reads no portal data)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.texts import free_text
from notifications.models import NotificationKind
from notifications.services import notifications_send
from tests.factories import StaffFactory
from tests.mfa import activate_totp, pass_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep_with_unread(db):
    rep = StaffFactory(group="Sales reps")
    for n in range(3):
        notifications_send(
            users=[rep], kind=NotificationKind.POINTS, key=f"k{n}", title=free_text("Points arrived"), email=False
        )
    return rep


def _confirm_password_if_asked(client, response, password):
    if response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate")):
        confirmed = client.post(response["Location"], {"password": password})
        response = client.get(confirmed["Location"])
    return response


def test_given_staff_setting_up_mfa_then_the_navigation_shows_no_items_and_no_counts(
    client, rep_with_unread, password, portal_site, cleared_cache, settings
):
    settings.STAFF_MFA_REQUIRED = True
    client.force_login(rep_with_unread)

    page = _confirm_password_if_asked(client, client.get(reverse("mfa_activate_totp")), password)

    html = page.content.decode()
    assert page.status_code == 200
    assert page.wsgi_request.path == reverse("mfa_activate_totp")
    assert "unread notification" not in html
    assert 'id="nav-messages-badge"' not in html
    assert reverse("reps:accounts") not in html  # no menu items


def test_given_staff_asked_for_their_code_then_the_navigation_shows_no_counts(
    client, rep_with_unread, portal_site, cleared_cache, settings
):
    settings.STAFF_MFA_REQUIRED = True
    activate_totp(rep_with_unread)
    client.force_login(rep_with_unread)

    page = client.get(reverse("mfa_reauthenticate"))

    assert page.status_code == 200
    assert "unread notification" not in page.content.decode()
    assert 'id="nav-messages-badge"' not in page.content.decode()


def test_given_staff_before_the_second_factor_when_the_live_badges_poll_then_nothing_and_no_warning_piles_up(
    client, rep_with_unread, cleared_cache, settings
):
    settings.STAFF_MFA_REQUIRED = True
    client.force_login(rep_with_unread)

    poll = client.get(reverse("live_badges"), HTTP_HX_REQUEST="true")

    assert poll.status_code == 204
    assert not list(poll.wsgi_request._messages)


def test_given_staff_who_passed_the_second_factor_then_the_counts_are_back(
    client, rep_with_unread, portal_site, cleared_cache, settings
):
    settings.STAFF_MFA_REQUIRED = True
    activate_totp(rep_with_unread)
    client.force_login(rep_with_unread)
    pass_totp(client, rep_with_unread)

    html = client.get(reverse("reps:accounts")).content.decode()

    assert "3 unread notifications" in html
    assert 'id="nav-messages-badge"' in html
