"""Writes for the integration API: creating, revoking and authenticating API clients, and
what a client may do (its scopes and its companies)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Company, User

from .models import ApiClient, ApiScope

TOKEN_PREFIX = "cp"
# Recording every use would cost a write per request; once a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split_token(token: str) -> tuple[str, str] | None:
    parts = token.strip().split("_")
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class ApiAccessDenied(Exception):
    """The client may not do this (a scope it lacks, a company it may not use); the message
    says what, for the integrator (API: 403)."""


def api_client_create(
    *,
    name: str,
    source: str,
    created_by: User | None,
    scopes: list[str] | None = None,
    all_companies: bool = True,
    companies=(),
) -> tuple[ApiClient, str]:
    """Create a client and return it with its token, the only time the token exists in clear.

    ``scopes`` defaults to every scope (``ApiScope``); ``all_companies=False`` limits the
    client to ``companies`` and those it creates.

    The token is ``cp_<prefix>_<secret>``: 12 hex characters to look the row up and 43
    URL-safe characters (256 bits) of secret, of which only the SHA-256 hash is stored.
    """
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32).replace("_", "-")  # "_" separates the parts
    client = ApiClient.objects.create(
        name=name.strip(),
        source=source,
        token_prefix=prefix,
        secret_hash=_secret_hash(secret),
        created_by=created_by,
        scopes=list(ApiScope.values) if scopes is None else [ApiScope(scope).value for scope in scopes],
        all_companies=all_companies,
    )
    if companies:
        client.companies.set(companies)
    return client, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def api_client_revoke(*, client: ApiClient, now: datetime | None = None) -> ApiClient:
    """Revoke a client: its token stops working at once. Revoking twice keeps the first date."""
    with transaction.atomic():
        client = ApiClient.objects.select_for_update().get(pk=client.pk)
        if client.revoked_at is None:
            client.revoked_at = now or timezone.now()
            client.save(update_fields=["revoked_at"])
    return client


def api_client_authenticate(*, token: str, now: datetime | None = None) -> ApiClient | None:
    """The active client whose token this is, or None. One query (two when ``last_used_at``
    is more than a minute old).

    The secret is compared by hash with ``hmac.compare_digest``, so the time taken does
    not reveal how much of a guessed secret was right; the prefix only finds the row.
    """
    parts = _split_token(token)
    if parts is None:
        return None
    prefix, secret = parts
    client = ApiClient.objects.filter(token_prefix=prefix, revoked_at__isnull=True).first()
    if client is None:
        return None
    if not hmac.compare_digest(_secret_hash(secret), client.secret_hash):
        return None
    now = now or timezone.now()
    if client.last_used_at is None or client.last_used_at < now - LAST_USED_RESOLUTION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client


def api_client_require_scope(*, client: ApiClient, scope: ApiScope) -> None:
    """Raise ``ApiAccessDenied`` unless ``client`` holds ``scope``."""
    if not client.has_scope(scope):
        raise ApiAccessDenied(
            _("This API client lacks the permission %(scope)s (%(label)s); ask the club to grant it.")
            % {"scope": scope.value, "label": scope.label}
        )


def api_client_company_q(*, client: ApiClient, path: str = "") -> Q:
    """The rows (of companies, or reached by ``path`` to a company) ``client`` may use."""
    if client.all_companies:
        return Q()
    prefix = f"{path}__" if path else ""
    return Q(
        **{f"{prefix}pk__in": client.companies.through.objects.filter(apiclient_id=client.pk).values("company_id")}
    )


def api_client_require_company(*, client: ApiClient, company: Company) -> None:
    """Raise ``ApiAccessDenied`` unless ``client`` may use ``company``. One query for a
    limited client, none otherwise."""
    if client.all_companies or client.companies.filter(pk=company.pk).exists():
        return
    raise ApiAccessDenied(
        _("This API client may use only the companies it created or was given; %(ref)s is not one of them.")
        % {"ref": company.external_id}
    )


def api_client_company_created(*, client: ApiClient, company: Company) -> None:
    """Record that ``client`` created ``company``: a limited client may use it from now on."""
    if not client.all_companies:
        client.companies.add(company)
