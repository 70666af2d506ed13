"""Removing what the portal keeps longer than the club's retention settings."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.db.models.functions import Coalesce

from members.models import Invitation, User
from messaging.models import Attachment
from privacy.models import RetentionSettings
from privacy.services import ERASED_DOMAIN, PrivacyError, person_erase

logger = logging.getLogger(__name__)


def retention_purge(*, now: datetime) -> dict[str, int]:
    """Delete invitations expired (or revoked) ``expired_invitation_days`` ago and unaccepted,
    message attachments older than ``attachment_days`` (file and row), and erase contacts
    without a company or staff access whose last log-in (or joining) is older than
    ``removed_contact_days``. Idempotent: a second run finds nothing. Each count is logged."""
    rules = RetentionSettings.current()
    invitation_cutoff = now - timedelta(days=rules.expired_invitation_days)
    invitations, _by_model = (
        Invitation.objects.filter(accepted_at__isnull=True)
        .filter(Q(expires_at__lt=invitation_cutoff) | Q(revoked_at__lt=invitation_cutoff))
        .delete()
    )

    attachment_cutoff = now - timedelta(days=rules.attachment_days)
    attachments = 0
    for attachment in Attachment.objects.filter(message__created_at__lt=attachment_cutoff).iterator(chunk_size=200):
        attachment.file.delete(save=False)
        attachment.delete()
        attachments += 1

    contact_cutoff = now - timedelta(days=rules.removed_contact_days)
    contacts = 0
    stale = (
        User.objects.annotate(seen=Coalesce("last_login", "date_joined"))
        .filter(seen__lt=contact_cutoff, membership__isnull=True, is_staff=False, is_superuser=False)
        .exclude(email__endswith=f"@{ERASED_DOMAIN}")
    )
    for user in stale.iterator(chunk_size=200):
        try:
            person_erase(user=user, by=None)
        except PrivacyError:
            logger.exception("Retention could not erase user %s", user.pk)
        else:
            contacts += 1

    counts = {"invitations": invitations, "attachments": attachments, "contacts": contacts}
    logger.info("Retention purge: %s", counts)
    return counts
