"""Staff cannot move a company to another currency while it has open orders of money (a gift
card, a credit on the invoice) in the old one: such an order could then be neither approved
nor fulfilled, only rejected. The company admin's currency field says how many there are and
what to do; once they are fulfilled or rejected the change goes through. Other open orders,
and changes that keep the currency, are not held up. The check holds under concurrency: an
order placed while the change is being saved waits for it, and is then refused in the old
currency (real threads on PostgreSQL)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.urls import reverse

from members.currency_guards import company_currency_change_refusal
from members.models import Company, Country, MembershipRole
from rewards.catalogue.services import approval_threshold_set
from rewards.ledger.services import points_account_for_company
from rewards.models import ProgrammeCurrency, ProgrammeRules, Redemption, RedemptionStatus
from rewards.redemptions.services import RedemptionError, redemption_approve, redemption_reject
from tests.factories import CompanyFactory, MembershipFactory, StaffFactory
from tests.rewards.factories import RewardFactory
from tests.rewards.helpers import give_points, request_redemption

pytestmark = pytest.mark.django_db


def one_stranded(old: str = "SEK", new: str = "EUR") -> str:
    return (
        f"This company has 1 open voucher or invoice-credit order in {old}, which cannot be approved or fulfilled "
        f"once the company buys in {new}. Fulfil or reject it first, then change the currency."
    )


@pytest.fixture
def eur_terms(db):
    ProgrammeRules.current()
    return ProgrammeCurrency.objects.create(
        currency="EUR", points_per_currency_unit=11, point_value="0.0018", reporting_rate=11
    )


@pytest.fixture
def swedish(eur_terms):
    """A company buying in SEK, with 100 000 points, whose purchasers' orders above 5 000
    points wait for its admin's approval."""
    company = CompanyFactory(name="Bergström Bygg AB")
    give_points(points_account_for_company(company=company), 100_000)
    admin = MembershipFactory(company=company, role=MembershipRole.ADMIN)
    approval_threshold_set(company=company, threshold=5_000, by=admin.user)
    company.admin_membership = admin
    return company


@pytest.fixture
def sek_credit(db):
    return RewardFactory(
        kind="invoice_credit", title="1 000 SEK off your next invoice", points_cost=20_000, value="1000.00"
    )


def order(company, reward) -> Redemption:
    """A purchaser's order, above the approval limit: open, awaiting the company admin."""
    redemption = request_redemption(MembershipFactory(company=company), reward)
    assert redemption.status == RedemptionStatus.AWAITING_APPROVAL
    return redemption


@pytest.fixture
def club_admin_client(client, settings):
    settings.STAFF_MFA_REQUIRED = False  # staff MFA has its own tests
    client.force_login(StaffFactory(group="Club admins"))
    return client


def save_company(client, company: Company, **changes):
    """Post the company's admin change form as it stands, with ``changes``."""
    url = reverse("admin:members_company_change", args=[company.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "sales_rep"}
    data |= {"memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"}
    return client.post(url, data | changes)


def currency_errors(response) -> list[str]:
    assert response.status_code == 200  # the form again
    return response.context["adminform"].form.errors["currency"]


# --- The company admin ---------------------------------------------------------------------------


def test_given_an_open_sek_gift_card_order_when_staff_move_the_company_to_eur_then_the_field_says_what_to_do(
    club_admin_client, swedish, sek_gift_card
):
    redemption = order(swedish, sek_gift_card)

    response = save_company(club_admin_client, swedish, currency="EUR")

    assert currency_errors(response) == [one_stranded()]
    assert Company.objects.get(pk=swedish.pk).currency == "SEK"
    # Nothing is stuck: the company's admin can still approve it, and its code goes out.
    approved = redemption_approve(redemption=redemption, by=swedish.admin_membership.user)
    assert approved.status == RedemptionStatus.FULFILLED


def test_given_two_open_money_orders_when_staff_move_the_company_to_eur_then_the_field_counts_both(
    club_admin_client, swedish, sek_gift_card, sek_credit
):
    order(swedish, sek_gift_card)
    order(swedish, sek_credit)

    response = save_company(club_admin_client, swedish, currency=" eur ")

    assert currency_errors(response) == [
        "This company has 2 open voucher or invoice-credit orders in SEK, which cannot be approved or fulfilled "
        "once the company buys in EUR. Fulfil or reject them first, then change the currency."
    ]
    assert Company.objects.get(pk=swedish.pk).currency == "SEK"


def test_given_a_sek_company_with_no_currency_of_its_own_when_staff_move_it_to_the_netherlands_then_held_up_too(
    club_admin_client, swedish, sek_gift_card
):
    """An empty currency is the country's: a new country with it is a new currency."""
    order(swedish, sek_gift_card)

    response = save_company(club_admin_client, swedish, currency="", country=Country.NETHERLANDS, org_number="12345678")

    assert currency_errors(response) == [one_stranded()]
    assert Company.objects.get(pk=swedish.pk).country == Country.SWEDEN


def test_given_the_open_order_is_rejected_when_staff_move_the_company_to_eur_then_it_buys_in_eur(
    club_admin_client, swedish, sek_gift_card
):
    redemption = order(swedish, sek_gift_card)
    redemption_reject(redemption=redemption, by=swedish.admin_membership.user, comment="We buy in EUR now.")

    response = save_company(club_admin_client, swedish, currency="EUR")

    assert response.status_code == 302
    assert Company.objects.get(pk=swedish.pk).currency == "EUR"


def test_given_only_an_open_product_order_when_staff_move_the_company_to_eur_then_it_buys_in_eur(
    club_admin_client, swedish
):
    """A product's value is a price tag, not money: its order is fulfilled in any currency."""
    order(swedish, RewardFactory(title="Steel thermos", points_cost=10_000))

    response = save_company(club_admin_client, swedish, currency="EUR")

    assert response.status_code == 302
    assert Company.objects.get(pk=swedish.pk).currency == "EUR"


def test_given_an_open_money_order_when_staff_change_something_else_then_it_is_saved(
    club_admin_client, swedish, sek_gift_card
):
    order(swedish, sek_gift_card)

    response = save_company(club_admin_client, swedish, name="Bergström Bygg & Son AB", currency="sek")

    assert response.status_code == 302
    company = Company.objects.get(pk=swedish.pk)
    assert (company.name, company.currency) == ("Bergström Bygg & Son AB", "SEK")


# --- Concurrency: an order placed while the change is saved ------------------------------------


@pytest.mark.django_db(transaction=True)
def test_given_staff_saving_a_move_to_eur_when_a_sek_gift_card_is_ordered_meanwhile_then_it_waits_and_is_refused(
    require_postgres, swedish, sek_gift_card
):
    """The change has been checked (no open orders) and written, not yet committed; a member
    orders a SEK gift card at that moment. The order waits for the change, then reads EUR and
    is refused: no SEK order is left stranded."""
    buyer = MembershipFactory(company=swedish, role=MembershipRole.ADMIN)  # an admin: no approval needed
    checked, ordering_started = threading.Event(), threading.Event()
    outcome: dict = {}

    def staff_saves_the_change() -> None:
        try:
            with transaction.atomic():
                company = Company.objects.get(pk=swedish.pk)
                outcome["refusal"] = company_currency_change_refusal(company=company, currency="EUR")
                Company.objects.filter(pk=company.pk).update(currency="EUR")
                checked.set()
                ordering_started.wait(timeout=10)
                time.sleep(0.5)  # the order runs into the lock meanwhile
            outcome["committed_at"] = time.monotonic()
        finally:
            connection.close()

    def member_orders() -> None:
        try:
            assert checked.wait(timeout=10)
            ordering_started.set()
            request_redemption(buyer, sek_gift_card)
            outcome["order"] = "placed"
        except RedemptionError as exc:
            outcome["order"] = str(exc)
        finally:
            outcome["ordered_at"] = time.monotonic()
            connection.close()

    threads = [threading.Thread(target=member_orders), threading.Thread(target=staff_saves_the_change)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcome["refusal"] is None
    assert outcome["ordered_at"] > outcome["committed_at"]  # the order waited for the change
    assert outcome["order"] == (
        "This reward's value is in SEK, so it is only offered to companies that buy in SEK; your company buys in EUR."
    )
    assert not Redemption.objects.exists()
    assert Company.objects.get(pk=swedish.pk).currency == "EUR"
