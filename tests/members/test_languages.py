"""A person reads their own language: their profile's, else their company country's, else
their browser's — in pages, in notifications and in e-mails."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from core.texts import StoredText, text_register
from members.languages import language_for_country, people_languages, person_language
from members.models import Company, Country, MembershipRole
from notifications.models import Notification, NotificationKind
from notifications.services import notifications_send
from tests.factories import CompanyFactory, MembershipFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

DUTCH_KVK = "12345678"


@pytest.fixture
def dutch_company():
    return CompanyFactory(name="Bouwmaat Utrecht B.V.", country=Country.NETHERLANDS, org_number=DUTCH_KVK)


@pytest.fixture
def dutch_purchaser(dutch_company):
    """A purchaser of a Dutch company who never chose a language."""
    return MembershipFactory(
        company=dutch_company, role=MembershipRole.PURCHASER, user=UserFactory(language="", first_name="Sanne")
    ).user


def _nl(text: str) -> str:
    with translation.override("nl"):
        translated = translation.gettext(text)
    assert translated != text, f"{text!r} has no Dutch translation"
    return translated


# --- the rule ----------------------------------------------------------------------------


def test_the_profile_beats_the_company_and_the_company_beats_the_fallback(dutch_company):
    chose_swedish = MembershipFactory(company=dutch_company, user=UserFactory(language="sv")).user
    chose_nothing = MembershipFactory(company=dutch_company, user=UserFactory(language="")).user
    swede = MembershipFactory(company=CompanyFactory(), user=UserFactory(language="")).user
    staff = StaffFactory(language="")

    assert person_language(chose_swedish, fallback="en") == "sv"
    assert person_language(chose_nothing, fallback="en") == "nl"
    assert person_language(swede, fallback="nl") == "sv"
    assert person_language(staff, fallback="nl") == "nl"
    assert person_language(staff) == "en"  # the club's default
    assert person_language(chose_nothing, company=None, fallback="sv") == "sv"


def test_countries_map_to_shipped_languages():
    assert [language_for_country(code) for code in ("SE", "NL", "BE", "nl", "DE", "", None)] == [
        "sv",
        "nl",
        "nl",
        "nl",
        None,
        None,
        None,
    ]


def test_many_people_are_resolved_in_one_query(dutch_company, django_assert_num_queries):
    people = [MembershipFactory(company=dutch_company, user=UserFactory(language="")).user for _ in range(30)]
    people += [MembershipFactory(user=UserFactory(language="")).user for _ in range(30)]
    people += [UserFactory(language="sv") for _ in range(5)]

    with django_assert_num_queries(1):
        languages = people_languages(people)

    assert [languages[person.pk] for person in people] == ["nl"] * 30 + ["sv"] * 30 + ["sv"] * 5


# --- pages -------------------------------------------------------------------------------


def test_a_dutch_purchaser_gets_dutch_pages(client, dutch_purchaser, portal_site):
    client.force_login(dutch_purchaser)

    page = client.get(reverse("dashboard"), headers={"accept-language": "en"})

    assert page.status_code == 200
    assert page["Content-Language"] == "nl"
    html = page.content.decode()
    assert '<html lang="nl">' in html
    assert _nl("Points history") in html


def test_the_profile_beats_the_company(client, dutch_company, portal_site):
    person = MembershipFactory(company=dutch_company, user=UserFactory(language="sv")).user
    client.force_login(person)

    assert client.get(reverse("dashboard"), headers={"accept-language": "nl"})["Content-Language"] == "sv"


def test_the_browser_decides_when_neither_profile_nor_company_does(client, portal_site):
    company = CompanyFactory()
    Company.objects.filter(pk=company.pk).update(country="DE")  # a country without a shipped language
    person = MembershipFactory(company=company, user=UserFactory(language="")).user
    client.force_login(person)

    assert client.get(reverse("dashboard"), headers={"accept-language": "nl-NL,nl;q=0.9"})["Content-Language"] == "nl"
    assert client.get(reverse("dashboard"), headers={"accept-language": "sv"})["Content-Language"] == "sv"
    assert client.get(reverse("dashboard"))["Content-Language"] == "en"


def test_the_switch_stores_the_choice_in_the_profile_and_it_wins_from_then_on(client, dutch_purchaser, portal_site):
    client.force_login(dutch_purchaser)

    client.post(reverse("members:set_language"), {"language": "en", "next": "/dashboard/"})
    client.cookies.clear()
    client.force_login(dutch_purchaser)

    dutch_purchaser.refresh_from_db()
    assert dutch_purchaser.language == "en"
    assert client.get(reverse("dashboard"))["Content-Language"] == "en"


# --- notifications and e-mails ------------------------------------------------------------


def test_a_dutch_purchaser_gets_dutch_notifications_and_e_mail(dutch_purchaser, django_capture_on_commit_callbacks):
    english = UserFactory(language="en")

    with django_capture_on_commit_callbacks(execute=True):
        notifications_send(
            users=[dutch_purchaser, english],
            kind=NotificationKind.POINTS,
            key="points:nl",
            title=StoredText(text_register("tests.points_arrived", gettext_lazy("Points arrived")).key),
            body=StoredText(text_register("tests.hello", gettext_lazy("Hello %(name)s,")).key, {"name": "Sanne"}),
            url="/points/history/",
        )

    dutch = Notification.objects.get(recipient=dutch_purchaser)
    with translation.override("nl"):  # what the Dutch purchaser's pages show
        assert dutch.title == _nl("Points arrived")
        assert dutch.body == _nl("Hello %(name)s,") % {"name": "Sanne"}
    with translation.override("en"):
        assert Notification.objects.get(recipient=english).title == "Points arrived"
    (to_dutch,) = [message for message in mail.outbox if message.to == [dutch_purchaser.email]]
    assert to_dutch.subject == _nl("Points arrived")
    html = to_dutch.alternatives[0][0]
    assert 'lang="nl"' in html
    assert "You get this e-mail because" not in to_dutch.body
    assert "You get this e-mail because" in next(m for m in mail.outbox if m.to == [english.email]).body


def test_an_invitation_to_a_dutch_company_is_written_in_dutch(dutch_company, django_capture_on_commit_callbacks):
    from members.services import invitation_create

    inviter = MembershipFactory(company=dutch_company, role=MembershipRole.ADMIN, user=UserFactory(language="en"))

    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            company=dutch_company, email="pieter@bouwmaat.example", role="viewer", invited_by=inviter.user
        )

    (message,) = mail.outbox
    assert 'lang="nl"' in message.alternatives[0][0]
