"""Second-factor helpers: staff sessions that passed TOTP the way a person's does.

``client.force_login`` opens a session with no authentication records, as a password-only
login would: staff get no staff page with it (members.middleware.StaffMFARequiredMiddleware).
These helpers go through allauth's own code form instead.
"""

from __future__ import annotations

import time

from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.totp.internal.auth import yield_hotp_counters_from_time as _counters
from django.urls import reverse


def activate_totp(user) -> str:
    """Give ``user`` a TOTP authenticator; return its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def current_code(secret: str) -> str:
    """The code an authenticator app shows now — or, in a window's last seconds, in the next
    window: a code read at 29.9 s of a 30 s window reaches a loaded server in the next one,
    where allauth (no tolerance, as in production) refuses it."""
    remaining = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
    if remaining < 3:
        time.sleep(remaining + 0.05)
    return format_hotp_value(hotp_value(secret, next(iter(_counters()))))


def totp_secret(user) -> str:
    from allauth.mfa.utils import decrypt

    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return decrypt(authenticator.data["secret"])


def pass_totp(client, user) -> None:
    """Enter ``user``'s current code on allauth's re-authentication form, in the client's
    (logged-in) session."""
    response = client.post(reverse("mfa_reauthenticate"), {"code": current_code(totp_secret(user))})
    assert response.status_code == 302, response.content.decode()[:500]


def login_with_totp(client, user):
    """Log ``user`` in for a session that passed TOTP (setting TOTP up if they have none)."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        activate_totp(user)
    client.force_login(user)
    pass_totp(client, user)
    return client
