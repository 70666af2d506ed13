"""A perk of a tier is a perk of every tier above it: an offer for chosen tiers reaches
companies in those tiers and in any tier ranked above the lowest of them."""

from __future__ import annotations

import pytest
from django.utils import translation

from cms.models import OfferPage
from notifications.models import Notification, NotificationKind
from tests.cms.conftest import make_offer, member_in_tier
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def platinum(tiers):
    from rewards.models import Tier

    tiers["platinum"] = Tier.objects.create(name="Platinum", qualifying_points=150_000)
    return tiers["platinum"]


def test_a_platinum_company_opens_a_gold_only_offer_and_silver_is_told_to_reach_gold(
    client, offer_index, tiers, platinum, silver_member
):
    offer = make_offer(offer_index, "Next day delivery", tiers=[tiers["gold"]], terms="<p>Gold terms</p>")
    platinum_member = member_in_tier(platinum)

    client.force_login(platinum_member)
    response = client.get(offer.url)
    assert response.status_code == 200
    assert "Gold terms" in response.content.decode()
    listing = client.get(offer_index.url).content.decode()
    assert f'href="{offer.url}"' in listing
    assert "Reach" not in listing
    assert "Next day delivery" in client.get("/dashboard/").content.decode()

    client.force_login(silver_member)
    response = client.get(offer.url)
    assert response.status_code == 403
    body = response.content.decode()
    assert "Reach Gold to unlock it." in body
    assert "Gold terms" not in body
    listing = client.get(offer_index.url).content.decode()
    assert "Reach Gold to unlock this offer." in listing
    assert f'href="{offer.url}"' not in listing


def test_an_offer_for_several_tiers_asks_a_lower_company_to_reach_the_lowest_of_them(
    client, offer_index, tiers, platinum
):
    from rewards.models import Tier

    bronze = Tier.objects.create(name="Bronze", qualifying_points=1_000)
    member = member_in_tier(bronze)
    offer = make_offer(offer_index, "Lounge", tiers=[platinum, tiers["silver"]])

    client.force_login(member)
    body = client.get(offer.url).content.decode()
    assert "Reach Silver to unlock it." in body
    assert "Reach Silver to unlock this offer." in client.get(offer_index.url).content.decode()

    client.force_login(member_in_tier(tiers["gold"]))
    assert client.get(offer.url).status_code == 200


def test_search_finds_a_lower_tiers_offer_for_a_higher_tier(client, search_page, offer_index, tiers, platinum):
    make_offer(offer_index, "Drill lounge for gold", tiers=[tiers["gold"]])
    client.force_login(member_in_tier(platinum))

    assert "Drill lounge for gold" in client.get("/search/", {"q": "drill"}).content.decode()
    assert "Drill lounge for gold" in client.get(search_page.url, {"q": "drill"}).content.decode()


def test_a_gold_offer_is_announced_to_gold_and_platinum_not_silver(
    offer_index, tiers, platinum, django_capture_on_commit_callbacks
):
    gold, plat, silver = (member_in_tier(tiers["gold"]), member_in_tier(platinum), member_in_tier(tiers["silver"]))
    no_tier = MembershipFactory().user
    offer = make_offer(offer_index, "Gold lounge", tiers=[tiers["gold"]], live=False)

    with django_capture_on_commit_callbacks(execute=True):
        OfferPage.objects.get(pk=offer.pk).save_revision().publish()

    announced = set(Notification.objects.filter(kind=NotificationKind.OFFER).values_list("recipient_id", flat=True))
    assert announced == {gold.pk, plat.pk}
    assert silver.pk not in announced and no_tier.pk not in announced


def publish(offer, capture):
    with capture(execute=True):
        OfferPage.objects.get(pk=offer.pk).save_revision().publish()


def test_given_a_gold_offer_when_platinum_and_gold_readers_get_its_notice_then_it_says_gold_and_above(
    offer_index, tiers, platinum, django_capture_on_commit_callbacks
):
    # given a Gold offer, and Platinum ranked above Gold (its name kept in Swedish too)
    tiers["gold"].name_sv = "Guld"
    tiers["gold"].save(update_fields=["name_sv"])
    gold, plat = member_in_tier(tiers["gold"]), member_in_tier(platinum)
    offer = make_offer(offer_index, "Gold lounge", tiers=[tiers["gold"]], live=False)

    # when it is published
    publish(offer, django_capture_on_commit_callbacks)

    # then neither reader is told it is "for Gold members" only: it is for Gold and above
    for reader in (gold, plat):
        notice = Notification.objects.get(recipient=reader)
        assert notice.title == "New offer for Gold members and above: Gold lounge"
        assert "New offer for Gold members:" not in notice.title
    # and a Swedish reader reads the tier's Swedish name (the words render in their language)
    with translation.override("sv"):
        assert "Guld" in Notification.objects.get(recipient=plat).title


def test_given_an_offer_for_several_tiers_then_its_notice_names_the_lowest_and_above(
    offer_index, tiers, platinum, django_capture_on_commit_callbacks
):
    gold = member_in_tier(tiers["gold"])
    offer = make_offer(offer_index, "Lounge", tiers=[platinum, tiers["silver"]], live=False)

    publish(offer, django_capture_on_commit_callbacks)

    assert Notification.objects.get(recipient=gold).title == "New offer for Silver members and above: Lounge"


def test_given_an_offer_for_the_top_tier_then_its_notice_says_it_is_for_that_tier(
    offer_index, tiers, platinum, django_capture_on_commit_callbacks
):
    plat = member_in_tier(platinum)
    offer = make_offer(offer_index, "Platinum dinner", tiers=[platinum], live=False)

    publish(offer, django_capture_on_commit_callbacks)

    assert Notification.objects.get(recipient=plat).title == "New offer for Platinum members: Platinum dinner"
