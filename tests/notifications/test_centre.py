"""The notification centre: the bell's count, the list (all or unread, paged), opening a
notice (read, then where it points), mark read, mark all read; only one's own notices."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from core.texts import StoredText, free_text, text_register
from notifications.models import Notification, NotificationKind
from notifications.services import notifications_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def notify(user, key, url="/points/history/", title="Points arrived"):
    (notice,) = notifications_send(
        users=[user], kind=NotificationKind.POINTS, key=key, title=free_text(title), url=url, email=False
    )
    return notice


def test_the_bell_shows_the_unread_count_on_every_page(client, purchaser, portal_site):
    for n in range(3):
        notify(purchaser, f"k{n}")
    client.force_login(purchaser)

    html = client.get(reverse("dashboard")).content.decode()

    assert 'id="nav-notifications-badge"' in html
    assert "3 unread notifications" in html


def test_the_list_shows_newest_first_pages_and_the_unread_ones(client, purchaser, portal_site):
    for n in range(25):
        notify(purchaser, f"k{n}", title=f"Notice {n}")
    Notification.objects.filter(key__in=["k0", "k1"]).update(read_at="2026-01-01T00:00:00Z")
    client.force_login(purchaser)

    first = client.get(reverse("notifications:list"))
    second = client.get(reverse("notifications:list") + "?page=2")
    unread = client.get(reverse("notifications:list") + "?show=unread")

    assert [notice.title for notice in first.context["notifications"]][:2] == ["Notice 24", "Notice 23"]
    assert len(first.context["notifications"]) == 20 and len(second.context["notifications"]) == 5
    assert unread.context["page_obj"].paginator.count == 23
    assert "Unread (23)" in first.content.decode()


def test_a_show_value_the_centre_does_not_offer_shows_every_notice_under_all_not_an_empty_list(
    client, purchaser, portal_site
):
    for n in range(3):
        notify(purchaser, f"k{n}", title=f"Notice {n}")
    Notification.objects.filter(key="k0").update(read_at="2026-01-01T00:00:00Z")
    client.force_login(purchaser)

    response = client.get(reverse("notifications:list"), {"show": "bogus"})

    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 3  # what the "All" tab, marked current, says
    assert not response.context["unread_only"]


def test_a_page_past_the_end_shows_the_last_page_instead_of_an_error(client, purchaser, portal_site):
    """The second page of "Unread", opened again after the notices on it were read."""
    for n in range(25):
        notify(purchaser, f"k{n}", title=f"Notice {n}")
    client.force_login(purchaser)
    Notification.objects.filter(key__in=[f"k{n}" for n in range(10)]).update(read_at="2026-01-01T00:00:00Z")

    past_the_end = client.get(reverse("notifications:list") + "?show=unread&page=2")
    not_a_number = client.get(reverse("notifications:list") + "?page=two")

    assert past_the_end.status_code == 200
    assert past_the_end.context["page_obj"].number == 1 and len(past_the_end.context["notifications"]) == 15
    assert not_a_number.status_code == 200 and not_a_number.context["page_obj"].number == 1


def test_opening_a_notice_marks_it_read_and_goes_where_it_points(client, purchaser):
    notice = notify(purchaser, "k", url="/points/history/")
    client.force_login(purchaser)

    response = client.get(reverse("notifications:open", args=[notice.pk]))

    assert response.status_code == 302 and response["Location"] == "/points/history/"
    notice.refresh_from_db()
    assert notice.is_read


def test_a_notice_never_sends_anyone_off_the_portal(client, purchaser):
    notice = notify(purchaser, "k", url="//evil.example/steal")
    client.force_login(purchaser)

    response = client.get(reverse("notifications:open", args=[notice.pk]))

    assert response["Location"] == reverse("notifications:list")


def test_mark_one_and_mark_all_read_come_back_to_the_page(client, purchaser):
    first, second, third = (notify(purchaser, f"k{n}") for n in range(3))
    other = notify(UserFactory(), "k0")
    client.force_login(purchaser)

    one = client.post(reverse("notifications:read", args=[first.pk]), {"next": "/notifications/?page=1"})
    assert one["Location"] == "/notifications/?page=1"
    assert Notification.objects.filter(recipient=purchaser, read_at__isnull=True).count() == 2

    every = client.post(reverse("notifications:read_all"), {"next": "https://evil.example/"})
    assert every["Location"] == reverse("notifications:list")
    assert not Notification.objects.filter(recipient=purchaser, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None
    assert client.get(reverse("notifications:read_all")).status_code == 405  # a change is a POST


def test_an_empty_centre_says_so(client, purchaser, portal_site):
    client.force_login(purchaser)

    html = client.get(reverse("notifications:list")).content.decode()

    assert "Nothing here yet." in html


def test_params_are_rendered_in_each_readers_language_and_free_text_is_left_alone():
    english, swedish = UserFactory(language="en"), UserFactory(language="sv")
    title = text_register("tests.arrived", gettext_lazy("%(points)s arrived"))

    notifications_send(
        users=[english, swedish],
        kind=NotificationKind.POINTS,
        key="k",
        title=StoredText(title.key, {"points": 12400}),
        body=free_text("100 % of your order, thanks!"),  # someone's own words: never %-formatted
        email=False,
    )

    notice = Notification.objects.get(recipient=english)
    with translation.override("en"):
        assert notice.title == "12\u202f400 arrived"
    with translation.override("sv"):
        assert Notification.objects.get(recipient=swedish).title.startswith("12\u00a0400")
    assert notice.body == "100 % of your order, thanks!"
