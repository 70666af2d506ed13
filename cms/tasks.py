"""Periodic content work."""

from __future__ import annotations

from celery import shared_task
from django.core.management import call_command
from django.utils import timezone

from .notices import offer_announce, offers_announce_newly_current


@shared_task(name="cms.publish_scheduled")
def publish_scheduled() -> None:
    """Publish pages whose go-live time has come and unpublish expired ones.

    Wagtail's own command; safe to run twice (a page already published is skipped).
    """
    call_command("publish_scheduled", verbosity=0)


@shared_task
def announce_offer(offer_id: int) -> int:
    """Tell the members who may open a newly published offer; safe to run twice."""
    return offer_announce(offer_id=offer_id)


@shared_task
def announce_newly_current_offers() -> int:
    """Every few minutes: announce offers whose validity has just begun (published ahead)."""

    return offers_announce_newly_current(now=timezone.now())
