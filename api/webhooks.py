"""Outbound webhooks (Standard Webhooks), for API clients.

**Endpoints.** A client registers endpoints (``webhook_endpoint_create``: URL, the event
types it wants) through the API; the signing secret (``whsec_…``) is returned once.
``webhook_endpoint_rotate_secret`` makes a new one and keeps the old one signing for
``WEBHOOKS_SECRET_OVERLAP_HOURS``. A client receives only events of the companies it may use
and of the types its scopes allow it to read (``EVENT_SCOPES``).

**Recording.** Domain apps announce events with ``outbox.events.event_emit`` in their write's
transaction; ``events_record`` (the sink registered in ``ApiConfig.ready``) writes, in that
same transaction, one ``WebhookEvent`` per event that any endpoint wants and one
``WebhookDelivery`` per endpoint, and queues the flush task through the outbox. A rollback
takes all of it away; a commit keeps it even if the broker is down.

**Delivering** (``webhook_flush``, run by the worker after the commit and by the retry job
every minute). Deliveries of one company to one endpoint form a queue in event order: only
its head is attempted; while the head waits for a retry, the events behind it wait too, so
a receiver sees each company's events in the order they happened. Every attempt is signed
afresh with the library (``standardwebhooks``: ``webhook-id`` is the event id, the same on
every attempt, so a receiver de-duplicates by it; ``webhook-timestamp`` is the attempt's
time) and logged (``WebhookAttempt``: time, response code, duration, error). A failed
attempt is retried after ``RETRY_DELAYS`` (5 s up to a day: about three days in all); after
the last one the delivery is given up and the queue moves on. An endpoint failing with no
success for ``WEBHOOKS_DISABLE_AFTER_DAYS`` is disabled and the club admins are e-mailed;
its waiting deliveries stay and go out, in order, once staff enable it again.

The head is claimed under its row lock (``SKIP LOCKED``), so two workers never send the same
delivery at once; a crash after the receiver answered but before the commit sends it again
(at least once), which the event id makes harmless.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from members.models import Company
from outbox.events import EVENT_VERSIONS, DomainEvent, EventType
from outbox.services import outbox_enqueue

from . import webhook_http
from .models import (
    ApiClient,
    ApiScope,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

# After the n-th failed attempt, the next comes this much later (the Standard Webhooks
# suggestion, stretched to about three days); after the last, the delivery is given up.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
ENDPOINTS_PER_CLIENT = 10
# A flush sends at most this many deliveries of one queue, then queues its own continuation.
FLUSH_BATCH = 200

# Which scope a client needs to receive an event type.
EVENT_SCOPES: dict[str, ApiScope] = {
    EventType.PURCHASE_EARNED: ApiScope.POINTS_READ,
    EventType.POINTS_RELEASED: ApiScope.POINTS_READ,
    EventType.POINTS_EXPIRED: ApiScope.POINTS_READ,
    EventType.TIER_CHANGED: ApiScope.POINTS_READ,
    EventType.REDEMPTION_CREATED: ApiScope.REDEMPTIONS_READ,
    EventType.REDEMPTION_APPROVED: ApiScope.REDEMPTIONS_READ,
    EventType.REDEMPTION_REJECTED: ApiScope.REDEMPTIONS_READ,
    EventType.REDEMPTION_CANCELLED: ApiScope.REDEMPTIONS_READ,
    EventType.REDEMPTION_FULFILLED: ApiScope.REDEMPTIONS_READ,
    EventType.COMPANY_CREATED: ApiScope.COMPANIES_WRITE,
    EventType.COMPANY_SUSPENDED: ApiScope.COMPANIES_WRITE,
    EventType.COMPANY_CLOSED: ApiScope.COMPANIES_WRITE,
    EventType.COMPANY_REOPENED: ApiScope.COMPANIES_WRITE,
    EventType.INVOICE_CREDIT_CREATED: ApiScope.INVOICE_CREDITS_READ,
    EventType.INVOICE_CREDIT_APPLIED: ApiScope.INVOICE_CREDITS_READ,
}


class WebhookError(Exception):
    """A request about endpoints that cannot be done; the message says why and ``field``
    which input (API: 422 naming it)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- Endpoints -----------------------------------------------------------------------------


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _clean_event_types(client: ApiClient, event_types: list[str]) -> list[str]:
    chosen = []
    for event_type in event_types:
        if event_type not in EVENT_VERSIONS:
            raise WebhookError(_("Unknown event type %(type)s.") % {"type": event_type}, field="events")
        scope = EVENT_SCOPES[event_type]
        if not client.has_scope(scope):
            raise WebhookError(
                _("Receiving %(type)s needs the permission %(scope)s, which this client lacks.")
                % {"type": event_type, "scope": scope.value},
                field="events",
            )
        if event_type not in chosen:
            chosen.append(event_type)
    if not chosen:
        raise WebhookError(_("Choose at least one event type."), field="events")
    return [event_type for event_type in EVENT_VERSIONS if event_type in chosen]


def _clean_url(url: str) -> str:
    url = url.strip()
    try:
        webhook_http.url_validate(url)
    except webhook_http.UnsafeUrl as exc:
        raise WebhookError(str(exc), field="url") from exc
    return url


def webhook_endpoint_create(
    *, client: ApiClient, url: str, event_types: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for ``client``; returns it with its signing secret (the only time
    the secret is returned). The URL must resolve to public addresses (see
    ``api.webhook_http``); the event types must be known and readable by the client."""
    url = _clean_url(url)
    event_types = _clean_event_types(client, event_types)
    with transaction.atomic():
        ApiClient.objects.select_for_update().get(pk=client.pk)  # the limit below, one at a time
        if WebhookEndpoint.objects.filter(client=client).count() >= ENDPOINTS_PER_CLIENT:
            raise WebhookError(_("A client may have at most %(count)s endpoints.") % {"count": ENDPOINTS_PER_CLIENT})
        secret = _new_secret()
        endpoint = WebhookEndpoint.objects.create(
            client=client, url=url, event_types=event_types, description=description.strip(), secret=secret
        )
    subscriptions_forget()
    return endpoint, secret


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint. Enabling one that was disabled clears its failure record and sends
    what waited, in order."""
    url = _clean_url(url) if url is not None else None
    event_types = _clean_event_types(endpoint.client, event_types) if event_types is not None else None
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().select_related("client").get(pk=endpoint.pk)
        if url is not None:
            endpoint.url = url
        if event_types is not None:
            endpoint.event_types = event_types
        if description is not None:
            endpoint.description = description.strip()
        if is_active is not None and is_active != endpoint.is_active:
            endpoint.is_active = is_active
            if is_active:
                endpoint.failing_since = None
                endpoint.disabled_at = None
                endpoint.disabled_reason = ""
                # What waited is due now, not at the end of its backoff.
                now = timezone.now()
                endpoint.deliveries.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=now)
            else:
                endpoint.disabled_at = timezone.now()
                endpoint.disabled_reason = _("Disabled by its client.")
        endpoint.save()
        if endpoint.is_active:
            _queue_due_flushes(Q(endpoint=endpoint))
    subscriptions_forget()
    return endpoint


def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, now: datetime | None = None
) -> tuple[WebhookEndpoint, str]:
    """Give the endpoint a new secret and return it (once). The old one keeps signing, beside
    the new one, for ``WEBHOOKS_SECRET_OVERLAP_HOURS``."""
    now = now or timezone.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        secret = _new_secret()
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = now + timedelta(hours=settings.WEBHOOKS_SECRET_OVERLAP_HOURS)
        endpoint.secret = secret
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    return endpoint, secret


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its deliveries (nothing more is sent to it)."""
    endpoint.delete()
    subscriptions_forget()


# --- Recording events (the outbox.events sink) ---------------------------------------------


def _active_endpoints() -> list[WebhookEndpoint]:
    return list(
        WebhookEndpoint.objects.filter(is_active=True, client__revoked_at__isnull=True)
        .select_related("client")
        .order_by("pk")
    )


# Which event types some active endpoint wants, kept in this process for a few seconds so
# that a write announcing an event nobody subscribed to costs no query. An endpoint saved in
# this process clears it at once; another process sees a new subscription within
# SUBSCRIPTIONS_CACHE_SECONDS. (The sink itself always reads the endpoints.)
SUBSCRIPTIONS_CACHE_SECONDS = 10.0
_subscriptions: tuple[float, frozenset[str]] | None = None


def subscriptions_forget(*, known_empty: bool = False) -> None:
    """Drop this process's cached set of subscribed event types (``known_empty``: remember
    instead that there are none, until an endpoint is saved here — for tests that start
    from an empty database)."""
    global _subscriptions
    _subscriptions = (float("inf"), frozenset()) if known_empty else None


def events_wanted(event_type: str) -> bool:
    """Whether any active endpoint subscribes to ``event_type`` (a query at most every
    ``SUBSCRIPTIONS_CACHE_SECONDS``)."""
    global _subscriptions
    now = time.monotonic()
    if _subscriptions is None or _subscriptions[0] < now:
        types: set[str] = set()
        for event_types in WebhookEndpoint.objects.filter(is_active=True, client__revoked_at__isnull=True).values_list(
            "event_types", flat=True
        ):
            types.update(event_types or ())
        _subscriptions = (now + SUBSCRIPTIONS_CACHE_SECONDS, frozenset(types))
    return event_type in _subscriptions[1]


def _envelope(event: DomainEvent, company: Company) -> dict:
    return {
        "id": event.id,
        "type": event.type,
        "version": EVENT_VERSIONS[event.type],
        "timestamp": event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": {"company": {"external_id": company.external_id, "name": company.name}, **event.data},
    }


def events_record(events: list[DomainEvent]) -> None:
    """The sink: in the emitting transaction, record the events some endpoint wants and a
    delivery per endpoint, and queue their flush after the commit. A fixed number of
    queries per batch of events, whatever its size."""
    endpoints = [
        endpoint
        for endpoint in _active_endpoints()
        if any(
            EVENT_SCOPES.get(event_type) and endpoint.client.has_scope(EVENT_SCOPES[event_type])
            for event_type in endpoint.event_types
        )
    ]
    wanted = [event for event in events if any(event.type in endpoint.event_types for endpoint in endpoints)]
    if not wanted:
        return
    limited = [endpoint.client_id for endpoint in endpoints if not endpoint.client.all_companies]
    allowed: dict[int, set[int]] = defaultdict(set)
    if limited:
        through = ApiClient.companies.through
        for client_id, company_id in through.objects.filter(
            apiclient_id__in=limited, company_id__in={event.company_id for event in wanted}
        ).values_list("apiclient_id", "company_id"):
            allowed[client_id].add(company_id)
    companies = Company.objects.in_bulk({event.company_id for event in wanted})
    rows: list[WebhookEvent] = []
    targets: list[list[WebhookEndpoint]] = []
    for event in wanted:
        company = companies.get(event.company_id)
        if company is None:
            continue
        receivers = [
            endpoint
            for endpoint in endpoints
            if event.type in endpoint.event_types
            and endpoint.client.has_scope(EVENT_SCOPES[event.type])
            and (endpoint.client.all_companies or event.company_id in allowed[endpoint.client_id])
        ]
        if receivers:
            rows.append(
                WebhookEvent(
                    event_id=event.id,
                    type=event.type,
                    company_id=event.company_id,
                    payload=_envelope(event, company),
                    created_at=event.occurred_at,
                )
            )
            targets.append(receivers)
    if not rows:
        return
    WebhookEvent.objects.bulk_create(rows)
    if rows[0].pk is None:  # databases that do not return ids from a bulk insert
        ids = dict(
            WebhookEvent.objects.filter(event_id__in=[row.event_id for row in rows]).values_list("event_id", "pk")
        )
        for row in rows:
            row.pk = ids[row.event_id]
    now = timezone.now()
    deliveries = [
        WebhookDelivery(endpoint=endpoint, event_id=row.pk, company_id=row.company_id, next_attempt_at=now)
        for row, receivers in zip(rows, targets, strict=True)
        for endpoint in receivers
    ]
    WebhookDelivery.objects.bulk_create(deliveries)
    for endpoint_id, company_id in sorted({(d.endpoint.pk, d.company_id) for d in deliveries}):
        _queue_flush(endpoint_id, company_id)


def _queue_flush(endpoint_id: int, company_id: int) -> None:
    from .tasks import flush_webhooks  # the tasks module imports this one

    outbox_enqueue(flush_webhooks, endpoint_id, company_id)


def _queue_due_flushes(condition: Q, *, now: datetime | None = None) -> int:
    """Queue a flush for every queue (endpoint, company) matching ``condition`` whose head is due."""
    now = now or timezone.now()
    heads = (
        WebhookDelivery.objects.filter(condition, status=DeliveryStatus.PENDING)
        .values("endpoint_id", "company_id")
        .annotate(first=Min("pk"))
    )
    due = WebhookDelivery.objects.filter(
        pk__in=[head["first"] for head in heads], next_attempt_at__lte=now, endpoint__is_active=True
    ).values_list("endpoint_id", "company_id")
    queued = 0
    for endpoint_id, company_id in due:
        _queue_flush(endpoint_id, company_id)
        queued += 1
    return queued


def webhooks_retry_due(*, now: datetime | None = None) -> int:
    """The minute job: queue a flush for every queue whose head is due; returns how many."""
    with transaction.atomic():
        return _queue_due_flushes(Q(endpoint__client__revoked_at__isnull=True), now=now)


# --- Delivering ----------------------------------------------------------------------------


def signing_headers(endpoint: WebhookEndpoint, *, event_id: str, body: bytes, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt: one ``v1,…`` signature per secret in use."""
    secrets_in_use = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        secrets_in_use.append(endpoint.previous_secret)
    signatures = [Webhook(secret).sign(msg_id=event_id, timestamp=now, data=body) for secret in secrets_in_use]
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def event_body(event: WebhookEvent) -> bytes:
    return json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


def _claim_head(endpoint_id: int, company_id: int, now: datetime) -> WebhookDelivery | None:
    """The queue's head, locked, if it is due (None: nothing due, or another worker has it)."""
    head = (
        WebhookDelivery.objects.filter(endpoint_id=endpoint_id, company_id=company_id, status=DeliveryStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if head is None:
        return None
    return (
        WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("event", "endpoint")
        .filter(pk=head, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .first()
    )


def webhook_flush(*, endpoint_id: int, company_id: int, now: datetime | None = None, limit: int = FLUSH_BATCH) -> int:
    """Send the queue (endpoint, company) in order until it is empty, its head must wait for
    a retry, or ``limit`` deliveries were sent (then the continuation is queued). Returns how
    many were delivered. Safe to run twice or concurrently (see the module docstring)."""
    delivered = 0
    for _round in range(limit):
        moment = now or timezone.now()
        with transaction.atomic():
            endpoint = WebhookEndpoint.objects.filter(
                pk=endpoint_id, is_active=True, client__revoked_at__isnull=True
            ).first()
            if endpoint is None:
                return delivered
            delivery = _claim_head(endpoint_id, company_id, moment)
            if delivery is None:
                return delivered
            succeeded = _attempt(delivery, endpoint, now=moment)
        if not succeeded:
            return delivered
        delivered += 1
    with transaction.atomic():
        _queue_flush(endpoint_id, company_id)
    return delivered


def _attempt(delivery: WebhookDelivery, endpoint: WebhookEndpoint, *, now: datetime) -> bool:
    """One attempt of the locked ``delivery``: send, log, and move it on. Returns success."""
    body = event_body(delivery.event)
    headers = signing_headers(endpoint, event_id=delivery.event.event_id, body=body, now=now)
    result = webhook_http.post(endpoint.url, body=body, headers=headers)
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        succeeded=result.ok,
        status_code=result.status_code,
        duration_ms=result.duration_ms,
        error=result.error,
        response_excerpt=result.excerpt,
    )
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = result.status_code
    if result.ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        if endpoint.failing_since is not None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
    else:
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
        _endpoint_failed(endpoint, now=now)
    delivery.save(
        update_fields=["attempts", "last_attempt_at", "last_status_code", "status", "delivered_at", "next_attempt_at"]
    )
    if not result.ok and delivery.status == DeliveryStatus.FAILED:
        # Given up: the queue moves on to the next event.
        _queue_flush(endpoint.pk, delivery.company_id)
    return result.ok


def _endpoint_failed(endpoint: WebhookEndpoint, *, now: datetime) -> None:
    """Record a failure; disable the endpoint (and tell the club admins) once it has failed
    without a success for ``WEBHOOKS_DISABLE_AFTER_DAYS``."""
    if endpoint.failing_since is None:
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
        return
    if now - endpoint.failing_since < timedelta(days=settings.WEBHOOKS_DISABLE_AFTER_DAYS):
        return
    disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False,
        disabled_at=now,
        disabled_reason=_("Every delivery failed for %(days)s days.") % {"days": settings.WEBHOOKS_DISABLE_AFTER_DAYS},
    )
    if disabled:
        from .tasks import notify_endpoint_disabled

        outbox_enqueue(notify_endpoint_disabled, endpoint.pk)


def webhook_deliveries_resend(*, delivery_ids, now: datetime | None = None) -> int:
    """Send the chosen deliveries again (same event id: a receiver that has it ignores it):
    each goes back to waiting, due now, with a fresh retry schedule. Returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            WebhookDelivery.objects.select_for_update()
            .filter(pk__in=list(delivery_ids))
            .values_list("pk", "endpoint_id", "company_id")
        )
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _e, _c in rows]).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, delivered_at=None
        )
        for endpoint_id, company_id in sorted({(e, c) for _pk, e, c in rows}):
            _queue_flush(endpoint_id, company_id)
    return len(rows)
