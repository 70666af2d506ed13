"""Staff corrections in the Django admin: adjust with a reason, reverse entries, the liability.

Every correction is a new ledger entry by the staff user who made it; accounts and entries
stay read-only otherwise; members and staff without the permission are refused.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.forms import modelform_factory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rewards.models import EntryKind, LedgerEntry, PointsAccount, ProgrammeCurrency, ProgrammeRules
from tests.factories import StaffFactory
from tests.mfa import login_with_totp

from .factories import PointsAccountFactory, RewardFactory
from .helpers import assert_ledger_consistent, earn, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def club_admins_manage_rewards(db):
    """Club admins hold every rewards permission (members/staff_groups.py). The members data
    migration runs before the rewards tables exist, so grant them here as a migration would."""
    from django.contrib.auth.models import Group, Permission

    Group.objects.get(name="Club admins").permissions.add(*Permission.objects.filter(content_type__app_label="rewards"))


@pytest.fixture
def admin_client(client, club_admin):
    login_with_totp(client, club_admin)
    return client


@pytest.fixture
def funded_account(company, rules):
    rules.point_value = Decimal("0.05")
    rules.save()
    earn(company, 1_000, at=timezone.now() - timedelta(days=30), release=True)
    return PointsAccount.objects.get(company=company)


def adjust_url(account) -> str:
    return reverse("admin:rewards_pointsaccount_adjust", args=[account.pk])


def reverse_url(entry) -> str:
    return reverse("admin:rewards_ledgerentry_reverse", args=[entry.pk])


def form_key(client, account) -> str:
    return client.get(adjust_url(account)).context["form"]["key"].value()


# --- Adjust ----------------------------------------------------------------------------------


def test_given_a_reason_when_club_admin_adjusts_then_an_entry_by_them_changes_the_balance(
    admin_client, club_admin, funded_account
):
    key = form_key(admin_client, funded_account)

    response = admin_client.post(
        adjust_url(funded_account), {"points": "250", "reason": "Goodwill: late delivery", "key": key}
    )

    assert response.status_code == 302
    entry = LedgerEntry.objects.get(kind=EntryKind.ADJUST)
    assert (entry.points, entry.memo, entry.created_by) == (250, "Goodwill: late delivery", club_admin)
    assert fresh(funded_account).balance == 1_250
    assert_ledger_consistent()


def test_given_no_reason_when_club_admin_adjusts_then_the_form_says_so_and_nothing_changes(
    admin_client, funded_account
):
    key = form_key(admin_client, funded_account)

    response = admin_client.post(adjust_url(funded_account), {"points": "250", "reason": "   ", "key": key})

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert not LedgerEntry.objects.filter(kind=EntryKind.ADJUST).exists()
    assert fresh(funded_account).balance == 1_000


@pytest.mark.parametrize("key", ["", "k" * 65])
def test_given_a_tampered_key_when_club_admin_adjusts_then_the_form_says_so_and_nothing_changes(
    admin_client, funded_account, key
):
    response = admin_client.post(adjust_url(funded_account), {"points": "250", "reason": "Goodwill", "key": key})

    assert response.status_code == 200
    assert "This form has expired; please reload the page and try again." in response.content.decode()
    assert not LedgerEntry.objects.filter(kind=EntryKind.ADJUST).exists()
    assert fresh(funded_account).balance == 1_000


def test_given_more_than_the_balance_when_club_admin_takes_points_then_refused_with_the_reason(
    admin_client, funded_account
):
    key = form_key(admin_client, funded_account)

    response = admin_client.post(adjust_url(funded_account), {"points": "-5000", "reason": "Mistake", "key": key})

    assert response.status_code == 200
    assert "cannot be reduced" in response.content.decode()
    assert fresh(funded_account).balance == 1_000


def test_given_the_same_form_submitted_twice_when_adjusting_then_points_move_once(admin_client, funded_account):
    key = form_key(admin_client, funded_account)
    data = {"points": "100", "reason": "Welcome bonus", "key": key}

    admin_client.post(adjust_url(funded_account), data)
    admin_client.post(adjust_url(funded_account), data)

    assert LedgerEntry.objects.filter(kind=EntryKind.ADJUST).count() == 1
    assert fresh(funded_account).balance == 1_100


# --- Reverse ---------------------------------------------------------------------------------


def test_given_a_reason_when_club_admin_reverses_an_entry_then_a_reversal_by_them_is_written(
    admin_client, club_admin, funded_account
):
    earn_entry = LedgerEntry.objects.get(kind=EntryKind.EARN)

    form = admin_client.get(reverse_url(earn_entry))
    response = admin_client.post(reverse_url(earn_entry), {"reason": "Order was cancelled"})

    assert form.status_code == 200
    assert response.status_code == 302
    reversal = LedgerEntry.objects.get(kind=EntryKind.REVERSAL)
    assert (reversal.reverses, reversal.memo, reversal.created_by) == (earn_entry, "Order was cancelled", club_admin)
    assert fresh(funded_account).balance == 0
    assert_ledger_consistent()


def test_given_no_reason_when_reversing_then_nothing_is_reversed(admin_client, funded_account):
    earn_entry = LedgerEntry.objects.get(kind=EntryKind.EARN)

    response = admin_client.post(reverse_url(earn_entry), {"reason": ""})

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert not LedgerEntry.objects.filter(kind=EntryKind.REVERSAL).exists()


def test_given_selected_entries_when_the_reverse_action_runs_then_it_asks_for_a_reason_first(
    admin_client, club_admin, company, funded_account
):
    earn(company, 500, at=timezone.now() - timedelta(days=20), release=True)
    earns = list(LedgerEntry.objects.filter(kind=EntryKind.EARN).order_by("pk"))
    changelist = reverse("admin:rewards_ledgerentry_changelist")
    selected = {"action": "reverse_entries", ACTION_CHECKBOX_NAME: [entry.pk for entry in earns]}

    confirmation = admin_client.post(changelist, selected)
    without_reason = admin_client.post(changelist, {**selected, "confirm": "yes", "reason": ""})
    done = admin_client.post(changelist, {**selected, "confirm": "yes", "reason": "Duplicate orders"})

    assert confirmation.status_code == 200 and "Reverse ledger entries" in confirmation.content.decode()
    assert without_reason.status_code == 200
    assert done.status_code == 302
    reversals = LedgerEntry.objects.filter(kind=EntryKind.REVERSAL)
    assert {r.reverses_id for r in reversals} == {entry.pk for entry in earns}
    assert {(r.memo, r.created_by_id) for r in reversals} == {("Duplicate orders", club_admin.pk)}
    assert fresh(funded_account).balance == 0
    assert_ledger_consistent()


def test_given_a_reversed_entry_when_reversed_again_then_nothing_more_happens(admin_client, funded_account):
    earn_entry = LedgerEntry.objects.get(kind=EntryKind.EARN)
    admin_client.post(reverse_url(earn_entry), {"reason": "Cancelled"})

    admin_client.post(reverse_url(earn_entry), {"reason": "Cancelled again"})

    assert LedgerEntry.objects.filter(kind=EntryKind.REVERSAL).count() == 1


# --- Who may ---------------------------------------------------------------------------------


def test_given_a_member_when_posting_to_the_staff_views_then_refused_and_nothing_changes(
    client, purchaser, funded_account
):
    client.force_login(purchaser)
    earn_entry = LedgerEntry.objects.get(kind=EntryKind.EARN)

    responses = [
        client.post(adjust_url(funded_account), {"points": "999", "reason": "Me", "key": "k"}),
        client.post(reverse_url(earn_entry), {"reason": "Me"}),
        client.get(reverse("admin:rewards_pointsaccount_liability")),
    ]

    assert all(response.status_code == 302 for response in responses)
    assert all("/admin/login/" in response["Location"] for response in responses)
    assert LedgerEntry.objects.count() == 2
    assert fresh(funded_account).balance == 1_000


def test_given_a_sales_rep_without_the_permission_when_adjusting_then_403(client, funded_account):
    rep = StaffFactory(group="Sales reps")
    login_with_totp(client, rep)

    response = client.post(adjust_url(funded_account), {"points": "999", "reason": "Friend", "key": "k"})

    assert response.status_code == 403
    assert fresh(funded_account).balance == 1_000


def test_given_the_admin_when_editing_or_deleting_accounts_and_entries_directly_then_refused(
    admin_client, funded_account
):
    entry = LedgerEntry.objects.get(kind=EntryKind.EARN)

    change_entry = admin_client.post(reverse("admin:rewards_ledgerentry_change", args=[entry.pk]), {"points": 9})
    delete_entry = admin_client.post(reverse("admin:rewards_ledgerentry_delete", args=[entry.pk]), {"post": "yes"})
    change_account = admin_client.post(
        reverse("admin:rewards_pointsaccount_change", args=[funded_account.pk]), {"balance": 9}
    )
    add_entry = admin_client.get(reverse("admin:rewards_ledgerentry_add"))

    assert {change_entry.status_code, delete_entry.status_code, change_account.status_code} == {403}
    assert add_entry.status_code == 403
    assert fresh(funded_account).balance == 1_000


def test_given_the_account_page_when_club_admin_views_it_then_adjust_is_offered(admin_client, funded_account):
    page = admin_client.get(reverse("admin:rewards_pointsaccount_change", args=[funded_account.pk]))

    assert page.status_code == 200
    assert adjust_url(funded_account) in page.content.decode()


# --- Liability -------------------------------------------------------------------------------


def test_given_accounts_when_staff_open_the_liability_then_points_value_pending_and_shortfall_show(
    admin_client, funded_account, company
):
    earn(company, 2_000, at=timezone.now() - timedelta(days=2))  # pending
    PointsAccountFactory()  # an empty account counts too

    changelist = admin_client.get(reverse("admin:rewards_pointsaccount_changelist")).content.decode()
    response = admin_client.get(reverse("admin:rewards_pointsaccount_liability"))

    assert reverse("admin:rewards_pointsaccount_liability") in changelist
    liability = response.context["liability"]
    assert (liability.accounts, liability.balance, liability.pending, liability.shortfall) == (2, 1_000, 2_000, 0)
    assert (liability.balance_value, liability.pending_value, liability.total_value) == (
        Decimal("50.00"),
        Decimal("100.00"),
        Decimal("150.00"),
    )
    assert "150.00" in response.content.decode()


# --- The reward catalogue list ------------------------------------------------------------------


def test_the_reward_list_shows_each_cost_with_its_worth_and_the_reward_value_in_a_fixed_number_of_queries(
    admin_client, rules, django_assert_max_num_queries
):
    rules.point_value = Decimal("0.05")
    rules.save()
    RewardFactory(title="Gift card", points_cost=10_000, value=Decimal("200.00"))
    url = reverse("admin:rewards_reward_changelist")

    with CaptureQueriesContext(connection) as few:
        page = admin_client.get(url).content.decode()
    RewardFactory.create_batch(40)
    with django_assert_max_num_queries(len(few)):
        admin_client.get(url)

    assert "10\u202f000 points <small>(500\u00a0SEK / 200\u00a0SEK)</small>" in page


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("0", "greater than or equal to 0.000001"),
        ("-11", "greater than or equal to 0.000001"),
        ("1000001", "less than or equal to 1000000"),
        ("1e400", "no more than 13 digits"),
        ("11\x00", "Enter a number"),
        ("=HYPERLINK(1)", "Enter a number"),
    ],
)
def test_a_hostile_reporting_rate_is_a_form_error_and_changes_nothing(admin_client, rules, rate, message):
    """The reporting rate multiplies every purchase in Insights' sums: nothing outside (0, 1 000 000]."""
    response = admin_client.post(
        reverse("admin:rewards_programmecurrency_add"),
        {"currency": "EUR", "points_per_currency_unit": "11", "point_value": "0.0018", "reporting_rate": rate},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ProgrammeCurrency.objects.exists()


def test_a_reporting_rate_within_bounds_is_saved(admin_client, rules):
    response = admin_client.post(
        reverse("admin:rewards_programmecurrency_add"),
        {"currency": "EUR", "points_per_currency_unit": "11", "point_value": "0.0018", "reporting_rate": "11.25"},
    )
    assert response.status_code == 302
    assert ProgrammeCurrency.objects.get().reporting_rate == Decimal("11.25")


@pytest.mark.parametrize("field", ["point_value", "points_per_currency_unit"])
def test_a_rate_of_zero_is_refused_for_the_programme_and_each_currency(admin_client, rules, field):
    """At 0 a point is worth "0 EUR" on every page (or nothing is earned): no club means that."""
    currency = admin_client.post(
        reverse("admin:rewards_programmecurrency_add"),
        {
            "currency": "EUR",
            "points_per_currency_unit": "11",
            "point_value": "0.0018",
            "reporting_rate": "11",
            field: "0",
        },
    )
    assert currency.status_code == 200
    assert "Enter a figure above zero (at least 0.0001)." in currency.content.decode()
    assert not ProgrammeCurrency.objects.exists()

    # the programme's own rates: the same rule in any form of the model (the admin's among them)
    programme = modelform_factory(ProgrammeRules, fields=[field])({field: "0"}, instance=ProgrammeRules.current())
    assert programme.errors == {field: ["Enter a figure above zero (at least 0.0001)."]}
    assert modelform_factory(ProgrammeRules, fields=[field])({field: "0.0001"}).is_valid()
