"""Results against the hold-out, on a small club whose answer is worked out by hand below."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import caches
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from campaigns.models import ActivityCompletion, ActivityKind, AwardKind, CampaignAward
from campaigns.selectors import (
    campaign_results,
    campaign_results_by_company,
    remembered_campaign_results,
    results_periods,
)
from core.texts import free_text
from rewards.ledger.services import points_award
from tests.factories import CompanyFactory, MembershipFactory, StaffFactory
from tests.rewards.factories import CreditNoteFactory, PurchaseFactory

from .factories import ActivityFactory, CampaignFactory, run_campaign

pytestmark = pytest.mark.django_db

START = datetime(2026, 5, 1, tzinfo=UTC)
END = datetime(2026, 5, 31, tzinfo=UTC)
BEFORE = datetime(2026, 4, 10, tzinfo=UTC)  # inside the 30 days before the start
DURING = datetime(2026, 5, 10, tzinfo=UTC)
LATER = datetime(2026, 7, 1, tzinfo=UTC)  # "now": the campaign has ended


@pytest.fixture
def club(rules, owner):
    """Treated A, B, C, D and hold-out H1, H2, with purchases before, during and outside the campaign.

    before:  A 1 000, B 1 000, C 2 000, D —          | H1 1 000, H2 1 000
    during:  A 3 000, B 1 000 − 200 credit, C 2 000, D 1 200 | H1 1 100, H2 —
    ignored: A 5 000 in March, A 9 000 in June, an outsider's 10 000 during.
    """
    a, b, c, d, h1, h2 = (CompanyFactory(name=name) for name in ["A", "B", "C", "D", "H1", "H2"])
    campaign = run_campaign(
        CampaignFactory(name="Spring", owner=owner, starts_at=START, ends_at=END),
        treated=[a, b, c, d],
        held_out=[h1, h2],
    )
    # A is also in another campaign: its purchases must still count once.
    run_campaign(CampaignFactory(owner=owner, starts_at=START, ends_at=END), treated=[a])
    for company, amount in [(a, 1000), (b, 1000), (c, 2000), (h1, 1000), (h2, 1000)]:
        PurchaseFactory(company=company, net_amount=Decimal(amount), occurred_at=BEFORE)
    for company, amount in [(a, 3000), (c, 2000), (d, 1200), (h1, 1100)]:
        PurchaseFactory(company=company, net_amount=Decimal(amount), occurred_at=DURING)
    b_during = PurchaseFactory(company=b, net_amount=Decimal("1000"), occurred_at=DURING)
    CreditNoteFactory(original=b_during, net_amount=Decimal("-200"), occurred_at=DURING)
    PurchaseFactory(company=a, net_amount=Decimal("5000"), occurred_at=datetime(2026, 3, 1, tzinfo=UTC))
    PurchaseFactory(company=a, net_amount=Decimal("9000"), occurred_at=datetime(2026, 6, 5, tzinfo=UTC))
    PurchaseFactory(company=CompanyFactory(), net_amount=Decimal("10000"), occurred_at=DURING)
    # 2 000 campaign points for A and B; 1 point = 0.05 SEK, so the points cost 100 SEK.
    for company, points in [(a, 1500), (b, 500)]:
        entry, _created = points_award(
            company_id=company.pk, points=points, key=f"test:{company.pk}", memo=free_text(""), now=DURING
        )
        CampaignAward.objects.create(
            campaign=campaign, company=company, kind=AwardKind.ACTIVITY, points=points, entry=entry
        )
    campaign.points_awarded = 2000
    campaign.save(update_fields=["points_awarded"])
    survey = ActivityFactory(kind=ActivityKind.SURVEY, campaign=campaign)
    for company, score in [(a, 10), (b, 9), (c, 7), (d, 3)]:
        ActivityCompletion.objects.create(
            activity=survey,
            company=company,
            user=MembershipFactory(company=company).user,
            scope_key=f"company:{company.pk}",
            status="submitted",
            score=score,
        )
    return campaign


def test_the_periods_are_the_campaign_and_the_same_length_before_it(club):
    assert results_periods(club, now=LATER) == (datetime(2026, 4, 1, tzinfo=UTC), START, END)
    # While it runs, "during" is the campaign so far, compared with as long a period before.
    assert results_periods(club, now=datetime(2026, 5, 11, tzinfo=UTC)) == (
        datetime(2026, 4, 21, tzinfo=UTC),
        START,
        datetime(2026, 5, 11, tzinfo=UTC),
    )


def test_the_uplift_figures_are_the_ones_worked_out_by_hand(club):
    results = campaign_results(campaign=club, now=LATER)

    # Groups and revenue per period.
    assert (results.treated_size, results.holdout_size) == (4, 2)
    assert results.treated_before.revenue == Decimal("4000.00")
    assert results.treated_during.revenue == Decimal("7000.00")  # 3 000 + 800 + 2 000 + 1 200
    assert results.holdout_before.revenue == Decimal("2000.00")
    assert results.holdout_during.revenue == Decimal("1100.00")
    # Per company: treated 1 000 → 1 750, hold-out 1 000 → 550.
    assert results.treated_before.revenue_per_company == Decimal("1000.00")
    assert results.treated_during.revenue_per_company == Decimal("1750.00")
    assert results.holdout_during.revenue_per_company == Decimal("550.00")
    # Active share (bought at least once): treated 3/4 → 4/4, hold-out 2/2 → 1/2.
    assert results.treated_before.active_share == Decimal("0.75")
    assert results.treated_during.active_share == 1
    assert results.holdout_before.active_share == 1
    assert results.holdout_during.active_share == Decimal("0.5")
    # Uplift: 1 750 / 550 − 1 = 218.2 %; difference in differences (1 750 − 1 000) − (550 − 1 000) = 1 200
    # per company, × 4 treated = 4 800 extra revenue; active share +50 pp, +75 pp against the period before.
    assert results.revenue_uplift_percent == Decimal("218.2")
    assert results.uplift_per_company == Decimal("1200.00")
    assert results.incremental_revenue == Decimal("4800.00")
    assert results.active_share_uplift_points == Decimal("50.0")
    assert results.active_share_uplift_adjusted_points == Decimal("75.0")
    # Cost: 2 000 points = 100 SEK, so 48 of extra revenue per unit of points cost.
    assert (results.points_issued, results.points_value, results.currency) == (2000, Decimal("100.00"), "SEK")
    assert results.revenue_per_point_value == Decimal("48.00")
    assert results.participants == 2
    # NPS: promoters 10 and 9, detractor 3, of 4 answers → (2 − 1) / 4 = 25.
    assert (results.nps.answers, results.nps.score) == (4, 25)


def test_a_credit_note_alone_is_revenue_but_not_a_buyer(club):
    """H2 bought nothing during the campaign; a credit note against its April order lands
    in May: the hold-out's revenue falls by it, its buyers stay H1 alone."""
    h2_order = club.members.get(company__name="H2").company.purchases.get()
    CreditNoteFactory(original=h2_order, net_amount=Decimal("-100"), occurred_at=DURING)
    results = campaign_results(campaign=club, now=LATER)
    assert (results.holdout_during.revenue, results.holdout_during.buyers) == (Decimal("1000.00"), 1)
    assert (results.holdout_before.revenue, results.holdout_before.buyers) == (Decimal("2000.00"), 2)


def test_the_weekly_series_adds_up_to_the_period_totals(club):
    weeks = campaign_results(campaign=club, now=LATER).weeks

    assert sum(week.treated_per_company for week in weeks) * 4 == Decimal("11000.00")
    assert sum(week.holdout_per_company for week in weeks) * 2 == Decimal("3100.00")
    assert [week.during for week in weeks] == sorted(week.during for week in weeks)  # before weeks first
    assert any(week.during for week in weeks) and not all(week.during for week in weeks)


def test_the_export_has_one_row_per_company_with_its_group_and_figures(club):
    rows = {row.company_name: row for row in campaign_results_by_company(campaign=club, now=LATER)}

    assert set(rows) == {"A", "B", "C", "D", "H1", "H2"}
    assert (rows["A"].in_holdout, rows["A"].revenue_before, rows["A"].revenue_during) == (False, 1000, 3000)
    assert (rows["B"].revenue_during, rows["B"].purchases_during, rows["B"].campaign_points) == (800, 1, 500)
    assert (rows["H2"].in_holdout, rows["H2"].revenue_during, rows["H2"].purchases_during) == (True, 0, 0)


def test_without_a_hold_out_the_comparison_figures_are_empty_not_wrong(rules, owner):
    campaign = run_campaign(
        CampaignFactory(owner=owner, starts_at=START, ends_at=END), treated=[CompanyFactory()], held_out=[]
    )

    results = campaign_results(campaign=campaign, now=LATER)

    assert not results.comparable
    assert results.revenue_uplift_percent is None
    assert results.incremental_revenue is None


# --- The results page: its words and its figures in the reader's language ------------------------------


@pytest.mark.parametrize(
    ("language", "uplift", "share_points", "adjusted"),
    [("en", "+218.2", "+50.0", "+75.0"), ("sv", "+218,2", "+50,0", "+75,0"), ("nl", "+218,2", "+50,0", "+75,0")],
)
def test_the_results_page_calls_the_share_buying_the_active_share_and_writes_figures_as_the_reader_does(
    client, settings, club, language, uplift, share_points, adjusted
):
    settings.STAFF_MFA_REQUIRED = False
    staff = StaffFactory(email="marketing@club.example", group="Club admins")
    staff.language = language
    staff.save(update_fields=["language"])
    client.force_login(staff)

    page = client.get(reverse("admin:campaigns_campaign_results", args=[club.pk])).content.decode()

    with translation.override(language):
        pp = gettext("pp")
        assert gettext("Active share, treated against hold-out") in page
        assert gettext("Active share before") in page and gettext("Active share during") in page
        assert gettext("Repurchase rate during") not in page  # Insights' repurchase rate is another figure
        assert f"{uplift} %" in page  # the KPI and the table row
        assert page.count(f"{share_points} {pp}") == 2
        assert gettext("%(adjusted)s pp against the period before") % {"adjusted": adjusted} in page


@pytest.mark.parametrize(
    ("language", "value", "decimals", "expected"),
    [
        ("en", Decimal("55.6"), "1", "+55.6"),
        ("sv", Decimal("55.6"), "1", "+55,6"),
        ("nl", Decimal("55.6"), "1", "+55,6"),
        ("en", Decimal("-33.11"), "2", "\u221233.11"),
        ("sv", Decimal("-33.11"), "2", "\u221233,11"),
        ("nl", Decimal("-33.11"), "2", "\u221233,11"),
        ("sv", Decimal("-33.16"), "1", "\u221233,2"),
        ("en", Decimal("1234.5"), "1", "+1\u202f234.5"),
        ("sv", Decimal("1234.5"), "1", "+1\u00a0234,5"),
        ("nl", Decimal("1234.5"), "1", "+1.234,5"),
        ("sv", Decimal("50"), "1", "+50,0"),
        ("sv", Decimal("-0.04"), "1", "0,0"),  # rounds to nothing: no sign
        ("sv", Decimal("55.6"), "", "+55,6"),  # no places given: the value's own
        ("sv", Decimal("-3"), "", "\u22123"),
        ("nl", None, "", "–"),
    ],
)
def test_signed_figures_use_the_readers_decimal_comma_grouping_and_a_true_minus(language, value, decimals, expected):
    template = Template("{% load campaigns %}" + ("{{ value|signed:decimals }}" if decimals else "{{ value|signed }}"))

    with translation.override(language):
        assert template.render(Context({"value": value, "decimals": decimals})) == expected


def test_the_weeks_start_on_monday_at_local_midnight_across_a_clock_change(rules, owner):
    """Summer time starts on Sunday 29 March 2026 in Stockholm. A purchase half an hour into
    Monday 30 March (22:30 UTC on the Sunday) is that Monday's week, one half an hour before
    it the week before: the weeks are cut at local midnight, whatever the offset."""
    stockholm = ZoneInfo("Europe/Stockholm")
    treated, held_out = CompanyFactory(), CompanyFactory()
    campaign = run_campaign(
        CampaignFactory(
            owner=owner,
            starts_at=datetime(2026, 3, 30, tzinfo=stockholm),
            ends_at=datetime(2026, 4, 13, tzinfo=stockholm),
        ),
        treated=[treated],
        held_out=[held_out],
    )
    for moment, amount in [
        (datetime(2026, 3, 29, 23, 30, tzinfo=stockholm), "100"),
        (datetime(2026, 3, 30, 0, 30, tzinfo=stockholm), "200"),
        (datetime(2026, 4, 12, 23, 59, tzinfo=stockholm), "400"),
    ]:
        PurchaseFactory(company=treated, net_amount=Decimal(amount), occurred_at=moment)
    PurchaseFactory(company=held_out, net_amount=Decimal("50"), occurred_at=datetime(2026, 3, 16, tzinfo=stockholm))

    with timezone.override(stockholm):
        weeks = campaign_results(campaign=campaign, now=datetime(2026, 5, 1, tzinfo=UTC)).weeks

    assert [(week.week, week.treated_per_company, week.holdout_per_company, week.during) for week in weeks] == [
        (date(2026, 3, 16), Decimal("0.00"), Decimal("50.00"), False),
        (date(2026, 3, 23), Decimal("100.00"), Decimal("0.00"), False),
        (date(2026, 3, 30), Decimal("200.00"), Decimal("0.00"), True),
        (date(2026, 4, 6), Decimal("400.00"), Decimal("0.00"), True),
    ]


def test_the_results_are_kept_a_minute_and_computed_again_when_the_campaign_changes(
    club, rules, settings, django_assert_num_queries
):
    """Several people open the same results: the second reads them from the cache (no query)
    with the time they were computed; a change to the campaign's points or schedule is a new
    key, so it is seen at once; a purchase arriving meanwhile waits for the minute."""
    settings.CAMPAIGN_RESULTS_CACHE_SECONDS = 60
    settings.CACHES = {
        **settings.CACHES,
        "figures": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "campaign-results-test"},
    }
    caches["figures"].clear()
    first, computed_at = remembered_campaign_results(campaign=club, rules=rules)
    a = club.members.get(company__name="A").company
    PurchaseFactory(company=a, net_amount=Decimal("500"), occurred_at=DURING)

    with django_assert_num_queries(0):
        again, again_at = remembered_campaign_results(campaign=club, rules=rules)
    assert (again.treated_during.revenue, again_at) == (first.treated_during.revenue, computed_at)

    club.points_awarded += 100
    club.save(update_fields=["points_awarded"])
    changed, _at = remembered_campaign_results(campaign=club, rules=rules)
    assert changed.treated_during.revenue == first.treated_during.revenue + 500
    assert changed.points_issued == 2100

    settings.CAMPAIGN_RESULTS_CACHE_SECONDS = 0  # off: computed on every view
    PurchaseFactory(company=a, net_amount=Decimal("50"), occurred_at=DURING)
    assert remembered_campaign_results(campaign=club, rules=rules)[0].treated_during.revenue == (
        first.treated_during.revenue + 550
    )
    caches["figures"].clear()
