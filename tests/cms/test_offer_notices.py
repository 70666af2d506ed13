"""A newly published offer is announced to the members who may open it — once, after the
publish has committed, also when Wagtail's scheduled publishing makes it live."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Company, CompanyStatus
from notifications.models import Notification, NotificationKind
from tests.cms.conftest import make_offer, member_in_tier
from tests.factories import MembershipFactory, StaffFactory

pytestmark = pytest.mark.django_db


def publish(page, capture):
    with capture(execute=True):
        page.save_revision().publish()


def announced() -> set[int]:
    return set(Notification.objects.filter(kind=NotificationKind.OFFER).values_list("recipient_id", flat=True))


def test_an_offer_for_all_members_reaches_every_active_member_and_no_staff(
    offer_index, django_capture_on_commit_callbacks
):
    members = [MembershipFactory().user for _ in range(3)]
    suspended = MembershipFactory().user
    Company.objects.filter(pk=suspended.membership.company_id).update(status=CompanyStatus.SUSPENDED)
    gone = MembershipFactory(user__is_active=False).user
    StaffFactory(group="Marketing")
    offer = make_offer(offer_index, "Winter deal", live=False)

    publish(offer, django_capture_on_commit_callbacks)

    assert announced() == {member.pk for member in members}
    assert gone.pk not in announced() and suspended.pk not in announced()
    notice = Notification.objects.filter(kind=NotificationKind.OFFER).first()
    assert (notice.title, notice.body, notice.url) == ("New offer: Winter deal", "About Winter deal", offer.url)


def test_a_tier_offer_reaches_only_that_tiers_members(offer_index, tiers, django_capture_on_commit_callbacks):
    gold, silver = member_in_tier(tiers["gold"]), member_in_tier(tiers["silver"])
    no_tier = MembershipFactory().user
    offer = make_offer(offer_index, "Gold lounge", tiers=[tiers["gold"]], live=False)

    publish(offer, django_capture_on_commit_callbacks)

    assert announced() == {gold.pk}
    assert silver.pk not in announced() and no_tier.pk not in announced()
    assert Notification.objects.get(recipient=gold).title == "New offer for Gold members: Gold lounge"


def test_publishing_an_edited_offer_again_announces_nothing_new(
    offer_index, purchaser, django_capture_on_commit_callbacks, mailoutbox
):
    offer = make_offer(offer_index, "Winter deal", live=False)
    publish(offer, django_capture_on_commit_callbacks)
    offer.title = "Winter deal: even better"
    publish(offer, django_capture_on_commit_callbacks)

    assert Notification.objects.filter(recipient=purchaser).count() == 1
    assert len(mailoutbox) == 1


def test_an_offer_scheduled_for_later_is_announced_when_it_goes_live(
    offer_index, purchaser, django_capture_on_commit_callbacks
):
    from wagtail.models import Revision

    from cms.tasks import publish_scheduled

    offer = make_offer(offer_index, "Spring preview", live=False)
    offer.go_live_at = timezone.now() + timedelta(hours=1)
    revision = offer.save_revision()
    with django_capture_on_commit_callbacks(execute=True):
        revision.publish()
    assert announced() == set()  # approved for later: not live, nobody told yet

    moment_passed = timezone.now() - timedelta(seconds=1)
    revision = Revision.objects.get(pk=revision.pk)
    revision.content["go_live_at"] = moment_passed.isoformat()
    revision.approved_go_live_at = moment_passed
    revision.save(update_fields=["content", "approved_go_live_at"])
    with django_capture_on_commit_callbacks(execute=True):
        publish_scheduled.delay()

    assert announced() == {purchaser.pk}


def test_an_offer_that_is_not_valid_yet_is_not_announced(offer_index, purchaser, django_capture_on_commit_callbacks):
    offer = make_offer(offer_index, "Next year", live=False, valid_from=timezone.now() + timedelta(days=30))

    publish(offer, django_capture_on_commit_callbacks)

    assert announced() == set()


def test_an_offer_published_before_it_is_valid_is_announced_when_it_starts(
    offer_index, purchaser, django_capture_on_commit_callbacks
):
    from cms.notices import offers_announce_newly_current

    # given an offer published today that is valid from tomorrow
    now = timezone.now()
    offer = make_offer(offer_index, "Spring deal", live=False, valid_from=now + timedelta(days=1))
    publish(offer, django_capture_on_commit_callbacks)
    assert announced() == set()

    # when the periodic job runs before and after its validity begins
    offers_announce_newly_current(now=now + timedelta(hours=12))
    before = announced()
    offers_announce_newly_current(now=now + timedelta(days=1, minutes=5))
    offers_announce_newly_current(now=now + timedelta(days=1, minutes=10))

    # then the members hear of it once, when it starts
    assert before == set()
    assert announced() == {purchaser.pk}
    assert Notification.objects.filter(kind=NotificationKind.OFFER).count() == 1


# --- An offer in several languages: one notice per person, in their language ------------------


def publish_translation(page, language: str, capture, **fields):
    """The admin's "Translate", the translator's words, then "Publish" (announced after commit)."""
    from wagtail.models import Locale

    copy = page.copy_for_translation(Locale.objects.get_or_create(language_code=language)[0])
    for name, value in fields.items():
        setattr(copy, name, value)
    copy.save()
    publish(copy, capture)
    return copy


def member_reading(language: str):
    member = MembershipFactory().user
    member.language = language
    member.save(update_fields=["language"])
    return member


@pytest.fixture
def offer_trees(home, offer_index, django_capture_on_commit_callbacks):
    """The home page and the offer list in Swedish and Dutch too (published before any offer)."""
    for language, (home_title, offers_title) in {
        "sv": ("Klubben", "Erbjudanden"),
        "nl": ("De club", "Aanbiedingen"),
    }.items():
        publish_translation(home, language, django_capture_on_commit_callbacks, title=home_title)
        publish_translation(offer_index, language, django_capture_on_commit_callbacks, title=offers_title)
    return offer_index


def test_given_an_offer_published_in_three_languages_one_after_another_then_each_member_gets_one_notice_in_their_language(
    client, offer_trees, django_capture_on_commit_callbacks, mailoutbox
):
    from django.utils import translation

    english, swedish, dutch = member_reading("en"), member_reading("sv"), member_reading("nl")
    offer = make_offer(offer_trees, "Good coffee for the site hut", slug="site-hut-coffee", live=False)

    # when the English original is published, the Swedish reader reads it (in English) and opens it
    publish(offer, django_capture_on_commit_callbacks)
    client.force_login(swedish)
    notice = Notification.objects.get(recipient=swedish)
    assert client.get(f"/notifications/{notice.pk}/open/").status_code == 302
    # and then the Swedish and the Dutch translations are published, one after the other
    publish_translation(
        offer,
        "sv",
        django_capture_on_commit_callbacks,
        title="Gott kaffe i bodan",
        introduction="En maskin byggd för damm",
        slug="gott-kaffe",
    )
    publish_translation(
        offer,
        "nl",
        django_capture_on_commit_callbacks,
        title="Goede koffie in de bouwkeet",
        introduction="Een machine die tegen stof kan",
    )

    # then everyone has the one notice of the English publish, keyed on the offer's translations,
    # e-mailed once, and the Swedish reader's stays read
    notices = {n.recipient_id: n for n in Notification.objects.filter(kind=NotificationKind.OFFER)}
    assert sorted(notices) == sorted([english.pk, swedish.pk, dutch.pk])
    assert {n.key for n in notices.values()} == {f"offer:{offer.translation_key}"}
    assert len(mailoutbox) == 3
    assert notices[swedish.pk].is_read
    # and each reads it in their language, the link leading to their language's page
    expected = {
        "en": (english, "New offer: Good coffee for the site hut", "About Good coffee for the site hut"),
        "sv": (swedish, "Nytt erbjudande: Gott kaffe i bodan", "En maskin byggd för damm"),
        "nl": (dutch, "Nieuwe aanbieding: Goede koffie in de bouwkeet", "Een machine die tegen stof kan"),
    }
    for language, (member, title, body) in expected.items():
        with translation.override(language):
            assert (notices[member.pk].title, notices[member.pk].body) == (title, body)
        client.force_login(member)
        centre = client.get("/notifications/").content.decode()
        page = client.get(f"/notifications/{notices[member.pk].pk}/open/", follow=True)
        offer_titles = {other: words.split(": ", 1)[1] for other, (_member, words, _body) in expected.items()}
        assert offer_titles.pop(language) in centre
        assert not any(other_title in centre for other_title in offer_titles.values())
        assert page.status_code == 200
        assert page.context["page"].title == title.split(": ", 1)[1]


def test_given_a_translation_published_alone_then_readers_without_their_language_read_the_default_language(
    offer_trees, django_capture_on_commit_callbacks
):
    from django.utils import translation

    dutch = member_reading("nl")
    offer = make_offer(offer_trees, "Winter deal", live=False)
    publish(offer, django_capture_on_commit_callbacks)
    publish_translation(offer, "sv", django_capture_on_commit_callbacks, title="Vintererbjudande", introduction="")

    notice = Notification.objects.get(recipient=dutch)
    with translation.override("nl"):
        assert (notice.title, notice.body) == ("Nieuwe aanbieding: Winter deal", "About Winter deal")
    with translation.override("sv"):  # the Swedish page has no introduction: none under its title
        assert (notice.title, notice.body) == ("Nytt erbjudande: Vintererbjudande", "")


def test_given_a_tier_offer_and_its_translation_published_before_it_is_valid_then_members_hear_of_it_once(
    offer_trees, tiers, django_capture_on_commit_callbacks
):
    from django.utils import translation

    from cms.notices import offers_announce_newly_current

    gold = member_in_tier(tiers["gold"])
    now = timezone.now()
    offer = make_offer(
        offer_trees, "Gold lounge", tiers=[tiers["gold"]], live=False, valid_from=now + timedelta(days=1)
    )
    publish(offer, django_capture_on_commit_callbacks)
    publish_translation(offer, "sv", django_capture_on_commit_callbacks, title="Guldloungen")

    notices = offers_announce_newly_current(now=now + timedelta(days=1, minutes=5))

    assert notices == 1
    notice = Notification.objects.get(recipient=gold)
    with translation.override("sv"):
        assert notice.title == "Nytt erbjudande för Gold-medlemmar: Guldloungen"
