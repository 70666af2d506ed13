"""Every Insights export writes its amounts of money in cents, in CSV and XLSX alike.

Revenue summed in SQL came back with the database's scale (SQLite: fifteen significant
digits), and the company lists exported ``45849.9800000000`` where the value table gave
``528500.06``. Shares and ratios (still buying, revenue kept, segment retention) are not
money and keep their own decimals; only the money columns are checked here.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from campaigns.models import Activity, ActivityCompletion, ActivityKind, CompletionStatus
from insights.selectors import SEGMENTS
from rewards.models import Purchase
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

MONEY_HEADERS = {
    "Net revenue",
    "Net revenue, last 365 days",
    "Net revenue to date",
    "Yearly value",
    "Predicted 12-month value",
}
MORE_THAN_CENTS = re.compile(r"\.\d{3,}")


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


@pytest.fixture
def club():
    """A detractor who bought 45 849.98 in three orders five days ago and 1 000.10 200 days
    ago: in every list, the value table, the cohorts and the at-risk list."""
    now = timezone.now()
    company = CompanyFactory(name="Cents AB")
    for n, (days, amount) in enumerate(
        ((5, "15283.33"), (5, "15283.33"), (5, "15283.32"), (200, "1000.10")),
    ):
        Purchase.objects.create(
            company=company,
            source="erp",
            external_id=f"C-{n}",
            occurred_at=now - timedelta(days=days),
            net_amount=Decimal(amount),
        )
    survey = Activity.objects.create(kind=ActivityKind.SURVEY, title="How are we doing?", points=10)
    ActivityCompletion.objects.create(
        activity=survey,
        company=company,
        scope_key="user:cents",
        status=CompletionStatus.SUBMITTED,
        score=3,
        created_at=now - timedelta(days=3),
    )
    return company


def _period() -> str:
    today = timezone.localdate()
    return f"kind=custom&start={(today - timedelta(days=30)).isoformat()}&end={today.isoformat()}"


def export_urls() -> list[str]:
    period = _period()
    urls = [
        f"/staff/insights/companies/active/?{period}",
        f"/staff/insights/companies/members/?{period}",
        "/staff/insights/satisfaction/detractors/keeps/",
        "/staff/insights/satisfaction/detractors/slowing/",
        "/staff/insights/at-risk/",
        "/staff/insights/value/",
        "/staff/insights/cohorts/",
        "/staff/insights/segments/slipping/",
    ]
    urls += [f"/staff/insights/segments/{key}/" for key in SEGMENTS]
    return urls


def _csv_money(client, url: str) -> list[str]:
    separator = "&" if "?" in url else "?"
    response = client.get(f"{url}{separator}format=csv")
    assert response.status_code == 200, url
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = csv.reader(io.StringIO(body))
    columns = [index for index, name in enumerate(header) if name in MONEY_HEADERS]
    assert columns, (url, header)
    return [row[index] for row in rows for index in columns]


def _xlsx_money(client, url: str) -> list:
    separator = "&" if "?" in url else "?"
    response = client.get(f"{url}{separator}format=xlsx")
    assert response.status_code == 200, url
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    header, *rows = sheet.iter_rows(values_only=True)
    columns = [index for index, name in enumerate(header) if name in MONEY_HEADERS]
    assert columns, (url, header)
    return [row[index] for row in rows for index in columns]


def test_every_insights_export_writes_its_amounts_in_cents(client, club_admin, club):
    # Given a club whose revenue is summed in SQL, when a club admin downloads every list
    client.force_login(club_admin)
    seen = []
    for url in export_urls():
        amounts = _csv_money(client, url)
        seen += amounts
        # then no amount has more than two decimals
        assert not [amount for amount in amounts if MORE_THAN_CENTS.search(amount)], url
        for amount in _xlsx_money(client, url):
            assert amount is None or isinstance(amount, int | float), (url, amount)  # a number, not text
            assert amount is None or round(amount, 2) == amount, (url, amount)
    # (and the figures were there to check: the three orders, and the year with the older one)
    assert "45849.98" in seen and "46850.08" in seen


def test_a_dutch_reader_s_drilldown_of_a_month_has_cents_with_a_decimal_comma(client, club_admin, club):
    # Given a club admin who reads the portal in Dutch
    club_admin.language = "nl"
    club_admin.save(update_fields=["language"])
    client.force_login(club_admin)
    month = (timezone.localdate() - timedelta(days=5)).replace(day=1)
    # when they download the companies active in the month of the three orders
    response = client.get(f"/staff/insights/companies/active/?kind=month&start={month.isoformat()}&format=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    _header, *rows = csv.reader(io.StringIO(body), delimiter=";")
    # then the company's net revenue (the fifth column) is in cents, with a decimal comma
    assert [row[4] for row in rows] == ["45849,98"]
