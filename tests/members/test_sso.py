"""Single sign-on through a member company's own provider, against a real OpenID provider
(panva's oidc-provider on loopback, tests/oidc.py): who it may sign in, and who not."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import override_settings
from django.urls import reverse

from members.models import IdentityProvider, IdentityProviderDomain, Invitation, Membership, MembershipRole, User
from members.services import invitation_create
from members.sso import open_secret, seal_secret
from tests.factories import CompanyFactory, MembershipFactory, StaffFactory
from tests.mfa import activate_totp
from tests.oidc import CLIENT_ID, CLIENT_SECRET, UNVERIFIED, provider_url_from, sign_in

pytestmark = pytest.mark.django_db


def _provider(company, *, issuer: str, slug: str, domains=(), auto_join=False) -> IdentityProvider:
    provider = IdentityProvider.objects.create(
        company=company,
        name=f"{company.name} sign-in",
        slug=slug,
        issuer=issuer,
        client_id=CLIENT_ID,
        client_secret_sealed=seal_secret(CLIENT_SECRET),
    )
    for domain in domains:
        IdentityProviderDomain.objects.create(provider=provider, domain=domain, auto_join=auto_join)
    return provider


@pytest.fixture
def acme(db):
    return CompanyFactory(name="Acme AB")


@pytest.fixture
def globex(db):
    return CompanyFactory(name="Globex BV")


@pytest.fixture
def acme_idp(acme, oidc_providers):
    return _provider(acme, issuer=oidc_providers.issuers["acme"], slug="acme", domains=["acme.test"])


@pytest.fixture
def globex_idp(globex, oidc_providers):
    return _provider(globex, issuer=oidc_providers.issuers["globex"], slug="globex", domains=["globex.test"])


def _logged_in_as(client) -> User | None:
    response = client.get(reverse("members:profile"))
    if response.status_code != 200:
        return None
    return response.wsgi_request.user


def test_a_member_signs_in_through_their_companys_provider(client, acme, acme_idp):
    # given a member of Acme whose address is on Acme's domain
    member = MembershipFactory(company=acme, user__email="karin@acme.test").user

    # when she types her address and signs in at Acme's provider
    response = sign_in(client, email="karin@acme.test")

    # then she is back in the portal, logged in as herself, and linked to the provider's subject
    assert response.status_code == 302, response.content.decode()[:300]
    assert _logged_in_as(client) == member
    assert SocialAccount.objects.get(user=member).provider == "company-acme"


def test_an_address_without_a_provider_gets_the_password_field(client, acme_idp):
    response = client.post(reverse("account_login"), {"step": "email", "login": "someone@elsewhere.test"})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="password"' in page
    assert 'value="someone@elsewhere.test"' in page


def test_the_first_step_answers_the_same_for_an_address_with_or_without_an_account(client, acme_idp):
    # given one address of Acme's domain with an account here and one without
    MembershipFactory(company=acme_idp.company, user__email="known@acme.test")

    # when each is typed on the login page
    known = client.post(reverse("account_login"), {"step": "email", "login": "known@acme.test"})
    unknown = client.post(reverse("account_login"), {"step": "email", "login": "nobody@acme.test"})
    outside_known = client.post(reverse("account_login"), {"step": "email", "login": "x@elsewhere.test"})

    # then both go to Acme's provider: only the domain decides, nothing tells who has an account
    known_url, unknown_url = provider_url_from(known), provider_url_from(unknown)
    assert known_url.startswith(acme_idp.issuer + "/auth?")
    assert known_url.split("?")[0] == unknown_url.split("?")[0]
    assert "code_challenge_method=S256" in known_url and "login_hint=known%40acme.test" in known_url
    assert provider_url_from(outside_known) is None


def test_a_person_of_company_a_cannot_use_company_bs_provider(client, acme, globex, acme_idp, globex_idp):
    # given a member of Acme, and Globex's provider, which (by mistake or malice) vouches
    # for her address
    member = MembershipFactory(company=acme, user__email="karin@acme.test").user

    # when she is signed in at Globex's provider and comes back through it
    start = client.post(reverse("account_login"), {"step": "email", "login": "boss@globex.test"})
    response = sign_in(client, email="boss@globex.test", provider_login="karin@acme.test", start_response=start)

    # then the portal refuses: no session, no link to Globex's provider, still in Acme only
    assert response.status_code == 302 and response["Location"] == reverse("account_login")
    assert _logged_in_as(client) is None
    assert not SocialAccount.objects.filter(user=member).exists()
    assert Membership.objects.get(user=member).company == acme


def test_a_stranger_needs_an_invitation_or_a_domain_rule(client, acme_idp):
    # given Acme's domain without the joining rule
    # when someone of acme.test nobody invited signs in at Acme's provider
    response = sign_in(client, email="new@acme.test")

    # then no account is made, and they are told to ask for an invitation
    assert response.status_code == 302
    assert not User.objects.filter(email="new@acme.test").exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("invitation" in message for message in messages)


def test_the_domain_rule_lets_a_newcomer_join_with_the_lowest_role(client, acme, acme_idp):
    # given a club admin approved joining for acme.test
    acme_idp.domains.update(auto_join=True)

    # when a newcomer of acme.test signs in at Acme's provider
    response = sign_in(client, email="nils@acme.test")

    # then they have an account in Acme, as a viewer, logged in, with the provider's names
    assert response.status_code == 302
    newcomer = User.objects.get(email="nils@acme.test")
    assert Membership.objects.get(user=newcomer).company == acme
    assert Membership.objects.get(user=newcomer).role == MembershipRole.VIEWER
    assert _logged_in_as(client) == newcomer
    assert newcomer.first_name == "nils"


def test_an_invitation_brings_a_person_in_with_its_role(client, acme, acme_idp, company_admin):
    # given an invitation to Acme as purchaser for an address outside Acme's domains
    admin = MembershipFactory(company=acme, role=MembershipRole.ADMIN).user
    invitation = invitation_create(company=acme, email="partner@elsewhere.test", role="purchaser", invited_by=admin)

    # when they open the link and sign in at Acme's provider (the company's provider is
    # offered on the invitation's page)
    client.get(invitation.get_accept_url())
    signup = client.get(reverse("account_signup"))
    assert "Acme AB sign-in" in signup.content.decode()
    start = client.post(reverse("members:invitation_sso"))
    response = sign_in(client, email="partner@elsewhere.test", start_response=start)

    # then they joined Acme with the invitation's role, and the invitation is used
    assert response.status_code == 302
    person = User.objects.get(email="partner@elsewhere.test")
    assert Membership.objects.get(user=person).role == MembershipRole.PURCHASER
    invitation.refresh_from_db()
    assert invitation.accepted_by == person


def test_an_invitation_to_another_company_does_not_open_this_provider(client, acme, globex, globex_idp):
    # given an invitation to Acme, held in the session
    admin = MembershipFactory(company=acme, role=MembershipRole.ADMIN).user
    invitation = invitation_create(company=acme, email="pat@globex.test", role="viewer", invited_by=admin)
    client.get(invitation.get_accept_url())

    # when they sign in through Globex's provider instead
    response = sign_in(client, email="pat@globex.test")

    # then nobody is created: Globex's provider reaches Globex only
    assert response.status_code == 302
    assert not User.objects.filter(email="pat@globex.test").exists()
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is None


def test_an_unverified_address_is_refused(client, acme, acme_idp):
    MembershipFactory(company=acme, user__email=UNVERIFIED)

    response = sign_in(client, email=UNVERIFIED)

    assert response.status_code == 302
    assert _logged_in_as(client) is None
    assert any("verified" in str(m) for m in response.wsgi_request._messages)


def test_club_staff_cannot_sign_in_through_a_customers_provider(client, acme_idp):
    # given a club admin whose address a customer's provider claims
    StaffFactory(group="Club admins", email="admin@acme.test")

    response = sign_in(client, email="admin@acme.test")

    assert response.status_code == 302
    assert _logged_in_as(client) is None


def test_staff_signed_in_through_the_clubs_own_provider_still_need_their_code(client, oidc_providers, settings):
    # given the club's own provider (from the environment) and a club admin with TOTP
    staff = StaffFactory(group="Club admins", email="ops@club.test")
    activate_totp(staff)
    club_provider = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Club sign-in",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": oidc_providers.issuers["acme"], "oauth_pkce_enabled": True},
                }
            ]
        }
    }
    with override_settings(SOCIALACCOUNT_PROVIDERS=club_provider):
        # when they sign in at it
        start = client.post(reverse("openid_connect_login", kwargs={"provider_id": "sso"}))
        response = sign_in(client, email="ops@club.test", start_response=start)

        # then the provider alone opens no staff page: allauth asks for the code first
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_authenticate")
        assert client.get("/admin/").status_code == 302
        assert _logged_in_as(client) is None


def test_the_client_secret_is_sealed_and_opens_again():
    sealed = seal_secret("s3cret")
    assert "s3cret" not in sealed
    assert open_secret(sealed) == "s3cret"
    assert open_secret("garbage") == ""


def test_logout_ends_the_providers_session_too(client, acme, acme_idp):
    # given a member signed in through Acme's provider
    MembershipFactory(company=acme, user__email="karin@acme.test")
    sign_in(client, email="karin@acme.test")

    # when she logs out
    logged_out = client.post(reverse("account_logout"))
    onward = client.get(logged_out["Location"])

    # then the portal's session is over and the next page sends her to the provider's
    # end-session endpoint, which returns her to the login page
    assert _logged_in_as(client) is None
    url = provider_url_from(onward)
    assert url.startswith(f"{acme_idp.issuer}/session/end?")
    assert "post_logout_redirect_uri=http%3A%2F%2Ftestserver%2Faccounts%2Flogin%2F" in url
    assert f"client_id={CLIENT_ID}" in url


def test_the_address_step_is_throttled_like_the_password_form(client, acme_idp, settings, cleared_cache):
    settings.ACCOUNT_RATE_LIMITS = {"login": "3/m/ip"}
    answers = [
        client.post(reverse("account_login"), {"step": "email", "login": f"p{n}@acme.test"}).status_code
        for n in range(4)
    ]
    assert answers[:3] == [200, 200, 200] and answers[3] == 429


@pytest.mark.parametrize(
    "login", ["", "not-an-address", "nul\x00@acme.test", "a" * 300 + "@acme.test", "x@" + "a" * 300]
)
def test_a_malformed_address_gets_the_form_again(client, login):
    response = client.post(reverse("account_login"), {"step": "email", "login": login})
    assert response.status_code == 200
    assert 'name="password"' not in response.content.decode()


def test_the_client_secret_is_write_only_in_the_admin(client, acme, acme_idp, club_admin):
    from tests.mfa import login_with_totp

    login_with_totp(client, club_admin)
    url = reverse("admin:members_identityprovider_change", args=[acme_idp.pk])

    page = client.get(url).content.decode()
    assert CLIENT_SECRET not in page and acme_idp.client_secret_sealed not in page
    assert f"/accounts/oidc/{acme_idp.provider_id}/login/callback/" in page

    # changing the name with the secret left empty keeps the secret
    form = {
        "company": acme.pk,
        "name": "Acme (Entra ID)",
        "slug": "acme",
        "issuer": acme_idp.issuer,
        "client_id": CLIENT_ID,
        "client_secret": "",
        "is_active": "on",
        "domains-TOTAL_FORMS": "2",
        "domains-INITIAL_FORMS": "1",
        "domains-0-id": acme_idp.domains.get().pk,
        "domains-0-provider": acme_idp.pk,
        "domains-0-domain": "acme.test",
        "domains-0-auto_join": "on",
        "domains-1-provider": acme_idp.pk,
        "domains-1-domain": "gmail.com",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200 and "public mailbox provider" in refused.content.decode()
    form["domains-1-domain"] = "ACME-shop.test"
    saved = client.post(url, form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    acme_idp.refresh_from_db()
    assert acme_idp.name == "Acme (Entra ID)" and open_secret(acme_idp.client_secret_sealed) == CLIENT_SECRET
    # turning joining on is recorded as this club admin's approval; domains are stored lower case
    approved = acme_idp.domains.get(domain="acme.test")
    assert approved.approved_by == club_admin and approved.approved_at is not None
    assert acme_idp.domains.filter(domain="acme-shop.test", auto_join=False, approved_by=None).exists()


def test_a_sales_rep_cannot_open_the_providers_in_the_admin(client, acme_idp, rep):
    from tests.mfa import login_with_totp

    login_with_totp(client, rep)
    assert client.get(reverse("admin:members_identityprovider_changelist")).status_code == 403
    # (another account's row: the admin's scoping answers 404 before the permission's 403)
    assert client.get(reverse("admin:members_identityprovider_change", args=[acme_idp.pk])).status_code in (403, 404)
