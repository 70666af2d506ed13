"""Who sees which offer: tiers, expiry, and the direct URL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.cms.conftest import make_offer
from tests.mfa import login_with_totp

pytestmark = pytest.mark.django_db


def test_gold_offer_is_open_to_gold_and_a_teaser_for_silver(client, offer_index, tiers, gold_member, silver_member):
    # given an offer for Gold only and one for everyone
    make_offer(offer_index, "Gold lounge", tiers=[tiers["gold"]])
    make_offer(offer_index, "Spring sale")

    # when Gold opens the offer list, then both offers are open to them
    client.force_login(gold_member)
    page = client.get(offer_index.url).content.decode()
    assert 'href="/offers/gold-lounge/"' in page
    assert 'href="/offers/spring-sale/"' in page

    # when Silver opens it, then the Gold offer is a teaser without a link
    client.force_login(silver_member)
    page = client.get(offer_index.url).content.decode()
    assert "Gold lounge" in page
    assert "Reach Gold to unlock this offer." in page
    assert 'href="/offers/gold-lounge/"' not in page
    assert 'href="/offers/spring-sale/"' in page


def test_a_tier_offer_opened_by_direct_url_shows_a_friendly_page_not_the_content(
    client, offer_index, tiers, silver_member, gold_member
):
    offer = make_offer(offer_index, "Gold lounge", tiers=[tiers["gold"]], terms="<p>Secret gold terms</p>")

    client.force_login(silver_member)
    response = client.get(offer.url)
    assert response.status_code == 403
    body = response.content.decode()
    assert "This offer is for other tiers" in body
    assert "Reach Gold to unlock it." in body
    assert "Secret gold terms" not in body

    client.force_login(gold_member)
    response = client.get(offer.url)
    assert response.status_code == 200
    assert "Secret gold terms" in response.content.decode()


def test_a_member_without_a_points_account_sees_only_all_member_offers(client, offer_index, tiers, purchaser):
    make_offer(offer_index, "Gold lounge", tiers=[tiers["gold"]])
    client.force_login(purchaser)
    assert client.get("/offers/gold-lounge/").status_code == 403


def test_expired_and_future_offers_disappear_from_lists_and_their_urls(client, offer_index, purchaser):
    make_offer(offer_index, "Old deal", days_left=-1)
    make_offer(offer_index, "Next deal", valid_from=timezone.now() + timedelta(days=3))
    make_offer(offer_index, "Live deal")
    client.force_login(purchaser)

    page = client.get(offer_index.url).content.decode()
    assert "Live deal" in page
    assert "Old deal" not in page
    assert "Next deal" not in page
    assert client.get("/offers/old-deal/").status_code == 404
    assert client.get("/offers/next-deal/").status_code == 404
    assert "Old deal" not in client.get("/dashboard/").content.decode()


def test_an_offer_expires_on_its_own_without_anyone_editing_it(client, offer_index, purchaser, settings):
    offer = make_offer(offer_index, "Short deal")
    client.force_login(purchaser)
    assert client.get(offer.url).status_code == 200

    type(offer).objects.filter(pk=offer.pk).update(valid_until=timezone.now() - timedelta(seconds=1))

    assert client.get(offer.url).status_code == 404


def test_staff_preview_sees_every_tier(client, offer_index, tiers, db):
    from tests.factories import StaffFactory

    offer = make_offer(offer_index, "Gold lounge", tiers=[tiers["gold"]])
    login_with_totp(client, StaffFactory(group="Marketing"))
    assert client.get(offer.url).status_code == 200


def test_tier_offer_needs_a_tier_in_the_editor_form(offer_index):
    from cms.models import OfferPage

    form_class = OfferPage.get_edit_handler().get_form_class()
    form = form_class(
        data={
            "title": "No tiers",
            "slug": "no-tiers",
            "audience": "tiers",
            "cta_kind": "sales_rep",
            "cta_text": "Ask",
            "body-count": "0",
        },
        parent_page=offer_index,
        for_user=None,
    )
    assert not form.is_valid()
    assert "tiers" in form.errors


# --- The offer's call to action ------------------------------------------------------------------


def test_an_offer_that_opens_a_reward_shows_how_close_the_company_is(client, offer_index, purchaser):
    from rewards.ledger.services import points_account_for_company
    from tests.rewards.factories import RewardFactory
    from tests.rewards.helpers import give_points

    # given an offer whose button opens a 10 000-point reward, and a company holding 4 000 points
    reward = RewardFactory(title="Site radio", points_cost=10_000)
    offer = make_offer(offer_index, "Radio week", cta_url="", cta_reward=reward, cta_text="See the radio")
    give_points(points_account_for_company(company=purchaser.membership.company), 4_000)
    client.force_login(purchaser)

    # when the member opens the offer
    page = client.get(offer.url).content.decode()

    # then the button opens the reward, with its price and the points still to go
    assert f'href="{reward.get_absolute_url()}"' in page and "See the radio" in page
    assert "Site radio" in page and "10\u202f000 points" in page
    assert "6\u202f000 points to go" in page


def test_an_offer_that_links_nothing_or_both_a_reward_and_an_address_is_refused(db):
    from django.core.exceptions import ValidationError

    from cms.models import OfferCallToAction, OfferPage
    from tests.rewards.factories import RewardFactory

    offer = OfferPage(title="Radio week", cta_kind=OfferCallToAction.REWARD, cta_url="")
    with pytest.raises(ValidationError) as nothing:
        offer.clean()
    offer.cta_reward = RewardFactory()
    offer.cta_url = "https://shop.example.com/"
    with pytest.raises(ValidationError) as both:
        offer.clean()

    assert "Choose a reward or give a web address" in str(nothing.value)
    assert "not both" in str(both.value)


def test_an_offer_for_the_sales_rep_starts_a_conversation_about_it(client, offer_index, purchaser):
    from cms.models import OfferCallToAction
    from tests.factories import StaffFactory

    company = purchaser.membership.company
    company.sales_rep = StaffFactory(group="Sales reps", first_name="Anna", last_name="Sälj")
    company.save(update_fields=["sales_rep"])
    offer = make_offer(offer_index, "Lounge access", cta_kind=OfferCallToAction.SALES_REP, cta_url="")
    client.force_login(purchaser)

    page = client.get(offer.url).content.decode()
    start = client.get("/messages/new/?subject=Lounge%20access")

    assert 'href="/messages/new/?subject=Lounge%20access"' in page
    assert "Anna Sälj" in page
    assert start.context["form"].initial["subject"] == "Lounge access"


# --- Staff open an offer: a preview, not a member's view -------------------------------------------


@pytest.mark.parametrize("staff", ["rep", "club_admin"])
def test_given_an_offer_that_opens_a_reward_when_staff_open_it_then_they_see_the_reward_as_a_preview(
    client, offer_index, staff, request, django_assert_max_num_queries
):
    from tests.rewards.factories import RewardFactory

    # given an offer whose button opens a catalogue reward, and a member of staff (no company)
    reward = RewardFactory(title="Site coffee machine", points_cost=12_000)
    offer = make_offer(offer_index, "Site hut coffee", cta_url="", cta_reward=reward, cta_text="See the machine")
    login_with_totp(client, request.getfixturevalue(staff))

    # when they open the offer
    with django_assert_max_num_queries(40):
        response = client.get(offer.url)

    # then they see the reward with its price and how members get it, and no link they cannot open
    page = response.content.decode()
    assert response.status_code == 200
    assert "Site coffee machine" in page and "12\u202f000 points" in page
    assert "redeem it from the catalogue" in page
    assert "no longer in the catalogue" not in page
    assert 'href="/rewards/' not in page


def test_given_an_offer_whose_reward_left_the_catalogue_then_staff_are_told_without_a_link_and_members_with_one(
    client, offer_index, club_admin, purchaser
):
    from tests.rewards.factories import RewardFactory

    reward = RewardFactory(title="Old radio", is_active=False)
    offer = make_offer(offer_index, "Radio week", cta_url="", cta_reward=reward)

    login_with_totp(client, club_admin)
    staff_page = client.get(offer.url).content.decode()
    client.force_login(purchaser)
    member_page = client.get(offer.url).content.decode()

    assert "no longer in the catalogue" in staff_page and 'href="/rewards/' not in staff_page
    assert "no longer in the catalogue" in member_page and 'href="/rewards/"' in member_page


def test_given_an_offer_for_the_sales_rep_when_staff_open_it_then_nothing_promises_them_a_rep(client, offer_index, rep):
    from cms.models import OfferCallToAction

    offer = make_offer(offer_index, "Lounge access", cta_kind=OfferCallToAction.SALES_REP, cta_url="")
    login_with_totp(client, rep)

    page = client.get(offer.url).content.decode()

    assert "a sales rep will be assigned to your company" not in page
    assert "Members see a button here that starts a conversation with their sales rep" in page
