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
