"""Staff get no page until *this session* has passed the second factor; members may set one up too.

Having an authenticator is not enough: a session opened with a password alone (the old
``/admin/login/`` and ``/cms/login/`` forms, or any future form) gives no staff page until a
code from the authenticator app has been entered in it.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests.factories import MembershipFactory, StaffFactory
from tests.mfa import activate_totp, current_code, login_with_totp, pass_totp

pytestmark = pytest.mark.django_db

# The pages the security review reached with a password alone (issue 13, finding 1).
STAFF_PAGES = ["/admin/", "/admin/api/apiclient/add/", "/cms/", "/staff/rewards/", "/staff/messages/"]


@pytest.fixture
def marketing(db):
    return StaffFactory(group="Marketing")


@pytest.fixture
def club_admin_with_totp(club_admin):
    activate_totp(club_admin)
    return club_admin


def _next(path: str) -> str:
    return quote(path, safe="")


def _open_totp_activation(client, url: str, password: str):
    """Follow ``url`` to the TOTP activation form, confirming the password on the way:
    allauth asks for it again before an authenticator is added."""
    response = client.get(url)
    if response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate")):
        confirmed = client.post(response["Location"], {"password": password})
        assert confirmed.status_code == 302, confirmed.content.decode()[:500]
        response = client.get(confirmed["Location"])
    return response


def _password_login(client, user, password):
    return client.post(reverse("account_login"), {"login": user.email, "password": password})


# --- Staff without an authenticator: set one up first -------------------------------------------


@pytest.mark.parametrize("path", ["/admin/", "/cms/", "/admin/members/company/", "/dashboard/"])
def test_given_staff_without_authenticator_when_opening_a_page_then_sent_to_totp_activation(
    client, club_admin, path, password, cleared_cache
):
    client.force_login(club_admin)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('mfa_activate_totp')}?next={_next(path)}"
    activation = _open_totp_activation(client, response["Location"], password)
    assert activation.status_code == 200
    assert activation.wsgi_request.path == reverse("mfa_activate_totp")
    assert "code" in activation.context["form"].fields


@pytest.mark.django_db(transaction=True)  # allauth announces the new authenticator on commit
def test_given_staff_who_just_set_up_totp_then_they_get_in_without_a_second_code(
    client, club_admin, password, cleared_cache, portal_site
):
    client.force_login(club_admin)
    activation = _open_totp_activation(client, reverse("mfa_activate_totp"), password)
    secret = activation.context["form"].secret

    activated = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})

    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=club_admin, type=Authenticator.Type.TOTP).exists()
    assert client.get("/admin/").status_code == 200
    assert client.get("/cms/").status_code == 200


@pytest.mark.django_db(transaction=True)  # allauth announces the new authenticator on commit
def test_given_staff_first_login_then_no_password_re_prompt_and_after_totp_set_up_the_page_asked_for(
    client, club_admin, password, cleared_cache, portal_site
):
    """The first login of a member of staff: password, then TOTP set-up (no second password
    prompt seconds after the first), then the page they asked for, not the recovery codes."""
    logged_in = _password_login(client, club_admin, password)
    assert logged_in.status_code == 302

    to_activation = client.get("/admin/members/company/")
    activation = client.get(to_activation["Location"])

    assert activation.status_code == 200, "a fresh login counts as recent authentication"
    assert activation.wsgi_request.path == reverse("mfa_activate_totp")
    assert 'name="next" value="/admin/members/company/"' in activation.content.decode()
    assert "Activate authenticator app" in activation.content.decode()
    secret = activation.context["form"].secret

    activated = client.post(
        reverse("mfa_activate_totp"), {"code": current_code(secret), "next": "/admin/members/company/"}
    )

    assert activated.status_code == 302
    assert activated["Location"] == "/admin/members/company/"
    landed = client.get(activated["Location"])
    assert landed.status_code == 200
    assert reverse("mfa_view_recovery_codes") in landed.content.decode(), "the codes are one link away"


def test_given_staff_setting_up_totp_with_a_foreign_next_then_it_is_not_followed(
    client, club_admin, password, cleared_cache
):
    _password_login(client, club_admin, password)
    activation = client.get(f"{reverse('mfa_activate_totp')}?next=https://evil.example/")
    secret = activation.context["form"].secret

    activated = client.post(
        reverse("mfa_activate_totp"), {"code": current_code(secret), "next": "https://evil.example/"}
    )

    assert activated["Location"] == reverse("mfa_view_recovery_codes")


def test_given_staff_with_only_recovery_codes_when_opening_admin_then_still_sent_to_activation(client, club_admin):
    Authenticator.objects.create(user=club_admin, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "00"})
    client.force_login(club_admin)

    assert client.get("/admin/")["Location"].startswith(reverse("mfa_activate_totp"))


# --- Staff with an authenticator: this session must have passed it ------------------------------


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_given_staff_with_totp_and_a_session_without_the_code_when_opening_a_staff_page_then_asked_for_the_code(
    client, club_admin_with_totp, path, portal_site
):
    client.force_login(club_admin_with_totp)  # what a password-only login gives

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('mfa_reauthenticate')}?next={_next(path)}"


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_given_staff_with_totp_when_the_code_is_entered_in_this_session_then_the_staff_page_opens(
    client, club_admin_with_totp, path, portal_site, cleared_cache
):
    client.force_login(club_admin_with_totp)
    assert client.get(path).status_code == 302

    pass_totp(client, club_admin_with_totp)

    assert client.get(path).status_code == 200


def test_given_the_code_form_when_entered_then_it_returns_to_the_page_asked_for(
    client, club_admin_with_totp, portal_site, cleared_cache
):
    client.force_login(club_admin_with_totp)
    asked = client.get("/staff/rewards/")["Location"]

    response = client.post(asked, {"code": current_code(_secret(club_admin_with_totp))})

    assert response.status_code == 302
    assert response["Location"] == "/staff/rewards/"


def test_given_a_wrong_code_when_entered_then_still_no_staff_page(client, club_admin_with_totp, cleared_cache):
    client.force_login(club_admin_with_totp)

    response = client.post(reverse("mfa_reauthenticate"), {"code": "000000"})

    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_given_staff_with_totp_and_no_code_in_this_session_then_they_cannot_remove_the_authenticator(
    client, club_admin_with_totp, password, cleared_cache
):
    """Removing TOTP with the password and setting up a new one would skip the code."""
    client.force_login(club_admin_with_totp)

    response = client.get(reverse("mfa_deactivate_totp"))
    client.post(reverse("account_reauthenticate"), {"password": password})
    removed = client.post(reverse("mfa_deactivate_totp"))

    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    assert removed["Location"].startswith(reverse("mfa_reauthenticate"))
    assert Authenticator.objects.filter(user=club_admin_with_totp, type=Authenticator.Type.TOTP).exists()


def test_given_another_persons_code_record_in_the_session_then_it_does_not_count(
    client, club_admin_with_totp, cleared_cache
):
    """allauth ties the records to the user: a member who passed TOTP, then a staff login in
    the same browser session, starts without a code."""
    member = MembershipFactory().user
    login_with_totp(client, member)

    client.force_login(club_admin_with_totp)

    assert client.get("/admin/")["Location"].startswith(reverse("mfa_reauthenticate"))


def test_given_staff_with_totp_when_logging_in_through_allauth_then_no_session_until_the_code(
    client, club_admin_with_totp, password, cleared_cache, portal_site
):
    response = _password_login(client, club_admin_with_totp, password)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    assert client.get("/cms/").status_code != 200

    code = client.post(reverse("mfa_authenticate"), {"code": current_code(_secret(club_admin_with_totp))})

    assert code.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/cms/").status_code == 200


def test_given_marketing_with_totp_when_opening_the_cms_then_they_get_in(client, marketing, portal_site, cleared_cache):
    login_with_totp(client, marketing)

    assert client.get("/cms/").status_code == 200


# --- The admins' own login forms are gone --------------------------------------------------------


@pytest.mark.parametrize("login_path", ["/admin/login/", "/cms/login/"])
def test_given_staff_with_totp_when_posting_the_password_to_an_admin_login_then_no_staff_session(
    client, club_admin_with_totp, password, login_path, portal_site, cleared_cache
):
    response = client.post(
        f"{login_path}?next=/admin/api/apiclient/add/",
        {"username": club_admin_with_totp.email, "email": club_admin_with_totp.email, "password": password},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={_next('/admin/api/apiclient/add/')}"
    assert "_auth_user_id" not in client.session
    for path in ["/admin/api/apiclient/add/", "/cms/", "/staff/rewards/"]:
        assert client.get(path).status_code != 200, path


@pytest.mark.parametrize(
    ("login_path", "default"),
    [("/admin/login/", "/admin/"), ("/cms/login/", "/cms/")],
)
def test_given_an_admin_login_link_when_opened_then_sent_to_the_one_login_with_a_safe_next(client, login_path, default):
    kept = client.get(f"{login_path}?next=/admin/members/company/")
    offsite = client.get(f"{login_path}?next=https://evil.example/")
    bare = client.get(login_path)

    assert kept["Location"] == f"{reverse('account_login')}?next={_next('/admin/members/company/')}"
    assert offsite["Location"] == f"{reverse('account_login')}?next={_next(default)}"
    assert bare["Location"] == f"{reverse('account_login')}?next={_next(default)}"


@pytest.mark.parametrize("path", ["/admin/", "/cms/"])
def test_given_an_anonymous_visitor_when_opening_an_admin_then_sent_to_the_one_login(client, path, portal_site):
    first = client.get(path)
    second = client.get(first["Location"])

    assert second.status_code == 302
    assert second["Location"] == f"{reverse('account_login')}?next={_next(path)}"


def test_given_a_member_when_opening_the_admin_then_not_let_in(member_client):
    response = member_client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert "_auth_user_id" in member_client.session  # told no, not logged out, no redirect loop


def test_given_a_member_when_opening_two_factor_pages_then_they_can_activate_totp(
    client, purchaser, password, cleared_cache
):
    client.force_login(purchaser)

    assert client.get(reverse("mfa_index")).status_code == 200
    activation = _open_totp_activation(client, reverse("mfa_activate_totp"), password)
    assert activation.status_code == 200
    assert "code" in activation.context["form"].fields


def test_given_a_member_with_totp_and_a_session_without_the_code_then_member_pages_still_open(client, purchaser):
    activate_totp(purchaser)
    client.force_login(purchaser)

    assert client.get("/dashboard/").status_code == 200


# --- Passwords are set only through allauth ------------------------------------------------------


def test_given_the_django_admin_then_it_neither_shows_nor_sets_passwords(client, club_admin, cleared_cache):
    login_with_totp(client, club_admin)
    person = MembershipFactory().user

    change = client.get(reverse("admin:members_user_change", args=[person.pk]))
    set_password = client.get(f"/admin/members/user/{person.pk}/password/")
    add = client.get(reverse("admin:members_user_add"))
    password_change = client.get("/admin/password_change/")

    assert change.status_code == 200
    assert 'type="password"' not in change.content.decode()
    assert "../password/" not in change.content.decode()
    assert set_password.status_code == 302  # Django's page is gone; the path falls to the change view's redirect
    assert 'type="password"' not in client.get(set_password["Location"], follow=True).content.decode()
    assert add.status_code == 200
    assert 'type="password"' not in add.content.decode()
    assert password_change["Location"] == reverse("account_change_password")


def test_given_a_person_added_in_the_django_admin_then_they_have_no_password_until_they_choose_one(
    client, club_admin, cleared_cache
):
    login_with_totp(client, club_admin)

    response = client.post(reverse("admin:members_user_add"), {"email": "new.staff@club.example"})

    assert response.status_code == 302
    from members.models import User

    assert not User.objects.get(email="new.staff@club.example").has_usable_password()


def test_given_wagtail_then_it_neither_sets_nor_resets_passwords(client, club_admin, portal_site, cleared_cache):
    login_with_totp(client, club_admin)

    assert client.get("/cms/account/change_password/").status_code == 404
    assert client.get("/cms/password_reset/").status_code == 404
    assert 'type="password"' not in client.get("/cms/users/add/").content.decode()
    assert 'type="password"' not in client.get(f"/cms/users/edit/{club_admin.pk}/").content.decode()


def _secret(user) -> str:
    from tests.mfa import totp_secret

    return totp_secret(user)
