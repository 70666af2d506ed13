"""Every way in: each URL that accepts a password, found by walking the URL configuration.

The walk GETs every route (its parameters filled with real ids where it can) as an anonymous
visitor, as a member and as a club admin whose session passed TOTP, and collects every page
that shows a password field. The set must be exactly ``PASSWORD_PAGES`` below, allauth's
forms; a new form with a password field (a library's, a future view's) fails this test until
it is added there with its proofs. For each door, the tests below prove that guessing is
throttled and that the session it leaves gives a staff member with TOTP no staff page
without the code. The admins' own login and password pages, and Wagtail's front-end login,
are checked as known POST endpoints: they redirect to allauth's login and log no one in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404

from tests.factories import MembershipFactory, StaffFactory
from tests.mfa import activate_totp, current_code, login_with_totp, totp_secret

pytestmark = pytest.mark.django_db

PASSWORD_INPUT = re.compile(r"<input[^>]*type=[\"']?password", re.IGNORECASE)

# URL name -> what the form does. Only allauth's: throttled, and behind the MFA stage.
PASSWORD_PAGES = {
    "account_login": "logs in (then the MFA stage for whoever has an authenticator)",
    "account_reauthenticate": "confirms the password of the logged-in person",
    "account_change_password": "changes the logged-in person's password",
    "account_set_password": "sets a first password for a logged-in person without one",
    "account_signup": "sets the password of a new member (by invitation)",
    "account_reset_password_from_key": "sets a new password with an e-mailed key",
}
# Masked fields that are no way in: a member company's OpenID client secret, typed once by a
# club admin and never shown again (members.admin.IdentityProviderAdminForm).
NOT_A_WAY_IN = {
    "members_identityprovider_add": "a company provider's client secret",
    "members_identityprovider_change": "a company provider's client secret",
}
# Forms that used to accept a password outside allauth: now a redirect to allauth's login
# (or its password change), never a session.
REPLACED_DOORS = ["/admin/login/", "/cms/login/", "/_util/login/", "/admin/password_change/"]

# Paths whose GET does something (or streams without end) rather than show a page.
SKIP_NAMES = {"account_logout", "wagtail_serve", "live_badges", "healthz"}
SAMPLE_UUID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Route:
    path: str
    name: str | None


def _routes(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def _concrete(pattern: str, object_id: int) -> str | None:
    """A path for ``pattern`` with its parameters filled in (ids with ``object_id``, a real
    person); None for a regular expression this cannot fill."""
    path = re.sub(r"\(\?P<\w+>[^)]*\)", str(object_id), pattern)  # re_path groups
    path = re.sub(
        r"<(?:(\w+):)?\w+>",
        lambda match: SAMPLE_UUID if match.group(1) == "uuid" else str(object_id),
        path,
    )
    path = path.replace("^", "").replace("$", "").replace("\\Z", "")
    if re.search(r"[()\[\]*+?\\|]", path):
        return None
    return "/" + path


def all_routes(object_id: int) -> list[Route]:
    routes = []
    for pattern, name in _routes(get_resolver().url_patterns):
        if name in SKIP_NAMES:
            continue
        path = _concrete(pattern, object_id)
        if path is None:
            continue
        try:
            resolve(path)
        except Resolver404:
            continue
        routes.append(Route(path, name))
    return routes


def _pages_with_password_fields(client, routes) -> dict[str, str]:
    """URL name (or path) -> path of every page among ``routes`` that shows a password field."""
    found = {}
    for route in routes:
        response = client.get(route.path)
        if response.status_code != 200 or getattr(response, "streaming", False):
            continue  # a download (the JSON of "My data") is no form
        if PASSWORD_INPUT.search(response.content.decode(errors="replace")):
            found[route.name or route.path] = route.path
    return found


@pytest.fixture
def superuser(db):
    return StaffFactory(group="Club admins", is_superuser=True)


def test_the_walk_reaches_every_part_of_the_site(superuser):
    paths = [route.path for route in all_routes(superuser.pk)]

    for prefix in ["/accounts/", "/admin/", "/cms/", "/staff/", "/api/v1/", "/messages/", "/_util/"]:
        assert sum(path.startswith(prefix) for path in paths) >= 1, prefix
    assert len(paths) > 400


def test_every_page_with_a_password_field_is_one_of_allauths_forms(superuser, portal_site, cleared_cache, settings):
    settings.ACCOUNT_RATE_LIMITS = False  # the walk itself must not be throttled
    # A page that fails on a made-up id is not a door; other tests look for 500s.
    client = Client(raise_request_exception=False)
    routes = all_routes(superuser.pk)
    member = MembershipFactory().user

    anonymous = _pages_with_password_fields(client, routes)
    client.force_login(member)
    as_member = _pages_with_password_fields(client, routes)
    client.logout()
    login_with_totp(client, superuser)
    as_staff = _pages_with_password_fields(client, routes)

    found = anonymous | as_member | as_staff
    unknown = {name: path for name, path in found.items() if name not in PASSWORD_PAGES and name not in NOT_A_WAY_IN}
    assert not unknown, f"pages with a password field outside allauth: {unknown}"
    # The walk does see them (the reset form needs an e-mailed key, the first-password form a
    # person without a password, sign-up an invitation: each is proved below).
    # The login page asks for the address first; its password field is the second step.
    password_step = Client().post(reverse("account_login"), {"step": "email", "login": "someone@example.com"})
    assert PASSWORD_INPUT.search(password_step.content.decode())
    assert "account_login" not in anonymous
    assert {"account_reauthenticate", "account_change_password"} <= as_member.keys() & as_staff.keys()


def test_every_password_page_named_here_exists():
    for name in PASSWORD_PAGES:
        assert [route for route in _routes(get_resolver().url_patterns) if route[1] == name], name


# --- The replaced doors: no session from a password ---------------------------------------------


@pytest.mark.parametrize("path", REPLACED_DOORS)
def test_given_a_replaced_door_when_a_staff_password_is_posted_then_no_one_is_logged_in(
    client, superuser, password, path, cleared_cache, portal_site
):
    activate_totp(superuser)
    response = client.post(
        path,
        {"username": superuser.email, "email": superuser.email, "login": superuser.email, "password": password},
    )

    assert response.status_code == 302
    assert response["Location"].startswith((reverse("account_login"), reverse("account_change_password")))
    assert "_auth_user_id" not in client.session


# --- Each door is throttled ----------------------------------------------------------------------


def _guesses_then_right(client, url, wrong: dict, right: dict, attempts: int):
    for _ in range(attempts):
        client.post(url, wrong)
    return client.post(url, right)


def test_login_door_is_throttled(client, superuser, password, cleared_cache):
    response = _guesses_then_right(
        client,
        reverse("account_login"),
        {"login": superuser.email, "password": "wrong-guess"},
        {"login": superuser.email, "password": password},
        attempts=5,
    )

    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_reauthenticate_door_is_throttled(client, password, cleared_cache):
    member = MembershipFactory().user
    client.force_login(member)

    response = _guesses_then_right(
        client, reverse("account_reauthenticate"), {"password": "wrong-guess"}, {"password": password}, attempts=10
    )

    assert response.status_code == 429


def test_change_password_door_is_throttled(client, password, cleared_cache):
    member = MembershipFactory().user
    client.force_login(member)
    new = {"password1": "a-new-long-passphrase-1", "password2": "a-new-long-passphrase-1"}

    response = _guesses_then_right(
        client,
        reverse("account_change_password"),
        {"oldpassword": "wrong-guess", **new},
        {"oldpassword": password, **new},
        attempts=5,
    )

    assert response.status_code == 429
    member.refresh_from_db()
    assert member.check_password(password)


def test_set_password_door_is_throttled(client, cleared_cache):
    member = MembershipFactory().user
    member.set_unusable_password()
    member.save()
    client.force_login(member)
    assert PASSWORD_INPUT.search(client.get(reverse("account_set_password")).content.decode())
    mismatch = {"password1": "a-new-long-passphrase-1", "password2": "another-passphrase-2"}

    response = _guesses_then_right(
        client,
        reverse("account_set_password"),
        mismatch,
        {"password1": "a-new-long-passphrase-1", "password2": "a-new-long-passphrase-1"},
        attempts=5,
    )

    assert response.status_code == 429


def test_signup_door_is_throttled(client, cleared_cache):
    attempt = {"email": "someone@example.com", "password1": "x", "password2": "y"}

    response = _guesses_then_right(client, reverse("account_signup"), attempt, attempt, attempts=20)

    assert response.status_code == 429


def test_reset_password_from_key_door_is_throttled_and_logs_no_one_in(client, superuser, cleared_cache, mailoutbox):
    activate_totp(superuser)
    client.post(reverse("account_reset_password"), {"email": superuser.email})
    key_url = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mailoutbox[-1].body).group(1)
    form_url = client.get(key_url)["Location"]
    assert PASSWORD_INPUT.search(client.get(form_url).content.decode())
    new = {"password1": "a-new-long-passphrase-1", "password2": "a-new-long-passphrase-1"}

    done = client.post(form_url, new)

    assert done.status_code == 302
    assert "_auth_user_id" not in client.session  # ACCOUNT_LOGIN_ON_PASSWORD_RESET is off
    assert client.get("/admin/").status_code == 302
    statuses = [client.post(form_url, new).status_code for _ in range(20)]
    assert statuses[-1] == 429


# --- No door gives staff a staff page without the code --------------------------------------------


@pytest.fixture
def staff_with_totp(superuser):
    activate_totp(superuser)
    return superuser


def _no_staff_page(client):
    for path in ["/admin/", "/admin/api/apiclient/add/", "/cms/", "/staff/rewards/"]:
        assert client.get(path).status_code != 200, path


def test_login_door_gives_staff_no_staff_page_before_the_code(client, staff_with_totp, password, cleared_cache):
    client.post(reverse("account_login"), {"login": staff_with_totp.email, "password": password})

    _no_staff_page(client)
    client.post(reverse("mfa_authenticate"), {"code": current_code(totp_secret(staff_with_totp))})
    assert client.get("/admin/").status_code == 200


def test_reauthenticate_door_gives_staff_no_staff_page_before_the_code(
    client, staff_with_totp, password, cleared_cache, portal_site
):
    client.force_login(staff_with_totp)  # a session without the code, however it was opened

    client.post(reverse("account_reauthenticate"), {"password": password})

    _no_staff_page(client)


def test_change_password_door_gives_staff_no_staff_page_before_the_code(
    client, staff_with_totp, password, cleared_cache, portal_site
):
    client.force_login(staff_with_totp)
    new = "a-new-long-passphrase-1"

    client.post(reverse("account_change_password"), {"oldpassword": password, "password1": new, "password2": new})

    _no_staff_page(client)


def test_set_password_door_gives_staff_no_staff_page_before_the_code(client, staff_with_totp, cleared_cache):
    staff_with_totp.set_unusable_password()
    staff_with_totp.save()
    client.force_login(staff_with_totp)
    new = "a-new-long-passphrase-1"

    client.post(reverse("account_set_password"), {"password1": new, "password2": new})

    _no_staff_page(client)


def test_signup_door_creates_no_staff(client, cleared_cache):
    """Sign-up makes members only (by invitation); it cannot open a staff session at all."""
    new = "a-new-long-passphrase-1"
    client.post(reverse("account_signup"), {"email": "walk-in@example.com", "password1": new, "password2": new})

    _no_staff_page(client)
    assert settings.ACCOUNT_FORMS["signup"] == "members.forms.InvitationSignupForm"
