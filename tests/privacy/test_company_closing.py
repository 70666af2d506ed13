"""A company leaving the club: the export of all its data, closing it by the club's rule
(points forfeited or paid out as an invoice credit, as ledger entries: the liability is
right and check_ledger clean), its contacts' log-ins closed, reopening it; refusals with
messages; the admin pages as the wrong people."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry as AuditEntry
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from members.models import Company, CompanyStatus, Invitation, User
from members.services import MembersError, company_set_status
from outbox.events import DomainEvent, event_sink_register
from privacy.closing import company_close, company_reopen
from privacy.company_export import company_tables
from privacy.models import CompanyClosure
from privacy.services import PrivacyError, person_erase
from rewards.ledger.selectors import ledger_mismatches, points_liability
from rewards.ledger.services import points_account_for_company, points_adjust
from rewards.models import (
    ClosingRule,
    EntryKind,
    InvoiceCredit,
    LedgerEntry,
    PointsAccount,
    ProgrammeRules,
    Redemption,
    RedemptionStatus,
)
from tests.factories import InvitationFactory, MembershipFactory, UserFactory
from tests.rewards.factories import PurchaseFactory, RewardFactory
from tests.rewards.helpers import request_redemption

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, settings):
    settings.STAFF_MFA_REQUIRED = False  # MFA for staff is tested in tests/members

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def leaving(company, company_admin, purchaser, club_admin):
    """A company with 12 000 spendable points, 800 pending, an open order of 2 000 points,
    a pending invitation, and its two contacts logged in."""
    from rewards.ledger.services import points_earn_for_purchase

    account = points_account_for_company(company=company)
    points_adjust(account=account, points=12_000, reason="welcome", by=club_admin, key="welcome")
    points_earn_for_purchase(
        purchase=PurchaseFactory(company=company, net_amount=Decimal("800"), occurred_at=timezone.now())
    )
    request_redemption(purchaser.membership, RewardFactory(points_cost=2_000))
    InvitationFactory(company=company, email="new.colleague@example.com")
    for person in (company_admin, purchaser):
        session = SessionStore()
        session["_auth_user_id"] = str(person.pk)
        session.create()
    return company


def _account(company) -> PointsAccount:
    return PointsAccount.objects.get(company=company)


def test_closing_with_the_forfeit_rule_cancels_orders_takes_every_point_and_closes_log_ins(
    leaving, company_admin, purchaser, club_admin, other_company
):
    points_adjust(
        account=points_account_for_company(company=other_company), points=500, reason="x", by=club_admin, key="o"
    )
    liability_before = points_liability(rules=ProgrammeRules.current())

    closure = company_close(company=leaving, by=club_admin)

    account = _account(leaving)
    assert (account.balance, account.pending) == (0, 0)
    assert Redemption.objects.get().status == RedemptionStatus.CANCELLED  # returned before the closing entry
    closing = LedgerEntry.objects.get(kind=EntryKind.CLOSE)
    assert closing.points == -(12_000 + 800) and closure.points == 12_800 and closure.closing_entry == closing
    assert closing.pk > Redemption.objects.get().return_entry_id
    assert not InvoiceCredit.objects.exists()
    liability = points_liability(rules=ProgrammeRules.current())
    assert liability.balance + liability.pending == 500  # only the other company's points are owed
    # before: 10 000 spendable (2 000 reserved by the order) + 800 pending + the other 500
    assert liability_before.balance + liability_before.pending - 10_000 - 800 == 500
    assert ledger_mismatches() == []
    call_command("check_ledger")
    leaving.refresh_from_db()
    assert leaving.status == CompanyStatus.CLOSED
    assert not User.objects.filter(pk__in=[company_admin.pk, purchaser.pk], is_active=True).exists()
    assert sorted(closure.contacts) == sorted([company_admin.pk, purchaser.pk])
    assert not Session.objects.exists()
    assert Invitation.objects.get().revoked_at is not None and closure.invitations_revoked == 1
    assert closure.orders_cancelled == 1
    trail = AuditEntry.objects.filter(object_pk=str(leaving.pk), content_type__model="company").latest("pk")
    assert trail.actor == club_admin and trail.changes_dict["status"] == ["active", "closed"]


def test_pending_points_are_not_released_again_after_the_closing(leaving, club_admin):
    from rewards.ledger.services import points_release_pending

    company_close(company=leaving, by=club_admin)
    released = points_release_pending(now=timezone.now() + timedelta(days=60))

    assert released == 0 and (_account(leaving).balance, _account(leaving).pending) == (0, 0)
    assert ledger_mismatches() == []


def test_closing_with_the_credit_rule_pays_the_points_out_as_an_invoice_credit(leaving, club_admin):
    rules = ProgrammeRules.current()
    rules.closing_rule = ClosingRule.CREDIT
    rules.save()

    closure = company_close(company=leaving, by=club_admin)

    credit = InvoiceCredit.objects.get()
    assert closure.invoice_credit == credit and credit.closing_entry == closure.closing_entry
    assert (credit.points, credit.amount, credit.currency) == (12_800, Decimal("640.00"), "SEK")  # 12 800 × 0.05
    assert credit.source == "closing" and credit.status == "open"
    assert ledger_mismatches() == []


def test_closing_twice_closes_once_and_the_second_is_refused_with_a_message(leaving, club_admin):
    company_close(company=leaving, by=club_admin)
    entries = LedgerEntry.objects.count()

    with pytest.raises(PrivacyError, match="already closed"):
        company_close(company=leaving, by=club_admin)

    assert CompanyClosure.objects.count() == 1 and LedgerEntry.objects.count() == entries


def test_a_company_without_points_closes_without_a_ledger_entry(company, company_admin, club_admin):
    closure = company_close(company=company, by=club_admin)

    assert closure.points == 0 and closure.closing_entry is None
    assert not LedgerEntry.objects.filter(kind=EntryKind.CLOSE).exists()


def test_reopening_gives_the_log_ins_back_on_request_but_not_the_points(leaving, company_admin, purchaser, club_admin):
    purchaser.is_active = False  # someone the club had closed before: stays closed
    purchaser.save(update_fields=["is_active"])
    company_close(company=leaving, by=club_admin)

    closure = company_reopen(company=leaving, by=club_admin, reactivate_contacts=True)

    leaving.refresh_from_db()
    assert leaving.status == CompanyStatus.ACTIVE and closure.reopened_by == club_admin
    assert User.objects.get(pk=company_admin.pk).is_active and not User.objects.get(pk=purchaser.pk).is_active
    assert closure.contacts_reactivated == 1
    assert _account(leaving).balance == 0  # a staff correction restores points, not the reopening
    assert ledger_mismatches() == []


def test_reopening_without_reactivating_keeps_the_log_ins_closed(leaving, company_admin, club_admin):
    company_close(company=leaving, by=club_admin)
    company_reopen(company=leaving, by=club_admin, reactivate_contacts=False)

    assert not User.objects.get(pk=company_admin.pk).is_active


def test_reopening_an_open_company_is_refused_with_a_message(company, club_admin):
    with pytest.raises(PrivacyError, match="not closed"):
        company_reopen(company=company, by=club_admin, reactivate_contacts=True)
    assert Company.objects.get(pk=company.pk).status == CompanyStatus.ACTIVE


def test_a_closed_company_can_close_again_after_reopening(leaving, club_admin):
    company_close(company=leaving, by=club_admin)
    company_reopen(company=leaving, by=club_admin, reactivate_contacts=True)
    company_close(company=leaving, by=club_admin)

    assert CompanyClosure.objects.count() == 2


def test_the_suspend_service_does_not_touch_a_closed_company(leaving, club_admin):
    company_close(company=leaving, by=club_admin)

    with pytest.raises(MembersError):
        company_set_status(company=leaving, status=CompanyStatus.ACTIVE, actor=club_admin)
    with pytest.raises(MembersError):
        company_set_status(company=Company.objects.get(pk=leaving.pk), status=CompanyStatus.CLOSED, actor=club_admin)
    assert Company.objects.get(pk=leaving.pk).status == CompanyStatus.CLOSED


def test_a_rep_may_not_close_even_their_own_account(leaving, rep):
    with pytest.raises(PrivacyError):
        company_close(company=leaving, by=rep)
    assert Company.objects.get(pk=leaving.pk).status == CompanyStatus.ACTIVE


def test_the_admins_are_emailed_once_in_their_language(
    leaving, company_admin, club_admin, django_capture_on_commit_callbacks
):
    company_admin.language = "sv"
    company_admin.save(update_fields=["language"])

    with django_capture_on_commit_callbacks(execute=True):
        closure = company_close(company=leaving, by=club_admin)
    from privacy.closing import company_closed_email_send

    assert company_closed_email_send(closure_id=closure.pk) == 0  # a second delivery sends nothing
    assert [message.to for message in mail.outbox] == [[company_admin.email]]
    assert leaving.name in mail.outbox[0].subject


def test_the_company_closed_event_is_announced_with_structured_data(leaving, club_admin):
    seen: list[DomainEvent] = []

    def sink(events):
        seen.extend(events)

    event_sink_register(sink, wants=lambda event_type: True)
    try:
        company_close(company=leaving, by=club_admin)
        company_reopen(company=leaving, by=club_admin, reactivate_contacts=True)
    finally:
        from outbox import events as events_module

        events_module._sinks[:] = [pair for pair in events_module._sinks if pair[0] is not sink]

    closed = next(event for event in seen if event.type == "company.closed")
    assert closed.data == {
        "status": "closed",
        "closing_rule": "forfeit",
        "points": 12_800,
        "invoice_credit_id": None,
        "orders_cancelled": 1,
    }
    assert any(event.type == "company.reopened" for event in seen)


# --- Erasure and the last admin --------------------------------------------------------------


def test_erasing_the_last_admin_of_an_active_company_is_refused_and_nothing_changes(company, company_admin, club_admin):
    with pytest.raises(PrivacyError, match="last admin"):
        person_erase(user=company_admin, by=club_admin)

    company_admin.refresh_from_db()
    assert company_admin.is_active and company_admin.email.endswith("@example.com")


def test_the_last_admin_of_a_closed_company_can_be_erased(company, company_admin, club_admin):
    company_close(company=company, by=club_admin)

    person_erase(user=company_admin, by=club_admin)

    assert User.objects.get(pk=company_admin.pk).email.endswith("@erased.invalid")


# --- The export -------------------------------------------------------------------------------


def test_the_export_holds_every_table_of_the_company_and_its_contacts_data_without_secrets(
    staff_client, leaving, company_admin, club_admin, other_company
):
    MembershipFactory(company=other_company, user=UserFactory(email="not.ours@example.com"))
    response = staff_client(club_admin).get(reverse("admin:privacy_company_export", args=[leaving.pk]))

    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    data = json.loads(b"".join(response.streaming_content))
    assert data["format"] == "clubportal.company-export" and data["company_id"] == leaving.pk
    assert set(data["tables"]) == {label for label, _path in company_tables()}
    assert data["tables"]["members.Company"][0]["name"] == leaving.name
    assert len(data["tables"]["rewards.LedgerEntry"]) == LedgerEntry.objects.filter(account__company=leaving).count()
    assert len(data["tables"]["rewards.Redemption"]) == 1 and len(data["tables"]["members.Invitation"]) == 1
    assert {row["email"] for row in data["people"]["profile"]} == set(
        User.objects.filter(membership__company=leaving).values_list("email", flat=True)
    )
    text = json.dumps(data)
    assert "not.ours@example.com" not in text and other_company.name not in text
    assert "password" not in text and "pbkdf2" not in text
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS, object_pk=str(leaving.pk)).exists()


def test_the_export_costs_the_same_queries_with_many_rows(
    staff_client, company, club_admin, django_assert_max_num_queries
):
    client = staff_client(club_admin)
    url = reverse("admin:privacy_company_export", args=[company.pk])
    with django_assert_max_num_queries(80) as few:
        b"".join(client.get(url).streaming_content)
    account = points_account_for_company(company=company)
    for n in range(40):
        points_adjust(account=account, points=10, reason="r", by=club_admin, key=f"many-{n}")
        MembershipFactory(company=company)
    with django_assert_max_num_queries(len(few.captured_queries)):
        b"".join(client.get(url).streaming_content)


# --- The admin pages, as the right and the wrong people ----------------------------------------


def test_a_club_admin_confirms_closing_and_reopening_in_the_admin(staff_client, leaving, club_admin, company_admin):
    client = staff_client(club_admin)
    change = client.get(reverse("admin:members_company_change", args=[leaving.pk])).content.decode()
    assert reverse("admin:privacy_company_close", args=[leaving.pk]) in change

    page = client.get(reverse("admin:privacy_company_close", args=[leaving.pk]))
    assert page.status_code == 200 and "Points are forfeited" in page.content.decode()
    assert Company.objects.get(pk=leaving.pk).status == CompanyStatus.ACTIVE  # looking changes nothing

    done = client.post(reverse("admin:privacy_company_close", args=[leaving.pk]), follow=True)
    assert "is closed" in done.content.decode() and Company.objects.get(pk=leaving.pk).status == CompanyStatus.CLOSED

    again = client.post(reverse("admin:privacy_company_close", args=[leaving.pk]), follow=True)
    assert "already closed" in again.content.decode() and CompanyClosure.objects.count() == 1

    client.post(reverse("admin:privacy_company_reopen", args=[leaving.pk]), {"reactivate": "on"})
    assert Company.objects.get(pk=leaving.pk).status == CompanyStatus.ACTIVE
    assert User.objects.get(pk=company_admin.pk).is_active


def test_the_company_list_action_leads_to_the_confirmation_page(staff_client, leaving, club_admin):
    response = staff_client(club_admin).post(
        reverse("admin:members_company_changelist"), {"action": "close", "_selected_action": [leaving.pk]}
    )

    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:privacy_company_close", args=[leaving.pk]
    )
    assert Company.objects.get(pk=leaving.pk).status == CompanyStatus.ACTIVE


@pytest.mark.parametrize("page", ["privacy_company_close", "privacy_company_reopen", "privacy_company_export"])
def test_a_rep_gets_403_even_for_their_own_account(staff_client, leaving, rep, page):
    client = staff_client(rep)

    assert client.get(reverse(f"admin:{page}", args=[leaving.pk])).status_code == 403
    assert client.post(reverse(f"admin:{page}", args=[leaving.pk])).status_code == 403
    assert Company.objects.get(pk=leaving.pk).status == CompanyStatus.ACTIVE


@pytest.mark.parametrize("page", ["privacy_company_close", "privacy_company_export"])
def test_staff_with_the_permission_get_404_for_someone_elses_account(staff_client, leaving, other_rep, page):
    from django.contrib.auth.models import Permission

    other_rep.user_permissions.add(Permission.objects.get(codename="close_company"))
    client = staff_client(User.objects.get(pk=other_rep.pk))

    assert client.post(reverse(f"admin:{page}", args=[leaving.pk])).status_code == 404
    assert Company.objects.get(pk=leaving.pk).status == CompanyStatus.ACTIVE


def test_a_member_is_sent_to_the_staff_login_and_nothing_changes(client, leaving, company_admin):
    client.force_login(company_admin)

    response = client.post(reverse("admin:privacy_company_close", args=[leaving.pk]))

    assert response.status_code == 302 and "login" in response["Location"]
    assert Company.objects.get(pk=leaving.pk).status == CompanyStatus.ACTIVE


def test_the_close_action_is_not_offered_without_the_permission(staff_client, leaving, rep):
    response = staff_client(rep).get(reverse("admin:members_company_changelist"))

    assert response.status_code == 200 and 'value="close"' not in response.content.decode()


def test_the_company_form_cannot_set_closed_directly(staff_client, leaving, club_admin):
    client = staff_client(club_admin)
    url = reverse("admin:members_company_change", args=[leaving.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "sales_rep"}
    data.update({"status": "closed", "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})

    response = client.post(url, data)

    assert response.status_code == 200  # the form again, with the error
    assert Company.objects.get(pk=leaving.pk).status == CompanyStatus.ACTIVE


def test_a_eur_company_s_points_are_paid_out_in_euro_at_the_euro_point_value(company, club_admin):
    """The credit goes on the company's own invoice: in its currency at the club's EUR point
    value, as the confirmation page shows it."""
    from members.models import Country
    from privacy.closing import closing_preview
    from rewards.models import ProgrammeCurrency

    ProgrammeCurrency.objects.create(
        currency="EUR", points_per_currency_unit=Decimal("10.75"), point_value=Decimal("0.0045"), reporting_rate=11
    )
    company.country, company.currency = Country.NETHERLANDS, "EUR"
    company.save(update_fields=["country", "currency"])
    points_adjust(
        account=points_account_for_company(company=company), points=10_000, reason="w", by=club_admin, key="w"
    )
    rules = ProgrammeRules.current()
    rules.closing_rule = ClosingRule.CREDIT
    rules.save()

    preview = closing_preview(company=company)
    assert (preview.points_value, preview.currency) == (Decimal("45.00"), "EUR")  # 10 000 × 0.0045
    company_close(company=company, by=club_admin)
    credit = InvoiceCredit.objects.get()
    assert (credit.points, credit.amount, credit.currency) == (10_000, Decimal("45.00"), "EUR")
