"""My accounts: the rep's accounts with balance, value, tier, last purchase, the 90-day trend,
expiring points and unread messages; filters and sorting; a fixed query count with 500 accounts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import Company, Country
from messaging.services import message_post, thread_start
from reps.activity import account_activity_catch_up
from reps.selectors import accounts_expiring, rep_accounts
from rewards.models import EntryKind, LedgerEntry, PointsAccount, Purchase, Tier
from tests.factories import CompanyFactory, MembershipFactory, StaffFactory

pytestmark = pytest.mark.django_db

ACCOUNTS_PAGE_BUDGET = 23  # session, user, groups, menu, counts, site, branding, rules, tiers/reps for the filter, figures' time, count, page, expiring (2)


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def buy(company, amount, days_ago):
    return Purchase.objects.create(
        company=company,
        source="erp",
        external_id=f"{company.pk}-{days_ago}-{amount}",
        occurred_at=timezone.now() - timedelta(days=days_ago),
        net_amount=Decimal(amount),
    )


def lot(company, points, expires_in_days):
    account, _ = PointsAccount.objects.get_or_create(company=company)
    PointsAccount.objects.filter(pk=account.pk).update(balance=account.balance + points)
    LedgerEntry.objects.create(
        account=account,
        kind=EntryKind.ADJUST,
        points=points,
        idempotency_key=f"lot-{company.pk}-{points}-{expires_in_days}",
        expires_at=timezone.now() + timedelta(days=expires_in_days),
    )


def test_the_figures_of_an_account(company, rep, purchaser):
    gold = Tier.objects.create(name="Gold", qualifying_points=1000, colour="#b8962e")
    buy(company, "1200.00", days_ago=10)
    buy(company, "800.00", days_ago=40)
    buy(company, "1000.00", days_ago=120)
    lot(company, 500, expires_in_days=20)
    lot(company, 700, expires_in_days=400)
    PointsAccount.objects.filter(company=company).update(tier=gold)
    thread = thread_start(company=company, author=rep, subject="Hi", body="Hello")
    message_post(thread=thread, author=purchaser, body="One")
    message_post(thread=thread, author=purchaser, body="Two")
    account_activity_catch_up()

    (row,) = rep_accounts(user=rep)

    assert row.balance == 1200
    assert row.points_account.tier == gold
    assert timezone.localdate(row.last_purchase_at) == timezone.localdate() - timedelta(days=10)
    assert (row.purchases_recent, row.purchases_before) == (Decimal("2000.00"), Decimal("1000.00"))
    assert row.trend == Decimal("100")
    assert row.unread == 2
    assert accounts_expiring(companies=[row]) == {company.pk: 500}


def test_a_rep_sees_only_their_accounts_and_a_club_admin_sees_all(client, company, rep, other_company, club_admin):
    client.force_login(rep)
    mine = client.get(reverse("reps:accounts")).content.decode()
    client.force_login(club_admin)
    everyone = client.get(reverse("reps:accounts")).content.decode()

    assert company.name in mine and other_company.name not in mine
    assert company.name in everyone and other_company.name in everyone
    assert "All reps" in everyone and "All reps" not in mine


def test_filters_pick_what_needs_attention(client, company, rep, purchaser):
    quiet = CompanyFactory(sales_rep=rep, name="Quiet AB")
    falling = CompanyFactory(sales_rep=rep, name="Falling AB", country=Country.NETHERLANDS, org_number="12345678")
    buy(company, "100.00", days_ago=5)
    buy(falling, "100.00", days_ago=5)
    buy(falling, "1000.00", days_ago=100)
    buy(quiet, "100.00", days_ago=75)
    thread_start(company=company, author=purchaser, subject="Question", body="Hello?")
    client.force_login(rep)

    def names(query):
        table = client.get(reverse("reps:accounts") + query).context["table"]
        return [row.record.name for row in table.page.object_list]

    assert names("?attention=unread") == [company.name]
    assert names("?attention=falling") == ["Falling AB"]
    assert names("?attention=quiet") == ["Quiet AB"]
    assert names("?country=NL") == ["Falling AB"]
    assert names("?q=quiet") == ["Quiet AB"]
    # Only Falling AB bought in both windows; the others have no trend and sort after it.
    assert names("?sort=-trend") == ["Falling AB", company.name, "Quiet AB"]


def test_sorting_by_balance_and_unread(client, company, rep, purchaser):
    rich = CompanyFactory(sales_rep=rep, name="Rich AB")
    lot(rich, 9000, expires_in_days=300)
    lot(company, 10, expires_in_days=300)
    thread_start(company=company, author=purchaser, subject="Q", body="?")
    client.force_login(rep)

    def names(query):
        return [
            row.record.name for row in client.get(reverse("reps:accounts") + query).context["table"].page.object_list
        ]

    assert names("?sort=-balance") == ["Rich AB", company.name]
    assert names("?sort=-unread") == [company.name, "Rich AB"]


def _many_accounts(rep, count: int, start: int = 0) -> None:
    """``count`` accounts with a contact, a points account, a lot expiring soon and purchases in
    both 90-day windows, written in bulk."""
    now = timezone.now()
    companies = Company.objects.bulk_create(
        Company(
            name=f"Account {start + n:04d} B.V.",
            country=Country.NETHERLANDS,
            org_number=f"{10_000_000 + start + n}",
            sales_rep=rep,
            external_id=f"BULK-{start + n}",
        )
        for n in range(count)
    )
    accounts = PointsAccount.objects.bulk_create(PointsAccount(company=company, balance=500) for company in companies)
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            account=account,
            kind=EntryKind.ADJUST,
            points=500,
            idempotency_key=f"bulk-{account.pk}",
            expires_at=now + timedelta(days=30),
        )
        for account in accounts
    )
    Purchase.objects.bulk_create(
        Purchase(
            company=company,
            source="bulk",
            external_id=f"{company.pk}-{window}",
            occurred_at=now - timedelta(days=days),
            net_amount=Decimal("100.00"),
        )
        for company in companies
        for window, days in (("recent", 10), ("before", 100))
    )
    for company in companies[:20]:
        MembershipFactory(company=company)


def test_my_accounts_with_500_accounts_costs_what_it_costs_with_5(
    client, rep, portal_site, django_assert_max_num_queries
):
    _many_accounts(rep, 4)  # and the rep's company from the fixtures
    client.force_login(rep)
    url = reverse("reps:accounts") + "?sort=-trend"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)

    _many_accounts(rep, 495, start=4)
    for company in Company.objects.filter(sales_rep=rep, memberships__isnull=False)[:10]:
        thread_start(company=company, author=company.memberships.first().user, subject="Q", body="?")
    account_activity_catch_up()
    with django_assert_max_num_queries(ACCOUNTS_PAGE_BUDGET):
        page = client.get(url)
    with CaptureQueriesContext(connection) as large:
        client.get(url)

    assert len(large) == len(small)
    table = page.context["table"]
    assert table.paginator.count == 500 and len(table.page.object_list) == 25
    assert set(table.expiring.values()) == {500}
    assert {row.record.trend for row in table.page.object_list} == {Decimal("0")}


def test_the_account_page_shows_contacts_points_notes_and_conversations_in_fixed_queries(
    client, company, rep, purchaser, portal_site, django_assert_max_num_queries
):
    from reps.services import staff_note_add

    client.force_login(rep)
    url = reverse("reps:account", args=[company.pk])
    staff_note_add(company=company, author=rep, body="Likes phone calls")
    lot(company, 5, expires_in_days=300)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)

    from rewards.ledger.services import points_account_for_company
    from tests.campaigns.factories import CampaignFactory, run_campaign
    from tests.rewards.factories import RewardFactory
    from tests.rewards.helpers import give_points, request_redemption

    give_points(points_account_for_company(company=company), 100_000)
    reward = RewardFactory(title="Site radio", points_cost=1_000)
    run_campaign(CampaignFactory(name="Winter double points"), treated=[company])
    run_campaign(CampaignFactory(name="Spring safety week"), held_out=[company])
    for n in range(30):
        MembershipFactory(company=company)
        staff_note_add(company=company, author=rep, body=f"Note {n}")
        thread_start(company=company, author=rep, subject=f"Thread {n}", body="Hello")
        lot(company, 10 + n, expires_in_days=20 + n)
        newest_order = request_redemption(purchaser.membership, reward, notify=False)
    with CaptureQueriesContext(connection) as large:
        page = client.get(url)

    assert len(large) == len(small)
    html = page.content.decode()
    assert "Note 29" in html and purchaser.email in html  # the newest notes; the page shows 20
    assert newest_order.number in html and "Site radio" in html  # the newest reward orders, with status
    assert "Winter double points" in html and "Spring safety week" in html and "Hold-out group" in html


def test_notes_are_for_staff_only_and_an_empty_note_is_refused(client, company, rep, purchaser):
    client.force_login(rep)
    url = reverse("reps:note_add", args=[company.pk])

    refused = client.post(url, {"body": "  "})
    saved = client.post(url, {"body": "Call before nine."})

    assert refused.status_code == 400 and "Write the note before saving it." in refused.content.decode()
    assert saved.status_code == 302
    client.force_login(purchaser)
    for member_page in ("/dashboard/", "/company/", "/messages/"):
        assert "Call before nine." not in client.get(member_page).content.decode()


def test_a_member_of_staff_outside_sales_cannot_open_the_workspace(client):
    client.force_login(StaffFactory(group="Marketing"))
    assert client.get(reverse("reps:accounts")).status_code == 403
