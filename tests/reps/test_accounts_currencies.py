"""My accounts with companies buying in another currency: every amount on the list, its
sorting, its "falling" filter and its exports in the club's base currency, a euro counting
at its reporting rate (``rewards.purchases.selectors``), as Insights and campaign results
add revenue.

The club runs in SEK; EUR reports at 11 SEK. The rep's accounts, 90-day windows:

* Kok Isolatie B.V. buys in EUR: 1 600 EUR in the last 90 days, 2 800 EUR the 90 before,
  so 17 600 SEK against 30 800 SEK, down 43 %;
* Overstap B.V. moved from SEK to EUR invoicing: 1 000 SEK before, 100 EUR (1 100 SEK)
  recently: up 10 %. Added as recorded it would read 100 against 1 000, down 90 %;
* Bygg AB buys in SEK: 900 SEK against 1 000 SEK, down 10 %;
* the fixtures' company has bought nothing (no trend).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from core.formatting import format_money
from members.models import Company, Country
from reps.activity import account_activity_catch_up, account_activity_rebuild
from reps.models import AccountActivity, AccountActivityRun
from reps.selectors import rep_accounts
from rewards.models import ProgrammeRules, Purchase
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def buy(company, amount, days_ago, currency):
    return Purchase.objects.create(
        company=company,
        source="erp",
        external_id=f"{company.pk}-{days_ago}-{amount}-{currency}",
        occurred_at=timezone.now() - timedelta(days=days_ago),
        net_amount=Decimal(amount),
        currency=currency,
    )


@pytest.fixture
def accounts(eur, rep, company):
    kok = CompanyFactory(name="Kok Isolatie B.V.", country=Country.NETHERLANDS, currency="EUR", sales_rep=rep)
    overstap = CompanyFactory(name="Overstap B.V.", country=Country.NETHERLANDS, currency="EUR", sales_rep=rep)
    bygg = CompanyFactory(name="Bygg AB", country=Country.SWEDEN, currency="SEK", sales_rep=rep)
    buy(kok, "1600.00", 10, "EUR")
    buy(kok, "2800.00", 120, "EUR")
    buy(overstap, "100.00", 10, "EUR")
    buy(overstap, "1000.00", 120, "SEK")
    buy(bygg, "900.00", 10, "SEK")
    buy(bygg, "1000.00", 120, "SEK")
    account_activity_catch_up()
    return {"kok": kok, "overstap": overstap, "bygg": bygg, "quiet": company}


def figures(company: Company):
    activity = AccountActivity.objects.get(company=company)
    return activity.purchases_recent, activity.purchases_before, activity.trend


def names(client, query: str) -> list[str]:
    table = client.get(reverse("reps:accounts") + query).context["table"]
    return [row.record.name for row in table.page.object_list]


def test_an_account_buying_in_euros_shows_its_purchases_in_the_base_currency(client, rep, accounts):
    client.force_login(rep)

    with translation.override("en"):
        page = client.get(reverse("reps:accounts"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        html = re.sub(r"<[^>]+>", "", page)  # the cell's words, as read
        converted = f"{format_money(Decimal('17600'), 'SEK')} vs {format_money(Decimal('30800'), 'SEK')}"
        as_recorded = f"{format_money(Decimal('1600'), 'SEK')} vs {format_money(Decimal('2800'), 'SEK')}"

    assert converted in html
    assert as_recorded not in html
    assert "in SEK; a company that buys in another currency counts at that currency" in html
    rows = {row.name: row for row in rep_accounts(user=rep)}
    assert (rows["Kok Isolatie B.V."].purchases_recent, rows["Kok Isolatie B.V."].purchases_before) == (
        Decimal("17600.00"),
        Decimal("30800.00"),
    )
    assert figures(accounts["overstap"]) == (Decimal("1100.00"), Decimal("1000.00"), Decimal("10.00"))


def test_sorting_and_the_falling_filter_compare_amounts_in_the_base_currency(client, rep, accounts):
    client.force_login(rep)

    # Overstap's 100 EUR are 1 100 SEK: up 10 %, not down 90 %.
    assert names(client, "?sort=-trend") == ["Overstap B.V.", "Bygg AB", "Kok Isolatie B.V.", accounts["quiet"].name]
    assert names(client, "?sort=trend") == ["Kok Isolatie B.V.", "Bygg AB", "Overstap B.V.", accounts["quiet"].name]
    assert names(client, "?attention=falling") == ["Kok Isolatie B.V."]


def csv_rows(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_export_columns_hold_what_their_headers_say(client, rep, accounts):
    client.force_login(rep)
    url = reverse("reps:accounts")

    by_name = {row["Company"]: row for row in csv_rows(client.get(url, {"_export": "csv"}))}
    # The list is offered as CSV only (streamed: ``export_formats``); XLSX is refused.
    assert client.get(url, {"_export": "xlsx"}).status_code == 400

    kok = by_name["Kok Isolatie B.V."]
    assert "Purchases, 90 days" not in kok  # the percent is no longer under an amount's name
    assert Decimal(kok["Purchases, last 90 days (SEK)"]) == Decimal("17600")
    assert Decimal(kok["Purchases, 90 days before (SEK)"]) == Decimal("30800")
    assert kok["Purchases, change over 90 days (%)"] == "-43"
    assert by_name["Overstap B.V."]["Purchases, change over 90 days (%)"] == "10"
    assert by_name[accounts["quiet"].name]["Purchases, change over 90 days (%)"] == ""

    falling = csv_rows(client.get(url, {"_export": "csv", "attention": "falling"}))
    assert [row["Company"] for row in falling] == ["Kok Isolatie B.V."]


def test_a_changed_reporting_rate_recomputes_every_account_at_the_next_catch_up(rep, accounts, eur):
    eur.reporting_rate = Decimal("12")
    eur.save()

    # No purchase since the last run: the rate alone makes the catch-up recompute everyone.
    assert account_activity_catch_up() == Company.objects.count()

    assert figures(accounts["kok"])[:2] == (Decimal("19200.00"), Decimal("33600.00"))
    assert figures(accounts["overstap"]) == (Decimal("1200.00"), Decimal("1000.00"), Decimal("20.00"))
    assert figures(accounts["bygg"])[:2] == (Decimal("900.00"), Decimal("1000.00"))
    assert AccountActivityRun.objects.order_by("-started_at", "-pk").first().reporting_rates == {
        "base": "SEK",
        "EUR": "12.000000",
    }
    assert account_activity_catch_up() == 0  # and then only new purchases again


def test_figures_from_before_the_amounts_were_converted_are_recomputed(client, rep, accounts):
    """Rows written before amounts were in the base currency, by runs that recorded no rates
    (what the migration leaves): the list recomputes them before showing them, and so does
    the next catch-up."""
    AccountActivityRun.objects.all().delete()
    AccountActivity.objects.filter(company=accounts["kok"]).update(
        purchases_recent=Decimal("1600.00"), purchases_before=Decimal("2800.00")
    )
    AccountActivityRun.objects.create(started_at=timezone.now(), upto_purchase_id=Purchase.objects.latest("pk").pk)
    client.force_login(rep)

    rows = {row.record.name: row.record for row in client.get(reverse("reps:accounts")).context["table"].rows}
    assert rows["Kok Isolatie B.V."].purchases_recent == Decimal("17600.00")

    AccountActivity.objects.filter(company=accounts["kok"]).update(purchases_recent=Decimal("1600.00"))
    AccountActivityRun.objects.update(reporting_rates={})
    assert account_activity_catch_up() == Company.objects.count()
    assert figures(accounts["kok"])[0] == Decimal("17600.00")


def test_a_club_in_one_currency_adds_amounts_as_recorded(rep, company):
    buy(company, "123.45", 10, "SEK")
    buy(company, "100.00", 100, "SEK")

    account_activity_rebuild()

    assert figures(company) == (Decimal("123.45"), Decimal("100.00"), Decimal("23.45"))
    assert AccountActivityRun.objects.get().reporting_rates == {"base": ProgrammeRules.current().currency}


def test_each_purchase_counts_in_the_base_currency_rounded_to_cents_as_insights_counts_it(rep, eur):
    """As ``net_amount_in_base`` (Insights, campaign results): each purchase is converted and
    rounded to cents, then added, so the list and Insights agree to the cent."""
    eur.reporting_rate = Decimal("11.123456")
    eur.save()
    euros = CompanyFactory(currency="EUR", country=Country.NETHERLANDS, sales_rep=rep)
    buy(euros, "100.01", 120, "EUR")  # 1 112.4568… SEK: 1 112.46
    buy(euros, "0.05", 10, "EUR")  # 0.5561728 SEK: 0.56 each, 1.12 together (1.11 if rounded after adding)
    buy(euros, "0.05", 11, "EUR")

    account_activity_rebuild()

    assert figures(euros) == (Decimal("1.12"), Decimal("1112.46"), Decimal("-99.90"))
