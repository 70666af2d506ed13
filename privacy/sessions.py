"""A person's open sessions (the database session store keeps no user column)."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.utils import timezone

from members.models import User


def sessions_of(*, user: User) -> list[Session]:
    """The person's unexpired sessions. Reads every open session: fine for an export or an
    erasure, which are rare."""
    found = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=500):
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            found.append(session)
    return found
