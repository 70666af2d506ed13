"""The points history says what the balance was after each entry — on any page, under any
filter — and who caused each entry (a person, the ERP, a campaign, the club), read from the
entry's relations rather than its text."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import CampaignAward
from core.texts import free_text
from rewards.ledger.services import (
    points_account_for_company,
    points_adjust,
    points_award,
    points_earn_for_purchase,
    points_redeem,
)
from rewards.models import EntryKind, LedgerEntry
from tests.campaigns.factories import CampaignFactory
from tests.factories import StaffFactory

from .factories import PurchaseFactory

pytestmark = pytest.mark.django_db
HISTORY_URL = "/points/history/"


@pytest.fixture
def history(company, purchaser, rules):
    """Six entries a day apart, oldest first: the club's rep gives 1 000, the ERP's purchase
    earns (pending), a campaign awards 300, the purchaser spends 400, staff take 100 back,
    and 30 more pages of small adjustments before any of them (for paging)."""
    account = points_account_for_company(company=company)
    now = timezone.now()
    rep = StaffFactory(first_name="Rita", last_name="Rep")
    for day in range(60):
        points_adjust(
            account=account, points=1, reason="Old", by=rep, key=f"old:{day}", now=now - timedelta(days=90 - day)
        )
    points_adjust(account=account, points=1_000, reason="Welcome", by=rep, key="welcome", now=now - timedelta(days=5))
    purchase = PurchaseFactory(
        company=company, source="visma", net_amount=Decimal("2000"), occurred_at=now - timedelta(days=4)
    )
    points_earn_for_purchase(purchase=purchase, now=now - timedelta(days=4))
    campaign = CampaignFactory(name="Spring survey")
    entry, _created = points_award(
        company_id=company.pk, points=300, key="survey", memo=free_text("Survey"), now=now - timedelta(days=3)
    )
    CampaignAward.objects.create(
        campaign=campaign, company=company, kind="activity", points=300, entry=entry, created_at=now
    )
    points_redeem(
        account=account, points=400, key="spend", by=purchaser, memo=free_text("Thermos"), now=now - timedelta(days=2)
    )
    points_adjust(account=account, points=-100, reason="Typo", by=rep, key="typo", now=now - timedelta(days=1))
    return account


def rows(response):
    """The rows of the page shown: (entry, who caused it, balance after as rendered)."""
    table = response.context["table"]
    return [
        (row.record, row.get_cell_value("by"), str(row.get_cell("balance")).split(" <span")[0])
        for row in table.page.object_list
    ]


def test_each_entry_shows_the_balance_after_it_and_the_newest_matches_the_balance(member_client, history):
    first_page = rows(member_client.get(HISTORY_URL))

    # 60 + 1 000 = 1 060; the purchase earns pending points (balance unchanged); +300; −400; −100.
    assert [balance for _entry, _by, balance in first_page[:5]] == [
        "860",
        "960",
        "1\u202f360",
        "1\u202f060",
        "1\u202f060",
    ]
    newest = member_client.get(HISTORY_URL).context["table"].page.object_list[0]
    assert "SEK" in str(newest.get_cell("balance")) or "EUR" in str(newest.get_cell("balance"))  # with its value
    history.refresh_from_db()
    assert history.balance == 860


def test_on_a_later_page_and_under_a_filter_the_balance_still_counts_every_entry(member_client, history):
    third_page = rows(member_client.get(HISTORY_URL, {"page": 3}))
    redeems = rows(member_client.get(HISTORY_URL, {"kind": EntryKind.REDEEM}))
    page = member_client.get(HISTORY_URL, {"kind": EntryKind.REDEEM}).content.decode()

    # Page 3 holds the oldest adjustments: 1 point each, counted up from nothing.
    oldest = LedgerEntry.objects.filter(account=history).order_by("created_at", "pk")
    expected = {entry.pk: str(position + 1) for position, entry in enumerate(oldest[:60])}
    assert third_page and all(balance == expected[entry.pk] for entry, _by, balance in third_page)
    assert [(entry.kind, balance) for entry, _by, balance in redeems] == [(EntryKind.REDEEM, "960")]
    assert "still counts every entry" in page


def test_who_caused_each_entry_is_named_from_its_relations(member_client, history, purchaser):
    by = {entry.idempotency_key.split(":")[-1]: who for entry, who, _balance in rows(member_client.get(HISTORY_URL))}

    assert "Rita Rep" in by["typo"] and "Rita Rep" in by["welcome"]
    assert (purchaser.get_full_name() or purchaser.email) in by["spend"]
    assert "Campaign “Spring survey”" in by["survey"]
    earned = LedgerEntry.objects.get(purchase__isnull=False)
    assert by[earned.idempotency_key.split(":")[-1]] == "ERP (visma)"


def test_the_export_carries_the_balance_and_who_for_every_row(member_client, history):
    import csv
    import io

    response = member_client.get(HISTORY_URL, {"_export": "csv"})

    body = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))[1:]
    assert len(body) == 65
    assert [row[7] for row in body[:5]] == ["860", "960", "1360", "1060", "1060"]
    assert body[-1][7] == "1" and body[-1][6] == "Rita Rep"


def test_a_filter_with_from_after_to_says_so_and_keeps_the_entries(member_client, history):
    today = timezone.localdate()

    response = member_client.get(
        HISTORY_URL, {"date_from": today.isoformat(), "date_to": (today - timedelta(days=7)).isoformat()}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "“To” is before “From”" in page
    assert len(response.context["table"].rows) == 65
