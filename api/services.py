"""Writes for the integration API: creating, revoking and authenticating API clients."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from members.models import User

from .models import ApiClient

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


def api_client_create(*, name: str, source: str, created_by: User | None) -> tuple[ApiClient, str]:
    """Create a client and return it with its token, the only time the token exists in clear.

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
    )
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
