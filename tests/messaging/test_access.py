"""Every conversation and workspace URL, walked as the wrong person: another company's member,
another company (its contacts, whatever their role), another rep, staff without the role.
Only 403 or 404 — never the page, a file or a change — and anonymous visitors go to login."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import MembershipRole
from messaging.models import Attachment, Message
from messaging.services import thread_start
from notifications.models import Notification
from reps.models import GoodwillAward, GoodwillBudget, StaffNote
from tests.factories import MembershipFactory, StaffFactory

pytestmark = pytest.mark.django_db

DENIED = {403, 404}


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False  # MFA has its own tests; here only scoping is walked


@pytest.fixture
def world(company, rep, purchaser, pdf):
    """Company A with its rep, a thread with a PDF, a notice for A's purchaser, a goodwill budget."""
    thread = thread_start(company=company, author=purchaser, subject="Order", body="Hello", attachments=[pdf])
    attachment = Attachment.objects.get()
    GoodwillBudget.objects.create(rep=rep, month=timezone.localdate().replace(day=1), points=1000)
    return {"company": company, "thread": thread, "attachment": attachment}


def member_urls(world) -> list[tuple[str, str, dict]]:
    thread, attachment = world["thread"], world["attachment"]
    return [
        ("get", reverse("messaging:thread", args=[thread.pk]), {}),
        ("post", reverse("messaging:thread", args=[thread.pk]), {"body": "Let me in"}),
        ("get", reverse("messaging:thread_after", args=[thread.pk]) + "?after=0", {}),
        ("get", reverse("messaging:attachment", args=[thread.pk, attachment.pk]), {}),
    ]


def staff_urls(world) -> list[tuple[str, str, dict]]:
    thread, attachment, company = world["thread"], world["attachment"], world["company"]
    return [
        ("get", reverse("staff_messages:thread", args=[thread.pk]), {}),
        ("post", reverse("staff_messages:thread", args=[thread.pk]), {"body": "Let me in"}),
        ("get", reverse("staff_messages:thread_after", args=[thread.pk]) + "?after=0", {}),
        ("get", reverse("staff_messages:attachment", args=[thread.pk, attachment.pk]), {}),
        ("get", reverse("reps:account", args=[company.pk]), {}),
        ("post", reverse("reps:note_add", args=[company.pk]), {"body": "Sneaky note"}),
        ("post", reverse("reps:goodwill", args=[company.pk]), {"points": "10", "reason": "Sneaky", "key": "x"}),
        ("get", reverse("reps:thread_start", args=[company.pk]), {}),
        ("post", reverse("reps:thread_start", args=[company.pk]), {"subject": "S", "body": "B"}),
    ]


def staff_only_lists() -> list[str]:
    return [reverse("reps:accounts"), reverse("staff_messages:list"), reverse("reps:broadcast")]


def walk(client, urls):
    outcomes = {}
    for method, url, data in urls:
        response = getattr(client, method)(url, data)
        outcomes[(method, url)] = response.status_code
    return outcomes


def assert_nothing_changed():
    assert Message.objects.count() == 1
    assert not StaffNote.objects.exists()
    assert not GoodwillAward.objects.exists()


@pytest.mark.parametrize("role", [MembershipRole.ADMIN, MembershipRole.PURCHASER, MembershipRole.VIEWER])
def test_another_companys_contacts_get_404_on_every_conversation_url(client, world, other_company, role):
    client.force_login(MembershipFactory(company=other_company, role=role).user)

    outcomes = walk(client, member_urls(world))

    assert set(outcomes.values()) == {404}, outcomes
    assert_nothing_changed()


def test_members_get_403_on_every_staff_url_even_for_their_own_company(client, world, purchaser):
    client.force_login(purchaser)

    outcomes = walk(client, staff_urls(world) + [("get", url, {}) for url in staff_only_lists()])

    assert set(outcomes.values()) == {403}, outcomes
    assert_nothing_changed()


def test_another_rep_gets_404_on_every_url_of_an_account_that_is_not_theirs(client, world, other_rep):
    client.force_login(other_rep)

    outcomes = walk(client, staff_urls(world))

    assert set(outcomes.values()) == {404}, outcomes
    assert_nothing_changed()
    # ... and their own lists do not show it.
    for url in staff_only_lists():
        page = client.get(url)
        assert page.status_code == 200
        assert world["company"].name not in page.content.decode(), url


@pytest.mark.parametrize("group", ["Marketing", None])
def test_staff_who_are_neither_reps_nor_club_admins_get_403_everywhere(client, world, group):
    client.force_login(StaffFactory(group=group) if group else StaffFactory())

    outcomes = walk(client, staff_urls(world) + [("get", url, {}) for url in staff_only_lists()])
    member_side = walk(client, member_urls(world) + [("get", reverse("messaging:list"), {})])

    assert set(outcomes.values()) == {403}, outcomes
    assert set(member_side.values()) == {403}, member_side
    assert_nothing_changed()


def test_reps_get_403_on_the_member_pages(client, world, rep):
    client.force_login(rep)

    outcomes = walk(client, member_urls(world) + [("get", reverse("messaging:list"), {})])

    assert set(outcomes.values()) == {403}, outcomes


def test_the_right_people_get_in(client, world, purchaser, rep, club_admin):
    thread = world["thread"]
    client.force_login(purchaser)
    assert client.get(reverse("messaging:thread", args=[thread.pk])).status_code == 200
    client.force_login(rep)
    assert client.get(reverse("staff_messages:thread", args=[thread.pk])).status_code == 200
    assert client.get(reverse("reps:account", args=[world["company"].pk])).status_code == 200
    client.force_login(club_admin)
    assert client.get(reverse("staff_messages:thread", args=[thread.pk])).status_code == 200
    assert client.get(reverse("reps:account", args=[world["company"].pk])).status_code == 200


def test_a_club_admin_cannot_give_goodwill_points_from_someone_elses_budget(client, world, club_admin):
    client.force_login(club_admin)

    response = client.post(
        reverse("reps:goodwill", args=[world["company"].pk]), {"points": "10", "reason": "Thanks", "key": "x"}
    )

    assert response.status_code == 400
    assert not GoodwillAward.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    for method, url, data in (
        member_urls(world)[:1] + staff_urls(world)[:1] + [("get", reverse("notifications:list"), {})]
    ):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_a_live_poll_after_the_session_ended_stops_polling(client, world):
    url = reverse("messaging:thread_after", args=[world["thread"].pk]) + "?after=0"

    assert client.get(url, headers={"HX-Request": "true"}).status_code == 286
    assert client.get(reverse("live_badges"), headers={"HX-Request": "true"}).status_code == 286


def test_someone_elses_notifications_are_404_and_stay_unread(client, world, rep, other_member):
    notice = Notification.objects.get(recipient=rep)
    client.force_login(other_member)

    assert client.get(reverse("notifications:open", args=[notice.pk])).status_code == 404
    assert client.post(reverse("notifications:read", args=[notice.pk])).status_code == 404
    client.post(reverse("notifications:read_all"))

    notice.refresh_from_db()
    assert notice.read_at is None


def test_staff_pages_need_two_factor_authentication(client, settings, world, rep):
    settings.STAFF_MFA_REQUIRED = True
    client.force_login(rep)

    for method, url, data in staff_urls(world):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "/accounts/2fa/" in response["Location"], url
    assert_nothing_changed()
