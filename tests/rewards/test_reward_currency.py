"""A money reward (a gift card, a credit on the invoice) is worth money in its own currency:
only companies that buy in that currency see it, open it, make it their goal or redeem it,
and the ERP is never asked to credit one currency on an invoice in another. Rewards that are
not money (a product, a donation) stay in everyone's catalogue."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from members.models import Country, Membership, MembershipRole
from rewards.catalogue.selectors import company_goal
from rewards.catalogue.services import CatalogueError, approval_threshold_set, reward_goal_set
from rewards.ledger.services import points_account_for_company
from rewards.models import (
    CompanyRewardSettings,
    InvoiceCredit,
    LedgerEntry,
    Redemption,
    RedemptionStatus,
    VoucherCode,
)
from rewards.redemptions.services import RedemptionError, redemption_approve
from tests.factories import CompanyFactory, MembershipFactory

from .factories import RewardFactory, VoucherCodeFactory, VoucherRewardFactory
from .helpers import fresh, give_points, request_redemption

pytestmark = pytest.mark.django_db

CATALOGUE_URL = "/rewards/"


@pytest.fixture(autouse=True)
def _default_language_after():
    """A Dutch member's request leaves Dutch active in this thread; later tests expect English."""
    yield
    translation.deactivate()


@pytest.fixture
def dutch(rules):
    """A company invoiced in EUR (its country's currency), with 100 000 points."""
    company = CompanyFactory(name="Van Dijk B.V.", country=Country.NETHERLANDS, org_number="12345678")
    give_points(points_account_for_company(company=company), 100_000)
    return company


@pytest.fixture
def swedish(rules):
    """A company invoiced in SEK, with 100 000 points."""
    company = CompanyFactory(name="Bergström Bygg AB")
    give_points(points_account_for_company(company=company), 100_000)
    return company


def member(company, role=MembershipRole.PURCHASER) -> Membership:
    return MembershipFactory(company=company, role=role)


def logged_in(client, company, role=MembershipRole.PURCHASER) -> Membership:
    membership = member(company, role)
    client.force_login(membership.user)
    return membership


@pytest.fixture
def sek_credit(db):
    return RewardFactory(
        kind="invoice_credit", title="1 000 SEK off your next invoice", points_cost=20_000, value="1000.00"
    )


@pytest.fixture
def sek_gift_card(db):
    reward = VoucherRewardFactory(title="Gift card, 200 SEK", points_cost=10_000, value="200.00", stock=None)
    VoucherCodeFactory.create_batch(3, reward=reward)
    return reward


@pytest.fixture
def eur_credit(db):
    return RewardFactory(
        kind="invoice_credit", title="100 EUR off your next invoice", points_cost=20_000, value="100.00", currency="EUR"
    )


@pytest.fixture
def thermos(db):
    """A product: its value (a retail price in SEK) is a price tag, not money the company gets."""
    return RewardFactory(title="Steel thermos", points_cost=10_000, value="249.00")


@pytest.fixture
def donation(db):
    return RewardFactory(
        kind="donation", title="Donation to the Childhood Cancer Fund", charity_name="Barncancerfonden", value="250.00"
    )


def confirm(client, reward, key="a" * 32):
    return client.post(
        reverse("rewards:redeem", args=[reward.pk]),
        {
            "quantity": "1",
            "delivery_name": "Van Dijk B.V., Sanne",
            "delivery_street": "Oudegracht 1",
            "delivery_postal_code": "3511 AA",
            "delivery_city": "Utrecht",
            "delivery_country": "NL",
            "delivery_phone": "",
            "note": "",
            "step": "confirm",
            "request_key": key,
        },
    )


# --- The catalogue ----------------------------------------------------------------------------


def test_given_sek_money_rewards_when_a_eur_company_opens_the_catalogue_then_it_sees_only_what_it_can_use(
    client, dutch, sek_credit, sek_gift_card, eur_credit, thermos, donation, portal_site
):
    logged_in(client, dutch)

    page = client.get(CATALOGUE_URL).content.decode()

    assert "1 000 SEK off your next invoice" not in page and "Gift card, 200 SEK" not in page
    assert "100 EUR off your next invoice" in page
    assert "Steel thermos" in page and "Donation to the Childhood Cancer Fund" in page


def test_given_the_same_catalogue_when_a_sek_company_opens_it_then_it_sees_the_sek_rewards_and_not_the_eur_one(
    client, swedish, sek_credit, sek_gift_card, eur_credit, thermos, donation, portal_site
):
    logged_in(client, swedish)

    page = client.get(CATALOGUE_URL).content.decode()

    assert "1 000 SEK off your next invoice" in page and "Gift card, 200 SEK" in page
    assert "100 EUR off your next invoice" not in page
    assert "Steel thermos" in page and "Donation to the Childhood Cancer Fund" in page


def test_given_a_search_or_a_kind_filter_when_a_eur_company_looks_for_gift_cards_then_the_sek_ones_stay_hidden(
    client, dutch, sek_gift_card, portal_site
):
    logged_in(client, dutch)

    by_search = client.get(CATALOGUE_URL, {"q": "Gift card"}).content.decode()
    by_kind = client.get(CATALOGUE_URL, {"kind": "voucher"}).content.decode()

    assert "Gift card, 200 SEK" not in by_search and "Gift card, 200 SEK" not in by_kind


def test_given_a_sek_money_reward_when_a_eur_company_opens_its_page_then_404_and_a_product_still_opens(
    client, dutch, sek_credit, sek_gift_card, thermos, portal_site
):
    logged_in(client, dutch)

    assert client.get(reverse("rewards:reward", args=[sek_credit.pk])).status_code == 404
    assert client.get(reverse("rewards:reward", args=[sek_gift_card.pk])).status_code == 404
    assert client.get(reverse("rewards:redeem", args=[sek_credit.pk])).status_code == 404
    assert client.get(reverse("rewards:reward", args=[thermos.pk])).status_code == 200


def test_given_a_sek_money_reward_when_a_sek_company_opens_its_page_then_it_is_there(
    client, swedish, sek_credit, portal_site
):
    logged_in(client, swedish)

    response = client.get(reverse("rewards:reward", args=[sek_credit.pk]))

    assert response.status_code == 200 and "1 000 SEK off your next invoice" in response.content.decode()


# --- Redeeming --------------------------------------------------------------------------------


@pytest.mark.parametrize("reward_name", ["sek_credit", "sek_gift_card"])
def test_given_a_hidden_sek_reward_when_a_eur_company_posts_the_order_directly_then_404_and_nothing_is_made(
    client, dutch, reward_name, request, portal_site
):
    reward = request.getfixturevalue(reward_name)
    logged_in(client, dutch)
    entries = LedgerEntry.objects.count()

    review = client.post(reverse("rewards:redeem", args=[reward.pk]), {"quantity": "1"})
    confirmed = confirm(client, reward)

    assert review.status_code == confirmed.status_code == 404
    assert not Redemption.objects.exists() and not InvoiceCredit.objects.exists()
    assert LedgerEntry.objects.count() == entries
    assert fresh(dutch.points_account).balance == 100_000
    assert not VoucherCode.objects.filter(redemption__isnull=False).exists()


def test_given_a_sek_invoice_credit_when_the_service_is_asked_for_a_eur_company_then_refused_with_the_reason(
    dutch, sek_credit
):
    membership = member(dutch)

    with pytest.raises(RedemptionError) as refused:
        request_redemption(membership, sek_credit)

    assert str(refused.value) == (
        "This reward's value is in SEK, so it is only offered to companies that buy in SEK; your company buys in EUR."
    )
    assert not Redemption.objects.exists() and not InvoiceCredit.objects.exists()
    assert fresh(dutch.points_account).balance == 100_000


def test_given_a_sek_invoice_credit_when_a_sek_company_orders_it_then_it_gets_a_sek_credit(
    client, swedish, sek_credit, portal_site
):
    logged_in(client, swedish)

    response = confirm(client, sek_credit)

    redemption = Redemption.objects.get()
    assert response.status_code == 302 and response.url == redemption.get_absolute_url()
    assert redemption.status == RedemptionStatus.FULFILLED
    credit = InvoiceCredit.objects.get()
    assert (credit.company, credit.amount, credit.currency) == (swedish, Decimal("1000.00"), "SEK")
    assert fresh(swedish.points_account).balance == 80_000


def test_given_a_eur_invoice_credit_when_a_eur_company_orders_it_then_it_gets_a_eur_credit(
    client, dutch, eur_credit, portal_site
):
    logged_in(client, dutch)

    assert confirm(client, eur_credit).status_code == 302

    credit = InvoiceCredit.objects.get()
    assert (credit.company, credit.amount, credit.currency) == (dutch, Decimal("100.00"), "EUR")


@pytest.mark.parametrize("company_name", ["dutch", "swedish"])
def test_given_a_product_when_either_company_orders_it_then_the_order_is_placed(
    client, company_name, thermos, request, portal_site
):
    company = request.getfixturevalue(company_name)
    logged_in(client, company)

    assert confirm(client, thermos).status_code == 302

    assert Redemption.objects.get().company == company
    assert fresh(company.points_account).balance == 90_000


# --- The last guard: an order placed before the company's currency changed ---------------------


def test_given_a_sek_credit_awaiting_approval_when_the_company_is_now_invoiced_in_eur_then_no_credit_is_made(
    client, swedish, sek_credit, portal_site
):
    admin = member(swedish, MembershipRole.ADMIN)
    approval_threshold_set(company=swedish, threshold=5_000, by=admin.user)
    redemption = request_redemption(member(swedish), sek_credit)
    assert redemption.status == RedemptionStatus.AWAITING_APPROVAL
    swedish.currency = "EUR"  # staff changed the currency it is invoiced in
    swedish.save(update_fields=["currency"])

    with pytest.raises(RedemptionError) as refused:
        redemption_approve(redemption=redemption, by=admin.user)

    assert "would credit SEK on an invoice in EUR" in str(refused.value)
    assert not InvoiceCredit.objects.exists()
    assert Redemption.objects.get().status == RedemptionStatus.AWAITING_APPROVAL

    client.force_login(admin.user)
    response = client.post(
        reverse("rewards:approval_decide", args=[redemption.pk]), {"decision": "approve"}, follow=True
    )
    assert response.status_code == 200 and "would credit SEK on an invoice in EUR" in response.content.decode()
    assert not InvoiceCredit.objects.exists()
    assert Redemption.objects.get().status == RedemptionStatus.AWAITING_APPROVAL


# --- The goal -----------------------------------------------------------------------------------


def test_given_a_sek_gift_card_when_a_eur_company_tries_to_make_it_its_goal_then_refused_and_none_is_set(
    client, dutch, sek_gift_card, portal_site
):
    membership = logged_in(client, dutch)

    response = client.post(reverse("rewards:goal_set", args=[sek_gift_card.pk]))
    with pytest.raises(CatalogueError):
        reward_goal_set(company=dutch, reward=sek_gift_card, by=membership.user)

    assert response.status_code == 404
    assert not CompanyRewardSettings.objects.filter(goal_reward__isnull=False).exists()


def test_given_a_sek_goal_set_before_when_a_eur_company_reads_its_goal_then_it_has_none(dutch, sek_gift_card, thermos):
    CompanyRewardSettings.objects.create(company=dutch, goal_reward=sek_gift_card)
    assert company_goal(company=dutch, balance=5_000) is None

    CompanyRewardSettings.objects.filter(company=dutch).update(goal_reward=thermos)
    assert company_goal(company=dutch, balance=5_000).reward == thermos


def test_search_and_offer_pages_do_not_offer_another_currency_s_money_reward(dutch, swedish, sek_gift_card):
    """The portal's search and an offer's reward box read the same rule as the catalogue."""
    from cms.points import reward_standing_for
    from portal.search import rewards_matching

    assert list(rewards_matching(query="gift card", company=swedish)) == [sek_gift_card]
    assert list(rewards_matching(query="gift card", company=dutch)) == []
    assert reward_standing_for(reward_id=sek_gift_card.pk, company=swedish) is not None
    assert reward_standing_for(reward_id=sek_gift_card.pk, company=dutch) is None


def test_a_product_s_regular_price_is_shown_only_in_the_company_s_own_currency(
    client, dutch, swedish, thermos, portal_site
):
    """A EUR reader sees the thermos's worth as points and EUR, not a SEK shop price."""
    logged_in(client, swedish)
    assert "Regular price" in client.get(CATALOGUE_URL).content.decode()
    assert "Regular price" in client.get(thermos.get_absolute_url()).content.decode()
    client.logout()
    logged_in(client, dutch)
    catalogue = client.get(CATALOGUE_URL).content.decode()
    assert "Steel thermos" in catalogue and "Regular price" not in catalogue
    assert "Regular price" not in client.get(thermos.get_absolute_url()).content.decode()
