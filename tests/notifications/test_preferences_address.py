"""The e-mail preferences' address (where their form posts) opened directly."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_given_a_member_when_reloading_or_bookmarking_the_preferences_address_then_the_form_is_shown(member_client):
    response = member_client.get(reverse("notifications:preferences"), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"{reverse('members:profile')}#notification-preferences"
    page = response.content.decode()
    assert 'id="notification-preferences"' in page
    assert f'action="{reverse("notifications:preferences")}"' in page


def test_given_a_visitor_when_opening_the_preferences_address_then_asked_to_log_in(client):
    response = client.get(reverse("notifications:preferences"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
