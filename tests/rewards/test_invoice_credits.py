"""Pay your invoice with points: an invoice-credit reward is ordered like any reward (the
redemption service: approval rules, points reserved and spent), and its fulfilment is an
``InvoiceCredit`` the ERP applies once; the member sees its money value and status."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from members.models import Membership
from rewards.catalogue.services import approval_threshold_set
from rewards.models import InvoiceCredit, InvoiceCreditStatus, LedgerEntry, Redemption, RedemptionStatus
from rewards.redemptions.credits import InvoiceCreditError, invoice_credit_apply
from rewards.redemptions.services import RedemptionError, redemption_approve, redemption_cancel

from .factories import RewardFactory
from .helpers import assert_ledger_consistent, fresh, give_points, request_redemption

pytestmark = pytest.mark.django_db


@pytest.fixture
def credit_reward(db):
    """1 000 SEK off the next invoice for 20 000 points."""
    return RewardFactory(kind="invoice_credit", title="1 000 SEK off your invoice", points_cost=20_000, value="1000.00")


def test_given_points_when_a_purchaser_orders_an_invoice_credit_then_it_is_fulfilled_with_an_open_credit(
    account, purchaser, credit_reward
):
    give_points(account, 50_000)

    redemption = request_redemption(Membership.objects.get(user=purchaser), credit_reward, quantity=2)

    assert redemption.status == RedemptionStatus.FULFILLED
    credit = InvoiceCredit.objects.get()
    assert (credit.redemption, credit.company_id, credit.points) == (redemption, account.company_id, 40_000)
    assert (credit.amount, credit.currency, credit.status) == (Decimal("2000.00"), "SEK", InvoiceCreditStatus.OPEN)
    assert fresh(account).balance == 10_000
    assert_ledger_consistent()
    call_command("check_ledger")


def test_given_an_approval_limit_when_the_admin_approves_then_the_credit_is_made_and_not_before(
    account, company, purchaser, company_admin, credit_reward
):
    give_points(account, 50_000)
    approval_threshold_set(company=company, threshold=5_000, by=company_admin)

    redemption = request_redemption(Membership.objects.get(user=purchaser), credit_reward)
    assert redemption.status == RedemptionStatus.AWAITING_APPROVAL
    assert not InvoiceCredit.objects.exists()

    approved = redemption_approve(redemption=redemption, by=company_admin)
    again = redemption_approve(redemption=redemption, by=company_admin)

    assert approved.status == again.status == RedemptionStatus.FULFILLED
    assert InvoiceCredit.objects.get().redemption == redemption  # once


def test_given_an_order_awaiting_approval_when_it_is_cancelled_then_no_credit_and_the_points_are_back(
    account, company, purchaser, company_admin, credit_reward
):
    give_points(account, 50_000)
    approval_threshold_set(company=company, threshold=5_000, by=company_admin)
    redemption = request_redemption(Membership.objects.get(user=purchaser), credit_reward)

    redemption_cancel(redemption=redemption, by=purchaser)

    assert not InvoiceCredit.objects.exists()
    assert fresh(account).balance == 50_000
    assert_ledger_consistent()


def test_given_too_few_points_when_an_invoice_credit_is_ordered_then_it_is_refused_and_nothing_changes(
    account, purchaser, credit_reward
):
    give_points(account, 19_999)
    entries = LedgerEntry.objects.count()

    with pytest.raises(RedemptionError, match="points"):
        request_redemption(Membership.objects.get(user=purchaser), credit_reward)

    assert not Redemption.objects.exists() and not InvoiceCredit.objects.exists()
    assert LedgerEntry.objects.count() == entries and fresh(account).balance == 19_999


def test_applying_a_credit_twice_applies_it_once_and_keeps_the_first_invoice(account, purchaser, credit_reward):
    give_points(account, 20_000)
    request_redemption(Membership.objects.get(user=purchaser), credit_reward)
    credit = InvoiceCredit.objects.get()

    applied, changed = invoice_credit_apply(credit=credit, invoice_reference="INV-1001", actor_label="API: ERP")
    replay, changed_again = invoice_credit_apply(credit=credit, invoice_reference="INV-2002", actor_label="API: ERP")

    assert (changed, changed_again) == (True, False)
    assert replay.status == InvoiceCreditStatus.APPLIED and replay.invoice_reference == "INV-1001"
    assert replay.applied_at == applied.applied_at and replay.amount == Decimal("1000.00")


@pytest.mark.parametrize("reference", ["", "   ", "x" * 101, "INV\x00"])
def test_a_bad_invoice_reference_is_refused_and_the_credit_stays_open(account, purchaser, credit_reward, reference):
    give_points(account, 20_000)
    request_redemption(Membership.objects.get(user=purchaser), credit_reward)
    credit = InvoiceCredit.objects.get()

    with pytest.raises(InvoiceCreditError):
        invoice_credit_apply(credit=credit, invoice_reference=reference, actor_label="API: ERP")

    assert InvoiceCredit.objects.get().status == InvoiceCreditStatus.OPEN


def test_the_order_page_shows_the_credits_money_value_and_status(member_client, account, purchaser, credit_reward):
    give_points(account, 20_000)
    redemption = request_redemption(Membership.objects.get(user=purchaser), credit_reward)
    url = reverse("rewards:order", args=[redemption.pk])

    open_page = member_client.get(url).content.decode()
    invoice_credit_apply(credit=InvoiceCredit.objects.get(), invoice_reference="INV-77", actor_label="API: ERP")
    applied_page = member_client.get(url).content.decode()

    assert 'data-testid="invoice-credit"' in open_page
    assert "1,000.00" in open_page or "1 000" in open_page or "1000" in open_page
    assert "Waiting for the next invoice" in open_page
    assert "Credited on an invoice" in applied_page and "INV-77" in applied_page


def test_another_companys_member_cannot_see_the_credit(client, other_member, account, purchaser, credit_reward):
    give_points(account, 20_000)
    redemption = request_redemption(Membership.objects.get(user=purchaser), credit_reward)
    client.force_login(other_member)

    assert client.get(reverse("rewards:order", args=[redemption.pk])).status_code == 404
