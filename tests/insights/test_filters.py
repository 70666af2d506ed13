"""Filters by country, tier, sales rep and value segment on the Insights pages: each narrows
the figures to the companies it names, a rep's scope stays the rep's, a filter that matches
nothing says so, and a filter that is not in the lists is a 400 with a message."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from insights.periods import MONTH, Period
from insights.scope import Filters
from insights.selectors import period_figures
from rewards.models import PointsAccount, ProgrammeRules, Purchase, Tier
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def buy(company, amount, days_ago, n=0):
    return Purchase.objects.create(
        company=company,
        source="erp",
        external_id=f"{company.pk}-{days_ago}-{n}",
        occurred_at=timezone.now() - timedelta(days=days_ago),
        net_amount=Decimal(amount),
    )


@pytest.fixture
def club(rep, other_rep):
    gold = Tier.objects.create(name="Gold test", qualifying_points=987654)
    swede = CompanyFactory(name="Svensk AB", country="SE", sales_rep=rep)
    dutch = CompanyFactory(name="Nederlands BV", country="NL", sales_rep=other_rep)
    golden = CompanyFactory(name="Guld AB", country="SE", sales_rep=other_rep)
    PointsAccount.objects.create(company=golden, tier=gold)
    for company, amount in ((swede, 100), (dutch, 200), (golden, 400)):
        buy(company, amount, 0)
    buy(golden, 50, 0, n=1)  # two orders today
    return {"swede": swede, "dutch": dutch, "golden": golden, "gold": gold}


def test_each_filter_narrows_the_figures(club, club_admin, rep):
    period = Period.containing(MONTH, timezone.localdate())
    rules = ProgrammeRules.current()

    def revenue(filters):
        return period_figures(period=period, user=club_admin, rules=rules, filters=filters).net_revenue

    assert revenue(None) == Decimal("750")
    assert revenue(Filters(country="NL")) == Decimal("200")
    assert revenue(Filters(country="SE")) == Decimal("550")
    assert revenue(Filters(tier_id=club["gold"].pk)) == Decimal("450")
    assert revenue(Filters(rep_id=rep.pk)) == Decimal("100")
    assert revenue(Filters(segment_ids=frozenset({club["dutch"].pk}))) == Decimal("200")


def test_the_pages_filter_and_keep_the_filters_in_their_links(client, club, club_admin):
    client.force_login(club_admin)
    response = client.get(reverse("insights:overview") + "?kind=month&country=NL")
    page = response.content.decode()
    assert response.status_code == 200
    assert "country=NL" in page  # the drill-down links keep the filter
    drill = client.get(reverse("insights:companies", args=["active"]) + "?kind=month&country=NL").content
    assert b"Nederlands BV" in drill and b"Svensk AB" not in drill
    export = b"".join(
        client.get(reverse("insights:companies", args=["active"]) + "?country=NL&format=csv").streaming_content
    )
    assert b"Nederlands BV" in export and b"Svensk AB" not in export
    value = client.get(reverse("insights:lifetime") + f"?tier={club['gold'].pk}").content
    assert b"Guld AB" in value and b"Svensk AB" not in value
    segment = client.get(reverse("insights:segment", args=["new"]) + "?country=SE").content
    assert b"Svensk AB" in segment and b"Nederlands BV" not in segment
    by_segment = client.get(reverse("insights:lifetime") + "?segment=new&country=NL").content
    assert b"Nederlands BV" in by_segment and b"Guld AB" not in by_segment


def test_a_rep_cannot_filter_their_way_out_of_their_scope(client, club, rep, other_rep):
    client.force_login(rep)
    for url in (
        reverse("insights:lifetime") + f"?rep={other_rep.pk}",
        reverse("insights:companies", args=["active"]) + f"?rep={other_rep.pk}",
        reverse("insights:at_risk") + "?country=NL",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"Nederlands BV" not in response.content and b"Guld AB" not in response.content, url


@pytest.mark.parametrize(
    "url",
    [
        "/staff/insights/?kind=month&country=NL&segment=lost",
        "/staff/insights/at-risk/?country=NL&segment=champions",
        "/staff/insights/cohorts/?segment=lost",
        "/staff/insights/satisfaction/?segment=hibernating",
    ],
)
def test_a_filter_that_matches_nothing_says_so(client, club, club_admin, url):
    client.force_login(club_admin)
    response = client.get(url)
    assert response.status_code == 200
    assert "No company matches these filters" in response.content.decode()


@pytest.mark.parametrize(
    "query", ["tier=99999999", "country=XX", "segment=vip", "rep=abc", "tier=%00", "rep=99999999999999999999999"]
)
def test_filters_not_in_the_lists_are_a_400_with_a_message(client, club, club_admin, query):
    client.force_login(club_admin)
    for url in ("/staff/insights/", "/staff/insights/at-risk/", "/staff/insights/value/"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, (url, query)
        assert "These filters cannot be used" in response.content.decode()
