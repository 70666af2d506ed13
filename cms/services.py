"""Writes for content: event sign-ups and cancellations.

The places at an event are guarded by a row lock on the event: every sign-up and
cancellation locks the event row first, then counts and writes. Two people taking the
last place at the same moment are serialised by that lock, so the event can never be
overbooked; the second one lands on the waiting list.

Events are for the contacts of member companies: staff (people without a membership) are
refused here, whichever way they reach the service, so no staff sign-up takes a member's place.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Membership

from .models import EventPage, EventRegistration, RegistrationStatus


class ContentError(Exception):
    """A content rule was broken; the message is shown to the person."""


class NotRegistered(ContentError):
    """A cancellation by someone who holds no place and is on no waiting list: nothing changes."""


@dataclass(frozen=True)
class SignUpResult:
    registration: EventRegistration
    created: bool


def _locked_event(event_id: int) -> EventPage:
    # of=("self",) locks only the event's own row, not the shared wagtailcore_page row
    # editors save to.
    return EventPage.objects.select_for_update(of=("self",)).get(pk=event_id)


def event_sign_up(*, event_id: int, user) -> SignUpResult:
    """Give ``user`` a place at the event, or a place on its waiting list when it is full.

    Locks the event row, then counts confirmed places. Idempotent: signing up again while
    already confirmed or waiting returns the existing registration. Refused with
    ``ContentError`` once sign-up has closed, and for anyone who is not a contact of a
    member company (staff): the places are the members'.
    """
    if not Membership.objects.filter(user_id=user.pk).exists():
        raise ContentError(
            _("Events are for the contacts of member companies. Staff cannot take a place; nothing was booked.")
        )
    with transaction.atomic():
        event = _locked_event(event_id)
        if not event.signup_open():
            raise ContentError(_("Sign-up for this event has closed."))
        active = EventRegistration.objects.filter(
            event=event, status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]
        )
        existing = active.filter(user=user).first()
        if existing is not None:
            return SignUpResult(registration=existing, created=False)
        confirmed = active.filter(status=RegistrationStatus.CONFIRMED).count()
        status = RegistrationStatus.CONFIRMED if confirmed < event.capacity else RegistrationStatus.WAITLISTED
        try:
            with transaction.atomic():
                registration = EventRegistration.objects.create(event=event, user=user, status=status)
        except IntegrityError:  # a double submit that slipped past the lock (SQLite has none)
            return SignUpResult(registration=active.get(user=user), created=False)
        return SignUpResult(registration=registration, created=True)


def event_cancel(*, event_id: int, user) -> EventRegistration | None:
    """Cancel ``user``'s registration; a freed place goes to the first on the waiting list.

    Locks the event row. Returns the person promoted from the waiting list, if any.
    Refused with ``NotRegistered`` (and nothing changes) when ``user`` has no place and is
    on no waiting list; with ``ContentError`` once the event has started.
    """
    with transaction.atomic():
        event = _locked_event(event_id)
        mine = EventRegistration.objects.filter(
            event=event, user=user, status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]
        ).first()
        if mine is None:
            raise NotRegistered(_("You were not signed up for this event, so there was nothing to cancel."))
        if timezone.now() >= event.starts_at:
            raise ContentError(_("The event has started; it can no longer be cancelled here."))
        freed_place = mine.status == RegistrationStatus.CONFIRMED
        mine.status = RegistrationStatus.CANCELLED
        mine.cancelled_at = timezone.now()
        mine.save(update_fields=["status", "cancelled_at"])
        if not freed_place:
            return None
        confirmed = EventRegistration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED).count()
        if confirmed >= event.capacity:
            return None
        first_waiting = (
            EventRegistration.objects.filter(event=event, status=RegistrationStatus.WAITLISTED)
            .order_by("created_at", "pk")
            .first()
        )
        if first_waiting is not None:
            first_waiting.status = RegistrationStatus.CONFIRMED
            first_waiting.save(update_fields=["status"])
        return first_waiting
