"""My accounts as CSV: every account in the filter and sort (not only the page), streamed
from a cursor, formula-safe, in the rep's scope, in a fixed number of queries."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.models import Company, Country
from reps.activity import account_activity_catch_up
from rewards.models import PointsAccount, Purchase
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def accounts(rep, count: int, start: int = 0) -> None:
    now = timezone.now()
    companies = Company.objects.bulk_create(
        Company(
            name=f"Export {start + n:04d} AB",
            country=Country.SWEDEN,
            org_number=f"{20_000_000 + start + n}",
            sales_rep=rep,
        )
        for n in range(count)
    )
    PointsAccount.objects.bulk_create(
        PointsAccount(company=company, balance=100 + n) for n, company in enumerate(companies)
    )
    Purchase.objects.bulk_create(
        Purchase(
            company=company,
            source="bulk",
            external_id=f"{company.pk}-{days}",
            occurred_at=now - timedelta(days=days),
            net_amount=Decimal(amount),
        )
        for company in companies
        for days, amount in ((10, "50.00"), (100, "100.00"))
    )


def rows(response) -> list[list[str]]:
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_export_holds_every_account_in_the_filter_not_only_the_page(client, rep, company, other_company):
    accounts(rep, 40)
    CompanyFactory(sales_rep=rep, name='=HYPERLINK("http://evil","x")')
    account_activity_catch_up()
    client.force_login(rep)

    response = client.get(reverse("reps:accounts"), {"_export": "csv", "sort": "-balance"})
    header, *body = rows(response)

    assert response["Content-Disposition"].startswith('attachment; filename="accounts-')
    assert "Company" in header and "Purchases, last 90 days (SEK)" in header and "Expiring in 60 days" not in header
    names = [row[header.index("Company")] for row in body]
    assert len(names) == 42  # 40, the formula one and the fixture's company; not the other rep's
    assert other_company.name not in names
    assert names[0] == "Export 0039 AB"  # the highest balance first: the sort applies
    assert '\'=HYPERLINK("http://evil","x")' in names
    first = dict(zip(header, body[0], strict=True))
    assert first["Balance"] == "139" and first["Purchases, change over 90 days (%)"] == "-50"
    assert Decimal(first["Purchases, last 90 days (SEK)"]) == Decimal("50")
    assert Decimal(first["Purchases, 90 days before (SEK)"]) == Decimal("100")
    assert first["Last purchase"] == (timezone.localdate() - timedelta(days=10)).isoformat()

    falling = rows(client.get(reverse("reps:accounts"), {"_export": "csv", "attention": "falling"}))
    assert len(falling) == 1 + 40


def test_the_export_costs_the_same_queries_for_5_and_200_accounts(client, rep):
    accounts(rep, 5)
    account_activity_catch_up()
    client.force_login(rep)
    url = reverse("reps:accounts") + "?_export=csv"
    rows(client.get(url))
    with CaptureQueriesContext(connection) as few:
        assert len(rows(client.get(url))) == 1 + 6  # and the fixture's company

    accounts(rep, 195, start=5)
    account_activity_catch_up()
    with CaptureQueriesContext(connection) as many:
        assert len(rows(client.get(url))) == 1 + 201

    assert len(many) == len(few)
