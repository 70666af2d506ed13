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
from tests.factories import MembershipFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def members(count: int) -> list:
    """Contacts of member companies: the people events are for."""
    return [membership.user for membership in MembershipFactory.create_batch(count)]


def test_sign_ups_beyond_capacity_go_to_the_waiting_list_in_order(event_index):
    event = make_event(event_index, "Factory tour", capacity=2)
    people = members(4)

    statuses = [services.event_sign_up(event_id=event.pk, user=person).registration.status for person in people]

    assert statuses == ["confirmed", "confirmed", "waitlisted", "waitlisted"]


def test_signing_up_twice_keeps_one_registration(event_index):
    event = make_event(event_index, "Factory tour")
    person = MembershipFactory().user
    first = services.event_sign_up(event_id=event.pk, user=person)
    again = services.event_sign_up(event_id=event.pk, user=person)
    assert first.created and not again.created
    assert EventRegistration.objects.filter(event=event, user=person).count() == 1


def test_a_cancelled_place_goes_to_the_first_on_the_waiting_list(event_index):
    event = make_event(event_index, "Factory tour", capacity=1)
    first, second, third = members(3)
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
    services.event_sign_up(event_id=event.pk, user=MembershipFactory().user)
    member = MembershipFactory().user
    client.force_login(member)

    response = client.post(event.url, {"action": "sign_up"}, follow=True)

    body = response.content.decode()
    assert "you are on the waiting list" in body
    assert "You are number 1 on the waiting list." in body

    response = client.post(event.url, {"action": "cancel"}, follow=True)
    assert "Your registration is cancelled." in response.content.decode()


def test_staff_cannot_take_a_place_at_a_member_event(client, event_index, settings):
    settings.STAFF_MFA_REQUIRED = False
    event = make_event(event_index, "Factory tour", capacity=1)
    marketer = StaffFactory(group="Marketing")
    client.force_login(marketer)

    page = client.get(event.url).content.decode()
    response = client.post(event.url, {"action": "sign_up"}, follow=True)

    assert 'data-testid="members-only"' in page and 'value="sign_up"' not in page
    assert "Events are for the contacts of member companies." in response.content.decode()
    assert "You have a place." not in response.content.decode()
    assert not EventRegistration.objects.filter(event=event).exists()
    # The one place is still the members': the next member gets it.
    member = MembershipFactory().user
    assert services.event_sign_up(event_id=event.pk, user=member).registration.status == "confirmed"


def test_the_service_refuses_anyone_without_a_member_company(event_index):
    event = make_event(event_index, "Factory tour")

    for person in (StaffFactory(), UserFactory()):
        with pytest.raises(services.ContentError, match="contacts of member companies"):
            services.event_sign_up(event_id=event.pk, user=person)

    assert not EventRegistration.objects.filter(event=event).exists()


def test_cancelling_without_a_registration_says_so_and_changes_nothing(client, event_index):
    event = make_event(event_index, "Factory tour", capacity=1)
    other = MembershipFactory().user
    services.event_sign_up(event_id=event.pk, user=other)
    member = MembershipFactory().user
    client.force_login(member)

    response = client.post(event.url, {"action": "cancel"}, follow=True)

    body = response.content.decode()
    assert "You were not signed up for this event, so there was nothing to cancel." in body
    assert "Your registration is cancelled." not in body
    assert list(EventRegistration.objects.filter(event=event).values_list("user_id", "status")) == [
        (other.pk, "confirmed")
    ]
    with pytest.raises(services.NotRegistered):
        services.event_cancel(event_id=event.pk, user=member)


def test_cancelling_twice_says_the_second_time_that_there_was_nothing_to_cancel(client, event_index):
    event = make_event(event_index, "Factory tour")
    member = MembershipFactory().user
    services.event_sign_up(event_id=event.pk, user=member)
    client.force_login(member)

    first = client.post(event.url, {"action": "cancel"}, follow=True).content.decode()
    second = client.post(event.url, {"action": "cancel"}, follow=True).content.decode()

    assert "Your registration is cancelled." in first
    assert "nothing to cancel" in second and "Your registration is cancelled." not in second
    assert list(EventRegistration.objects.filter(event=event).values_list("status", flat=True)) == ["cancelled"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ups_never_overbook(require_postgres, event_index):
    # given an event with 3 places and 8 people pressing "Sign up" at the same moment
    event = make_event(event_index, "Factory tour", capacity=3)
    people = members(8)
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
