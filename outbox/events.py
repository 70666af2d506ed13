"""Domain events: what happened to a company, announced in the transaction of the write.

The apps that change things (members, rewards) sit below the apps that tell the outside
world (``api``'s webhooks), so they cannot call them. They announce instead::

    event_emit(EventType.TIER_CHANGED, company_id=account.company_id, data={...})

inside the write's transaction, and every *sink* registered here (``event_sink_register``,
called from a higher app's ``AppConfig.ready``) receives the event in that same transaction:
a sink records what it owes (a webhook delivery row, a task through ``outbox_enqueue``), so
a rollback takes the event away with the write and a commit keeps both. With no sink
registered, or none interested (``events_wanted``), emitting costs nothing.

``data`` holds structured, JSON-serialisable facts (ids, figures, ISO dates, statuses),
never a sentence: receivers are programs, and the portal's own texts (ledger memos) change
with the reader's language. Each event gets a unique id (``evt_…``) when it is emitted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from django.utils import timezone


class EventType(StrEnum):
    """Every event the portal announces. A payload's shape is versioned per type
    (``EVENT_VERSIONS``): a new field is added in place, a changed or removed one makes a
    new version."""

    PURCHASE_EARNED = "purchase.earned"
    POINTS_RELEASED = "points.released"
    POINTS_EXPIRED = "points.expired"
    REDEMPTION_CREATED = "redemption.created"
    REDEMPTION_APPROVED = "redemption.approved"
    REDEMPTION_REJECTED = "redemption.rejected"
    REDEMPTION_CANCELLED = "redemption.cancelled"
    REDEMPTION_FULFILLED = "redemption.fulfilled"
    COMPANY_CREATED = "company.created"
    COMPANY_SUSPENDED = "company.suspended"
    COMPANY_CLOSED = "company.closed"
    COMPANY_REOPENED = "company.reopened"
    INVOICE_CREDIT_CREATED = "invoice_credit.created"
    INVOICE_CREDIT_APPLIED = "invoice_credit.applied"
    TIER_CHANGED = "tier.changed"


EVENT_VERSIONS: dict[str, int] = {event_type.value: 1 for event_type in EventType}


@dataclass(frozen=True)
class DomainEvent:
    type: str
    company_id: int
    data: dict
    occurred_at: datetime = field(default_factory=timezone.now)
    id: str = field(default_factory=lambda: f"evt_{uuid.uuid4().hex}")


EventSink = Callable[[list[DomainEvent]], None]
WantedCheck = Callable[[str], bool]

_sinks: list[tuple[EventSink, WantedCheck]] = []


def event_sink_register(sink: EventSink, *, wants: WantedCheck) -> None:
    """Register ``sink`` (called with every batch of events, inside the emitting
    transaction) and ``wants`` (whether it would keep an event of this type at all: lets an
    emitter skip building events nobody keeps). Registering the same sink twice is a no-op."""
    if all(existing is not sink for existing, _wants in _sinks):
        _sinks.append((sink, wants))


def events_wanted(event_type: str) -> bool:
    """Whether any sink would keep an event of ``event_type`` (one cheap read per sink)."""
    return any(wants(event_type) for _sink, wants in _sinks)


def events_emit(events: Iterable[DomainEvent]) -> list[DomainEvent]:
    """Hand ``events`` to every sink, in order; call inside the write's transaction."""
    events = list(events)
    for event in events:
        if event.type not in EVENT_VERSIONS:
            raise ValueError(f"Unknown event type {event.type!r}")
    if events:
        for sink, _wants in _sinks:
            sink(events)
    return events


def event_emit(event_type: str, *, company_id: int, data: dict, occurred_at: datetime | None = None) -> None:
    """Announce one event (see the module docstring); does nothing when no sink wants it."""
    if not events_wanted(event_type):
        return
    kwargs = {"occurred_at": occurred_at} if occurred_at is not None else {}
    events_emit([DomainEvent(type=event_type, company_id=company_id, data=data, **kwargs)])
