"""Revenue in several currencies: Insights, campaign results and spend segments add a
company's amounts in the base currency at its currency's reporting rate
(``rewards.purchases.selectors``), never as recorded side by side.

The club runs in SEK; EUR earns at its own rate and reports at 11 SEK per EUR. March 2026:

* S (Swedish) orders 1 000 SEK on the 3rd;
* N (Dutch) orders 100 EUR on the 5th and gets a credit note of −10 EUR on the 20th:
  90 EUR net, 990 SEK;
* M (Dutch) orders 50.50 EUR on the 9th: 555.50 SEK.

Net revenue 1 000 + 990 + 555.50 = 2 545.50 SEK; order value 1 000 + 1 100 + 555.50 =
2 655.50 SEK. Added as recorded it would read 1 140.50.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from campaigns.models import Segment
from campaigns.selectors import segment_companies
from insights import snapshots
from insights.models import CompanyDay, SummaryState
from insights.periods import MONTH, Period
from insights.selectors import company_values, drilldown_companies, period_figures
from members.models import Country
from rewards.models import ProgrammeCurrency, ProgrammeRules
from tests.factories import CompanyFactory
from tests.insights.test_figures import at, buy

pytestmark = pytest.mark.django_db

MARCH = Period.containing(MONTH, date(2026, 3, 14))


@pytest.fixture
def rules():
    rules = ProgrammeRules.current()
    rules.currency, rules.point_value = "SEK", Decimal("0.02")
    rules.save()
    return rules


@pytest.fixture
def eur(rules):
    return ProgrammeCurrency.objects.create(
        currency="EUR",
        points_per_currency_unit=Decimal("11"),
        point_value=Decimal("0.0018"),
        reporting_rate=Decimal("11"),
    )


@pytest.fixture
def club(eur):
    joined = at(date(2025, 6, 1))
    s = CompanyFactory(name="S", created_at=joined)
    n = CompanyFactory(name="N", country=Country.NETHERLANDS, currency="EUR", created_at=joined)
    m = CompanyFactory(name="M", country=Country.NETHERLANDS, currency="EUR", created_at=joined)
    buy(s, "1000", date(2026, 3, 3), currency="SEK")
    order = buy(n, "100", date(2026, 3, 5), currency="EUR")
    buy(n, "-10", date(2026, 3, 20), currency="EUR", original=order)
    buy(m, "50.50", date(2026, 3, 9), currency="EUR")
    return {"s": s, "n": n, "m": m}


def test_the_overview_adds_euros_at_the_reporting_rate(club, club_admin, rules):
    figures = period_figures(period=MARCH, user=club_admin, rules=rules, summary=False)
    assert (figures.net_revenue, figures.order_value) == (Decimal("2545.50"), Decimal("2655.50"))
    assert figures.revenue_per_active == Decimal("848.50")


def test_each_company_s_revenue_is_in_the_base_currency(club, club_admin):
    companies = drilldown_companies(metric="active", period=MARCH, user=club_admin)
    assert [(c.name, c.period_revenue) for c in companies] == [
        ("S", Decimal("1000")),
        ("N", Decimal("990")),
        ("M", Decimal("555.50")),
    ]


def test_a_company_s_value_is_in_cents_in_the_base_currency(club, client, club_admin, settings):
    """Each company's revenue read live (no summary, as on SQLite) is in cents: the export
    showed a euro company's year as 555.500000000."""
    settings.STAFF_MFA_REQUIRED = False
    values = {v.company_id: v for v in company_values(user=club_admin, now=at(date(2026, 4, 1)))}
    m = values[club["m"].pk]
    assert (m.revenue_365, m.revenue_total) == (Decimal("555.50"), Decimal("555.50"))
    assert all(v.revenue_365.as_tuple().exponent == -2 for v in values.values())
    client.force_login(club_admin)
    response = client.get("/staff/insights/value/?format=csv")
    body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert "555.50" in body and "555.500" not in body


def test_a_spend_segment_counts_euros_at_the_reporting_rate(club):
    segment = Segment.objects.create(name="Spent 900 SEK or more", min_spend=Decimal("900"), spend_days=60)
    chosen = segment_companies(segment, now=at(date(2026, 3, 31)))
    assert set(chosen.values_list("name", flat=True)) == {"S", "N"}  # M's 555.50 SEK is below


@pytest.mark.postgres
@pytest.mark.usefixtures("require_postgres")
def test_the_summary_is_in_the_base_currency_and_rebuilt_when_a_rate_changes(club, club_admin, rules, eur):
    snapshots.rebuild(now=at(date(2026, 4, 1)))
    assert CompanyDay.objects.get(company=club["n"], day=date(2026, 3, 5)).net_revenue == Decimal("1100")
    summed = period_figures(period=MARCH, user=club_admin, rules=rules, summary=True)
    assert summed.net_revenue == Decimal("2545.50")
    rebuilt_at = SummaryState.objects.get().rebuilt_at

    assert snapshots.refresh(now=at(date(2026, 4, 2))) >= 0
    assert SummaryState.objects.get().rebuilt_at == rebuilt_at  # same rates: incremental

    eur.reporting_rate = Decimal("12")
    eur.save()
    snapshots.refresh(now=at(date(2026, 4, 3)))
    state = SummaryState.objects.get()
    assert state.rebuilt_at == at(date(2026, 4, 3))
    assert state.reporting_rates == {"base": "SEK", "EUR": "12.000000"}
    # 1 000 + 90 × 12 + 50.50 × 12
    assert period_figures(period=MARCH, user=club_admin, rules=rules, summary=True).net_revenue == Decimal("2686.00")
    assert period_figures(period=MARCH, user=club_admin, rules=rules, summary=False).net_revenue == Decimal("2686.00")
