"""Demo notifications: what happened lately for the demo club's members, through the real
sources (the points of each company's latest purchase, the offers they may open), in the
portal only — seeding never sends e-mails. Idempotent: each source's key notifies once."""

from __future__ import annotations

from cms.models import OfferPage
from cms.notices import offer_announce
from members.models import Company
from notifications.models import Notification
from rewards.ledger.notices import purchase_points_notify
from rewards.models import EntryKind, LedgerEntry


def seed_notifications(summary, companies: list[Company]) -> None:
    before = Notification.objects.count()
    for company in companies:
        earn = (
            LedgerEntry.objects.filter(account__company=company, kind=EntryKind.EARN, purchase__isnull=False)
            .select_related("purchase")
            .order_by("-created_at", "-pk")
            .first()
        )
        if earn is not None:
            purchase_points_notify(
                company_id=company.pk,
                purchase_id=earn.purchase_id,
                external_id=earn.purchase.external_id,
                points=earn.net_points,
                available_at=earn.available_at,
                now=earn.created_at,
            )
    for offer in OfferPage.objects.live().order_by("pk"):
        offer_announce(offer_id=offer.pk, email=False)
    for _ in range(Notification.objects.count() - before):
        summary.count("notifications", True)
