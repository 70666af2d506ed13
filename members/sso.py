"""Single sign-on through each member company's own OpenID Connect provider.

allauth's ``openid_connect`` provider does the protocol (discovery, the authorization code
flow with PKCE, the ID token's issuer, audience and expiry); this module tells allauth which
providers exist (``company_social_apps``, read by ``SocialAccountAdapter.list_apps``) and
decides who a provider may sign in (``check_sso_login``):

- a provider belongs to one company and signs in only that company's people: its members,
  a person holding an invitation to it (for the invited address), and a new person whose
  address is on one of its domains approved for joining; never another company's people,
  never club staff;
- the provider must say the address is verified (``email_verified``, or Microsoft's
  ``xms_edov``, "e-mail domain owner verified"); an unverified claim is refused.

The login page routes by domain only (``provider_for_email``): before anyone has proved
who they are, it reveals which domains sign in elsewhere, a fact about companies that any
of their staff could tell, and nothing about whether an address has an account here.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from allauth.socialaccount.models import SocialApp
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from .invitations import open_invitation_from_session
from .models import (
    IDP_PROVIDER_ID_PREFIX,
    CompanyStatus,
    IdentityProvider,
    IdentityProviderDomain,
    Invitation,
    Membership,
    User,
)

logger = logging.getLogger(__name__)

OPENID_CONNECT = "openid_connect"
# The allauth provider id this session signed in through, for the logout at the provider.
SESSION_PROVIDER_KEY = "members.sso_provider_id"
# After logout, in the new session: where the provider ends its own session.
SESSION_LOGOUT_URL_KEY = "members.sso_logout_url"
DISCOVERY_CACHE_SECONDS = 300
DISCOVERY_TIMEOUT_SECONDS = 5


# --- The client secret, sealed -------------------------------------------------------------


def _fernet() -> MultiFernet:
    # One key per Django secret key, the current one first: rotating SECRET_KEY (with the old
    # one in SECRET_KEY_FALLBACKS) keeps the sealed secrets readable; saving re-seals them.
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"clubportal.sso-secret:{key}".encode()).digest()))
            for key in keys
        ]
    )


def seal_secret(secret: str) -> str:
    """The client secret encrypted for the database (Fernet: AES-128-CBC and HMAC-SHA256)."""
    return _fernet().encrypt(secret.encode()).decode()


def open_secret(sealed: str) -> str:
    """The client secret back, or ``""`` when it was sealed with a key no longer configured."""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        logger.error("An identity provider's client secret cannot be opened: was SECRET_KEY changed?")
        return ""


# --- Which providers exist -----------------------------------------------------------------


def issuer_is_allowed(url: str) -> bool:
    """Only HTTPS issuers, except on this machine's loopback (development and tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _usable_providers():
    return IdentityProvider.objects.select_related("company").filter(
        is_active=True, company__status=CompanyStatus.ACTIVE
    )


def email_domain(email: str) -> str:
    return (email or "").rpartition("@")[2].strip().lower()


def provider_for_email(email: str) -> IdentityProvider | None:
    """The active provider the login page sends ``email`` to (by its domain), if any."""
    domain = email_domain(email)
    if not domain:
        return None
    return _usable_providers().filter(domains__domain=domain).first()


def provider_for_company(company_id: int) -> IdentityProvider | None:
    """The company's active provider (the first, when it has several), if any."""
    return _usable_providers().filter(company_id=company_id).order_by("pk").first()


def provider_from_id(provider_id: str) -> IdentityProvider | None:
    """The company provider allauth knows as ``provider_id`` (active or not), if it is one."""
    if not provider_id or not provider_id.startswith(IDP_PROVIDER_ID_PREFIX):
        return None
    return (
        IdentityProvider.objects.select_related("company")
        .filter(slug=provider_id.removeprefix(IDP_PROVIDER_ID_PREFIX))
        .first()
    )


def social_app_for(provider: IdentityProvider) -> SocialApp:
    """An unsaved allauth ``SocialApp`` for ``provider`` (its secret opened for this use)."""
    return SocialApp(
        provider=OPENID_CONNECT,
        provider_id=provider.provider_id,
        name=provider.name,
        client_id=provider.client_id,
        secret=open_secret(provider.client_secret_sealed),
        settings={
            "server_url": provider.issuer,
            "oauth_pkce_enabled": True,
            # Not a button on the login page: people reach it by typing their address.
            "hidden": True,
        },
    )


def company_social_apps(*, provider: str | None = None, client_id: str | None = None) -> list[SocialApp]:
    """The company providers as allauth apps, narrowed as allauth's ``list_apps`` asks."""
    if provider and provider != OPENID_CONNECT and not provider.startswith(IDP_PROVIDER_ID_PREFIX):
        return []
    providers = _usable_providers()
    if provider and provider.startswith(IDP_PROVIDER_ID_PREFIX):
        providers = providers.filter(slug=provider.removeprefix(IDP_PROVIDER_ID_PREFIX))
    if client_id:
        providers = providers.filter(client_id=client_id)
    return [social_app_for(each) for each in providers]


# --- Who a provider may sign in --------------------------------------------------------------


class SSORefused(Exception):
    """A provider asserted someone it may not sign in here; the message is for them."""


@dataclass(frozen=True)
class SSOAdmission:
    """Why a company provider may sign this person in."""

    provider: IdentityProvider
    email: str
    user: User | None  # None: a new person (the account is created by allauth)
    membership: Membership | None  # their current membership in the provider's company
    invitation: Invitation | None  # the open invitation they hold, for this company and address
    joins_by_domain: bool  # a new member through the domain rule


def _claims(sociallogin) -> dict:
    data = sociallogin.account.extra_data or {}
    merged = dict(data.get("id_token") or {})
    merged.update(data.get("userinfo") or {})
    return merged


def email_is_verified(claims: dict) -> bool:
    """Whether the provider vouches for the address: ``email_verified`` (Google, most
    providers) or ``xms_edov`` (Microsoft Entra ID's optional claim, "the domain owner
    verified the address"). Strictly ``true``, not a string."""
    return claims.get("email_verified") is True or claims.get("xms_edov") is True


def check_sso_login(request, sociallogin) -> SSOAdmission | None:
    """Raise ``SSORefused`` unless the company provider of ``sociallogin`` may sign this
    person in; ``None`` for a provider that is not a company's (the club's own, from the
    environment, which keeps its behaviour: existing people, or an invitation)."""
    provider = provider_from_id(sociallogin.account.provider)
    if provider is None:
        return None
    refused = _("%(provider)s cannot sign you in here.") % {"provider": provider.name}
    if not provider.is_active or provider.company.status != CompanyStatus.ACTIVE:
        raise SSORefused(refused)
    claims = _claims(sociallogin)
    email = (claims.get("email") or "").strip()
    if not email or "@" not in email:
        raise SSORefused(_("%(provider)s did not tell us your e-mail address.") % {"provider": provider.name})
    if not email_is_verified(claims):
        raise SSORefused(
            _("%(provider)s did not confirm that %(email)s is verified, so it cannot sign you in.")
            % {"provider": provider.name, "email": email}
        )

    # The account the provider's subject is linked to, else the one with this address
    # (allauth's lookup by e-mail, which only connects a verified address).
    user = sociallogin.user if getattr(sociallogin.user, "pk", None) else None
    if user is None:
        user = User.objects.filter(email__iexact=email).first()
    if user is not None and (user.is_staff or user.is_superuser):
        # Club staff sign in with their password and their second factor, never through a
        # customer's provider (whose administrators could otherwise assert a staff address).
        raise SSORefused(_("Club staff sign in with their password and authenticator here."))

    membership = None
    if user is not None:
        membership = Membership.objects.filter(user=user).first()
        if membership is not None and membership.company_id != provider.company_id:
            raise SSORefused(refused)
        if membership is not None:
            return SSOAdmission(provider, email, user, membership, None, False)

    invitation = open_invitation_from_session(request)
    if invitation is not None and (
        invitation.company_id != provider.company_id or invitation.email.lower() != email.lower()
    ):
        invitation = None
    joins_by_domain = (
        invitation is None
        and IdentityProviderDomain.objects.filter(
            provider=provider, domain=email_domain(email), auto_join=True
        ).exists()
    )
    if invitation is None and not joins_by_domain:
        raise SSORefused(
            _("You need an invitation to %(company)s first. Ask your company's admin to invite %(email)s.")
            % {"company": provider.company, "email": email}
        )
    return SSOAdmission(provider, email, user, None, invitation, joins_by_domain)


# --- Logging out at the provider too ---------------------------------------------------------


def _discovery(server_url: str) -> dict:
    url = server_url if "/.well-known/" in server_url else server_url.rstrip("/") + "/.well-known/openid-configuration"
    cache_key = "members.sso.discovery:" + hashlib.sha256(url.encode()).hexdigest()
    config = cache.get(cache_key)
    if config is None:
        import requests

        try:
            response = requests.get(url, timeout=DISCOVERY_TIMEOUT_SECONDS)
            response.raise_for_status()
            config = response.json()
        except (requests.RequestException, ValueError):
            logger.warning("OpenID discovery failed for %s", url)
            return {}
        cache.set(cache_key, config, DISCOVERY_CACHE_SECONDS)
    return config if isinstance(config, dict) else {}


def provider_logout_url(*, request, app: SocialApp, post_logout_redirect_uri: str) -> str | None:
    """Where to send a person who signed in through ``app`` so the provider ends its session
    too (OpenID Connect RP-initiated logout), or ``None`` when the provider has no
    ``end_session_endpoint`` (Google, for one)."""
    endpoint = _discovery(app.settings.get("server_url", "")).get("end_session_endpoint")
    if not endpoint or not issuer_is_allowed(endpoint):
        return None
    query = urlencode({"client_id": app.client_id, "post_logout_redirect_uri": post_logout_redirect_uri})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
