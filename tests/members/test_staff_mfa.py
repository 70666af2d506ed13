"""Staff need two-factor authentication before any staff page; members may set it up too."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketing(db):
    return StaffFactory(group="Marketing")


def _open_totp_activation(client, url: str, password: str):
    """Follow ``url`` to the TOTP activation form, confirming the password on the way:
    allauth asks for it again before an authenticator is added."""
    response = client.get(url)
    if response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate")):
        confirmed = client.post(response["Location"], {"password": password})
        assert confirmed.status_code == 302, confirmed.content.decode()[:500]
        response = client.get(confirmed["Location"])
    return response


@pytest.mark.parametrize("path", ["/admin/", "/cms/", "/admin/members/company/"])
def test_given_staff_without_authenticator_when_opening_a_staff_page_then_sent_to_totp_activation(
    client, club_admin, path, password, cleared_cache
):
    client.force_login(club_admin)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('mfa_activate_totp')}?next={path}"
    activation = _open_totp_activation(client, response["Location"], password)
    assert activation.status_code == 200
    assert activation.wsgi_request.path == reverse("mfa_activate_totp")
    assert "code" in activation.context["form"].fields


def test_given_staff_with_totp_when_opening_the_admins_then_they_get_in(client, club_admin, portal_site):
    TOTP.activate(club_admin, generate_totp_secret())
    client.force_login(club_admin)

    django_admin = client.get("/admin/")
    wagtail_admin = client.get("/cms/")

    assert django_admin.status_code == 200
    assert "Site administration" in django_admin.content.decode()
    assert wagtail_admin.status_code == 200


def test_given_staff_with_only_recovery_codes_when_opening_admin_then_still_sent_to_activation(client, club_admin):
    Authenticator.objects.create(user=club_admin, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "00"})
    client.force_login(club_admin)

    assert client.get("/admin/")["Location"].startswith(reverse("mfa_activate_totp"))


def test_given_marketing_with_totp_when_opening_the_cms_then_they_get_in(client, marketing, portal_site):
    TOTP.activate(marketing, generate_totp_secret())
    client.force_login(marketing)

    assert client.get("/cms/").status_code == 200


def test_given_a_member_when_opening_two_factor_pages_then_they_can_activate_totp(
    client, purchaser, password, cleared_cache
):
    client.force_login(purchaser)

    assert client.get(reverse("mfa_index")).status_code == 200
    activation = _open_totp_activation(client, reverse("mfa_activate_totp"), password)
    assert activation.status_code == 200
    assert "code" in activation.context["form"].fields


def test_given_a_member_when_opening_the_admin_then_not_let_in(member_client):
    response = member_client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
