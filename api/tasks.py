"""The worker's side of webhooks (``api.webhooks``) and of API import jobs."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from core.mail import send_branded_mail
from members.languages import people_languages
from members.staff_groups import CLUB_ADMINS

from .models import WebhookEndpoint
from .webhooks import webhook_flush, webhooks_retry_due


@shared_task
def flush_webhooks(endpoint_id: int, company_id: int) -> int:
    """Send one (endpoint, company) queue in order. Queued through the outbox after the write
    that recorded the events commits; safe to run twice (the head is claimed under its lock,
    a delivered one is not sent again)."""
    return webhook_flush(endpoint_id=endpoint_id, company_id=company_id)


@shared_task
def retry_due_webhooks() -> int:
    """Every minute: queue the flush of every queue whose head is due for its next attempt."""
    return webhooks_retry_due()


@shared_task
def notify_endpoint_disabled(endpoint_id: int) -> int:
    """E-mail the club admins that an endpoint was disabled after failing for days. Queued
    once, in the transaction that disabled it; a second run sends the notice again (rare:
    only if the outbox publishes twice), which is harmless."""
    endpoint = WebhookEndpoint.objects.select_related("client").filter(pk=endpoint_id).first()
    if endpoint is None or endpoint.is_active:
        return 0
    admins = list(get_user_model().objects.filter(is_active=True, is_staff=True, groups__name=CLUB_ADMINS).distinct())
    languages = people_languages(admins)
    url = settings.SITE_URL.rstrip("/") + reverse("admin:api_webhookendpoint_change", args=[endpoint.pk])
    sent = 0
    for admin in admins:
        send_branded_mail(
            template="api/email/endpoint_disabled",
            to=admin.email,
            context={"endpoint": endpoint, "client": endpoint.client, "admin_url": url},
            language=languages.get(admin.pk),
        )
        sent += 1
    return sent
