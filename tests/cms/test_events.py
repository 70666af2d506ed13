"""Event sign-up: capacity, waiting list, cancellation, closing, and concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from cms import services
from cms.models import EventRegistration, RegistrationStatus
from tests.cms.conftest import make_event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_sign_ups_beyond_capacity_go_to_the_waiting_list_in_order(event_index):
    event = make_event(event_index, "Factory tour", capacity=2)
    people = UserFactory.create_batch(4)

    statuses = [services.event_sign_up(event_id=event.pk, user=person).registration.status for person in people]

    assert statuses == ["confirmed", "confirmed", "waitlisted", "waitlisted"]


def test_signing_up_twice_keeps_one_registration(event_index):
    event = make_event(event_index, "Factory tour")
    person = UserFactory()
    first = services.event_sign_up(event_id=event.pk, user=person)
    again = services.event_sign_up(event_id=event.pk, user=person)
    assert first.created and not again.created
    assert EventRegistration.objects.filter(event=event, user=person).count() == 1


def test_a_cancelled_place_goes_to_the_first_on_the_waiting_list(event_index):
    event = make_event(event_index, "Factory tour", capacity=1)
    first, second, third = UserFactory.create_batch(3)
    for person in (first, second, third):
        services.event_sign_up(event_id=event.pk, user=person)

    promoted = services.event_cancel(event_id=event.pk, user=first)

    assert promoted.user == second
    statuses = dict(EventRegistration.objects.filter(event=event).values_list("user_id", "status"))
    assert statuses == {first.pk: "cancelled", second.pk: "confirmed", third.pk: "waitlisted"}


def test_a_sign_up_after_sign_up_closed_is_refused_with_a_message(client, purchaser, event_index):
    event = make_event(event_index, "Trade evening", signup_closes_at=timezone.now() - timedelta(minutes=1))
    client.force_login(purchaser)

    response = client.post(event.url, {"action": "sign_up"}, follow=True)

    assert "Sign-up for this event has closed." in response.content.decode()
    assert not EventRegistration.objects.filter(event=event).exists()


def test_the_event_page_shows_the_waiting_list_message_and_position(client, event_index):
    event = make_event(event_index, "Factory tour", capacity=1)
    services.event_sign_up(event_id=event.pk, user=UserFactory())
    from tests.factories import MembershipFactory

    member = MembershipFactory().user
    client.force_login(member)

    response = client.post(event.url, {"action": "sign_up"}, follow=True)

    body = response.content.decode()
    assert "you are on the waiting list" in body
    assert "You are number 1 on the waiting list." in body

    response = client.post(event.url, {"action": "cancel"}, follow=True)
    assert "Your registration is cancelled." in response.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ups_never_overbook(require_postgres, event_index):
    # given an event with 3 places and 8 people pressing "Sign up" at the same moment
    event = make_event(event_index, "Factory tour", capacity=3)
    people = UserFactory.create_batch(8)
    barrier = threading.Barrier(len(people))
    errors = []

    def sign_up(person):
        try:
            barrier.wait()
            services.event_sign_up(event_id=event.pk, user=person)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then exactly 3 have a place and 5 wait, with nobody lost
    assert errors == []
    registrations = EventRegistration.objects.filter(event=event)
    assert registrations.filter(status=RegistrationStatus.CONFIRMED).count() == 3
    assert registrations.filter(status=RegistrationStatus.WAITLISTED).count() == 5
