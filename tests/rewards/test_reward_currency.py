"""A money reward (a gift card, a credit on the invoice, a donation of a sum in the company's
name) is worth money in its own currency: only companies that buy in that currency see it,
open it, make it their goal or redeem it, and the ERP is never asked to credit one currency
on an invoice in another; an order of a gift card or a credit placed before the company's
currency changed is neither approved nor fulfilled, but can be rejected or cancelled.
Rewards that are not money (a product, an event) stay in everyone's catalogue, and staff
cannot make a money reward in a currency the club does not run in."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from members.models import Country, Membership, MembershipRole
from notifications.models import Notification
from rewards.catalogue.selectors import company_goal
from rewards.catalogue.services import CatalogueError, approval_threshold_set, reward_goal_set
from rewards.ledger.services import points_account_for_company
from rewards.models import (
    CompanyRewardSettings,
    InvoiceCredit,
    LedgerEntry,
    ProgrammeCurrency,
    Redemption,
    RedemptionStatus,
    Reward,
    VoucherCode,
)
from rewards.redemptions.services import (
    RedemptionError,
    redemption_approve,
    redemption_cancel,
    redemption_fulfil,
    redemption_reject,
    redemptions_fulfil_bulk,
)
from tests.factories import CompanyFactory, MembershipFactory

from .factories import RewardFactory, VoucherRewardFactory
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
    """250 SEK given to a Swedish charity in the company's name: a sum in SEK."""
    return RewardFactory(
        kind="donation", title="Donation to the Childhood Cancer Fund", charity_name="Barncancerfonden", value="250.00"
    )


@pytest.fixture
def eur_donation(db):
    return RewardFactory(
        kind="donation",
        title="Donation to KWF, 25 EUR",
        charity_name="KWF Kankerbestrijding",
        value="25.00",
        currency="EUR",
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
    client, dutch, sek_credit, sek_gift_card, eur_credit, thermos, donation, eur_donation, portal_site
):
    logged_in(client, dutch)

    page = client.get(CATALOGUE_URL).content.decode()

    assert "1 000 SEK off your next invoice" not in page and "Gift card, 200 SEK" not in page
    assert "Donation to the Childhood Cancer Fund" not in page  # 250 SEK: not a EUR company's to give
    assert "100 EUR off your next invoice" in page and "Donation to KWF, 25 EUR" in page
    assert "Steel thermos" in page


def test_given_the_same_catalogue_when_a_sek_company_opens_it_then_it_sees_the_sek_rewards_and_not_the_eur_one(
    client, swedish, sek_credit, sek_gift_card, eur_credit, thermos, donation, eur_donation, portal_site
):
    logged_in(client, swedish)

    page = client.get(CATALOGUE_URL).content.decode()

    assert "1 000 SEK off your next invoice" in page and "Gift card, 200 SEK" in page
    assert "Donation to the Childhood Cancer Fund" in page
    assert "100 EUR off your next invoice" not in page and "Donation to KWF, 25 EUR" not in page
    assert "Steel thermos" in page


def test_given_a_sek_donation_when_a_eur_company_opens_orders_or_saves_for_it_then_it_is_not_there(
    client, dutch, donation, portal_site
):
    membership = logged_in(client, dutch)

    assert client.get(reverse("rewards:reward", args=[donation.pk])).status_code == 404
    assert client.get(reverse("rewards:redeem", args=[donation.pk])).status_code == 404
    assert confirm(client, donation).status_code == 404
    assert client.post(reverse("rewards:goal_set", args=[donation.pk])).status_code == 404
    with pytest.raises(RedemptionError) as refused:
        request_redemption(membership, donation)
    with pytest.raises(CatalogueError):
        reward_goal_set(company=dutch, reward=donation, by=membership.user)

    assert "only offered to companies that buy in SEK; your company buys in EUR" in str(refused.value)
    assert not Redemption.objects.exists() and not CompanyRewardSettings.objects.filter(goal_reward=donation).exists()
    assert fresh(dutch.points_account).balance == 100_000


def test_given_a_sek_donation_when_a_sek_company_orders_it_then_the_order_is_placed(
    client, swedish, donation, portal_site
):
    logged_in(client, swedish)

    assert client.get(reverse("rewards:reward", args=[donation.pk])).status_code == 200
    assert confirm(client, donation).status_code == 302
    assert Redemption.objects.get().company == swedish


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


# A SEK gift card ordered by a company that then moved to EUR (or before the rule existed):
# its code must not go out, and the order must still be closable with the points returned.


@pytest.fixture
def stuck_gift_card_order(swedish, sek_gift_card):
    """A SEK gift card order awaiting approval (its code taken at request) at a company that
    staff have since moved to EUR invoicing. Returns ``(redemption, company_admin)``."""
    admin = member(swedish, MembershipRole.ADMIN)
    approval_threshold_set(company=swedish, threshold=5_000, by=admin.user)
    redemption = request_redemption(member(swedish), sek_gift_card)
    assert redemption.status == RedemptionStatus.AWAITING_APPROVAL and redemption.voucher_codes.count() == 1
    swedish.currency = "EUR"
    swedish.save(update_fields=["currency"])
    return redemption, admin


def stuck_message(redemption) -> str:
    return (
        f"Order {redemption.number} is a voucher in SEK, but Bergström Bygg AB buys in EUR; no code is given out. "
        "Reject the order to give the points back."
    )


def test_given_a_sek_gift_card_awaiting_approval_at_a_now_eur_company_when_approved_then_refused_and_unchanged(
    client, stuck_gift_card_order, portal_site
):
    redemption, admin = stuck_gift_card_order
    events = redemption.events.count()

    with pytest.raises(RedemptionError) as refused:
        redemption_approve(redemption=redemption, by=admin.user)

    assert str(refused.value) == stuck_message(redemption)
    unchanged = Redemption.objects.get(pk=redemption.pk)
    assert (unchanged.status, unchanged.decided_by, unchanged.fulfilled_at) == (
        RedemptionStatus.AWAITING_APPROVAL,
        None,
        None,
    )
    assert unchanged.events.count() == events
    assert not Notification.objects.filter(
        key__in=[f"redemption:{redemption.pk}:approved", f"redemption:{redemption.pk}:fulfilled"]
    ).exists()

    client.force_login(admin.user)
    response = client.post(
        reverse("rewards:approval_decide", args=[redemption.pk]), {"decision": "approve"}, follow=True
    )
    assert response.status_code == 200 and stuck_message(redemption) in response.content.decode()
    assert Redemption.objects.get(pk=redemption.pk).status == RedemptionStatus.AWAITING_APPROVAL


def test_given_a_refused_sek_gift_card_order_when_the_company_admin_rejects_it_then_points_and_code_come_back(
    stuck_gift_card_order, swedish, sek_gift_card
):
    redemption, admin = stuck_gift_card_order

    rejected = redemption_reject(redemption=redemption, by=admin.user, comment="Not for our EUR account")

    assert rejected.status == RedemptionStatus.REJECTED
    assert fresh(swedish.points_account).balance == 100_000
    assert VoucherCode.objects.filter(reward=sek_gift_card, redemption__isnull=True).count() == 3


def test_given_a_refused_sek_gift_card_order_when_its_buyer_cancels_it_then_the_points_come_back(
    stuck_gift_card_order, swedish
):
    redemption, _admin = stuck_gift_card_order

    cancelled = redemption_cancel(redemption=redemption, by=redemption.requested_by)

    assert cancelled.status == RedemptionStatus.CANCELLED
    assert fresh(swedish.points_account).balance == 100_000


@pytest.fixture
def stuck_ready_gift_card_order(stuck_gift_card_order):
    """The same order, approved before approving an e-voucher fulfilled it at once: it waits
    in the staff queue, ready to fulfil."""
    redemption, _admin = stuck_gift_card_order
    Redemption.objects.filter(pk=redemption.pk).update(status=RedemptionStatus.APPROVED)
    return Redemption.objects.get(pk=redemption.pk)


def test_given_a_ready_sek_gift_card_order_at_a_now_eur_company_when_staff_fulfil_it_then_refused_with_the_reason(
    client, fulfiller, stuck_ready_gift_card_order
):
    redemption = stuck_ready_gift_card_order

    with pytest.raises(RedemptionError) as refused:
        redemption_fulfil(redemption=redemption, by=fulfiller)
    response = client.post(reverse("rewards_staff:fulfil", args=[redemption.pk]), {}, follow=True)

    assert str(refused.value) == stuck_message(redemption)
    assert response.status_code == 200 and stuck_message(redemption) in response.content.decode()
    unchanged = Redemption.objects.get(pk=redemption.pk)
    assert (unchanged.status, unchanged.fulfilled_at) == (RedemptionStatus.APPROVED, None)
    assert not unchanged.events.filter(status=RedemptionStatus.FULFILLED).exists()


def test_given_ticked_orders_with_a_refused_gift_card_when_bulk_fulfilled_then_it_is_reported_and_the_rest_done(
    client, fulfiller, stuck_ready_gift_card_order, swedish, thermos
):
    stuck = stuck_ready_gift_card_order
    parcel = request_redemption(member(swedish, MembershipRole.ADMIN), thermos)

    result = redemptions_fulfil_bulk(redemption_ids=[stuck.pk], by=fulfiller)
    response = client.post(
        reverse("rewards_staff:bulk_fulfil"), {"selected": [stuck.pk, parcel.pk], "note": "Sent"}, follow=True
    )

    assert [(refused.pk, reason) for refused, reason in result.refused] == [(stuck.pk, stuck_message(stuck))]
    page = response.content.decode()
    assert "1 order marked fulfilled." in page and stuck_message(stuck) in page
    assert Redemption.objects.get(pk=parcel.pk).status == RedemptionStatus.FULFILLED
    assert Redemption.objects.get(pk=stuck.pk).status == RedemptionStatus.APPROVED


def test_given_a_refused_ready_gift_card_order_when_staff_reject_it_then_points_and_code_come_back(
    client, fulfiller, stuck_ready_gift_card_order, swedish, sek_gift_card
):
    redemption = stuck_ready_gift_card_order

    response = client.post(
        reverse("rewards_staff:reject", args=[redemption.pk]), {"reason": "Company now invoiced in EUR"}, follow=True
    )

    assert response.status_code == 200
    assert Redemption.objects.get(pk=redemption.pk).status == RedemptionStatus.REJECTED
    assert fresh(swedish.points_account).balance == 100_000
    assert VoucherCode.objects.filter(reward=sek_gift_card, redemption__isnull=True).count() == 3


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


def test_search_and_offer_pages_do_not_offer_another_currency_s_money_reward(dutch, swedish, sek_gift_card, donation):
    """The portal's search and an offer's reward box read the same rule as the catalogue."""
    from cms.points import reward_standing_for
    from portal.search import rewards_matching

    assert list(rewards_matching(query="gift card", company=swedish)) == [sek_gift_card]
    assert list(rewards_matching(query="gift card", company=dutch)) == []
    assert list(rewards_matching(query="cancer fund", company=dutch)) == []
    assert reward_standing_for(reward_id=sek_gift_card.pk, company=swedish) is not None
    assert reward_standing_for(reward_id=sek_gift_card.pk, company=dutch) is None
    assert reward_standing_for(reward_id=donation.pk, company=dutch) is None


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


# --- Making money rewards in the admin: only in a currency the club runs in ----------------------


def admin_add_form(**fields) -> dict:
    """The admin's add form for a reward, filled in; ``fields`` override."""
    default = django_settings.MODELTRANSLATION_DEFAULT_LANGUAGE
    data = {
        f"title_{default}": "Gift card",
        "sku": "GIFT-1",
        "kind": "voucher",
        f"summary_{default}": "",
        f"description_{default}": "",
        "is_active": "on",
        "points_cost": "10000",
        "value": "200.00",
        "currency": "SEK",
        "stock": "",
        "low_stock_threshold": "5",
        "max_per_order": "10",
        "company_limit": "",
        "limit_period": "year",
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
    }
    return data | fields


@pytest.fixture
def eur_terms(rules):
    """The club runs in EUR besides its base currency, SEK."""
    return ProgrammeCurrency.objects.create(
        currency="EUR", points_per_currency_unit=Decimal("11"), point_value=Decimal("0.0018"), reporting_rate=11
    )


@pytest.mark.parametrize("kind", ["voucher", "invoice_credit"])
def test_given_a_club_in_sek_and_eur_when_staff_add_a_money_reward_in_nok_then_the_currency_field_says_why(
    client, fulfiller, eur_terms, kind
):
    response = client.post(reverse("admin:rewards_reward_add"), admin_add_form(kind=kind, currency="NOK"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["currency"] == [
        "The club does not invoice in NOK; it runs in SEK, EUR. A voucher or an invoice credit is money in its own "
        "currency, offered only to companies that buy in it: choose one of those, or add NOK under programme "
        "currencies first."
    ]
    assert not Reward.objects.exists()


def test_given_a_club_in_sek_and_eur_when_staff_add_a_donation_in_nok_then_the_currency_field_says_why(
    client, fulfiller, eur_terms
):
    data = admin_add_form(kind="donation", currency="NOK", charity_name="Kreftforeningen")

    response = client.post(reverse("admin:rewards_reward_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["currency"] == [
        "The club does not invoice in NOK; it runs in SEK, EUR. A donation is a sum in its own currency, offered "
        "only to companies that buy in it: choose one of those, or add NOK under programme currencies first."
    ]
    assert not Reward.objects.exists()


@pytest.mark.parametrize("kind", ["voucher", "invoice_credit", "donation"])
def test_given_a_club_in_sek_and_eur_when_staff_add_a_money_reward_in_eur_then_it_is_saved(
    client, fulfiller, eur_terms, kind
):
    response = client.post(
        reverse("admin:rewards_reward_add"),
        admin_add_form(kind=kind, currency="EUR", charity_name="KWF Kankerbestrijding"),
    )

    assert response.status_code == 302
    assert Reward.objects.get().currency == "EUR"


def test_given_a_club_only_in_sek_when_staff_change_a_sek_gift_card_to_eur_then_refused_and_it_stays_sek(
    client, fulfiller, rules, sek_gift_card
):
    url = reverse("admin:rewards_reward_change", args=[sek_gift_card.pk])
    data = admin_add_form(sku=sek_gift_card.sku, currency="EUR", stock_seen="")

    response = client.post(url, data)

    assert response.status_code == 200
    assert "The club does not invoice in EUR; it runs in SEK." in response.content.decode()
    assert Reward.objects.get(pk=sek_gift_card.pk).currency == "SEK"


def test_given_a_product_when_staff_give_its_price_in_a_currency_the_club_does_not_run_in_then_it_is_saved(
    client, fulfiller, rules
):
    """A product's value is a price tag, not money the company receives."""
    response = client.post(reverse("admin:rewards_reward_add"), admin_add_form(kind="physical", currency="NOK"))

    assert response.status_code == 302
    assert Reward.objects.get().currency == "NOK"


def test_given_any_reward_when_its_currency_is_no_currency_code_then_the_field_says_so(client, fulfiller, rules):
    response = client.post(reverse("admin:rewards_reward_add"), admin_add_form(kind="physical", currency="XYZ"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["currency"] == ["XYZ is not a currency code (ISO 4217)."]
    assert not Reward.objects.exists()


def test_given_a_gift_card_made_before_the_rule_when_staff_take_it_out_of_the_catalogue_in_the_list_then_saved(
    client, fulfiller, rules
):
    """The list's "in the catalogue" and "featured" boxes edit no currency: they are not
    held up by it (and an error on a field the list does not have would be a crash)."""
    nok_card = VoucherRewardFactory(currency="NOK", stock=None)

    response = client.post(
        reverse("admin:rewards_reward_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(nok_card.pk),
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    assert Reward.objects.get(pk=nok_card.pk).is_active is False


def test_given_a_reward_outside_a_form_when_full_clean_then_the_same_rule_holds(rules):
    with pytest.raises(ValidationError) as invalid:
        Reward(sku="C-1", title="Credit", kind="invoice_credit", points_cost=1, value=1, currency="NOK").full_clean()

    assert list(invalid.value.message_dict) == ["currency"]


@pytest.mark.parametrize(("company_name", "shows_price_tag"), [("dutch", False), ("swedish", True)])
def test_an_orders_page_shows_a_products_price_tag_only_in_the_companys_own_currency(
    client, request, eur, thermos, portal_site, company_name, shows_price_tag
):
    """As on the reward's page: a EUR company is not told its thermos is worth 249 SEK."""
    company = request.getfixturevalue(company_name)
    logged_in(client, company)
    assert confirm(client, thermos).status_code == 302
    order = Redemption.objects.get()

    page = client.get(reverse("rewards:order", args=[order.pk])).content.decode()

    if shows_price_tag:
        assert "249\u00a0SEK each, 1 ordered" in page
    else:
        assert "SEK" not in page
