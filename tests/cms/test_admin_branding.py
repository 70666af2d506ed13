"""The Wagtail admin wears the club's name and logo, not Wagtail's."""

from __future__ import annotations

import pytest

from tests.factories import StaffFactory
from tests.mfa import login_with_totp

pytestmark = pytest.mark.django_db


def test_the_cms_shows_the_club_name_and_logo_instead_of_wagtail(client, portal_site):
    from core.models import Branding

    club_name = Branding.for_site(portal_site).club_name
    login_with_totp(client, StaffFactory(group="Marketing"))

    html = client.get("/cms/").content.decode()

    assert f"- {club_name}</title>" in html
    assert "Wagtail</title>" not in html
    assert 'class="club-admin-logo"' in html
    assert f'alt="{club_name}"' in html
