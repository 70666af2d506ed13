"""Generated scenarios, two ways: every purchase through the services, or the set-based CSV
import on PostgreSQL. Identical ledgers, buckets, tiers and campaign awards, whatever the
purchases, credit notes, tiers, categories, overlapping campaigns and tight budgets — in
SEK and EUR, each currency earning at its own rate, with the same rows refused for a
currency that is unknown, has no rate or is not the company's.

The earn rule is defined once (``rewards.rules``, ``campaigns.earn.MULTIPLIER_PRECEDENCE``);
this test is what proves both renderings of it agree.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from campaigns.models import Campaign, CampaignAward, CampaignMember, CampaignRule, CampaignStatus, RuleKind
from rewards.ledger.services import points_account_for_company
from rewards.models import PointsAccount, ProductCategory, ProgrammeCurrency
from tests.factories import CompanyFactory, StaffFactory

from .factories import NOW, ProductCategoryFactory, TierFactory
from .test_imports import _ledger as ledger
from .test_imports import csv_bytes, error_rows, row, run

pytestmark = [pytest.mark.postgres]

COMPANIES = 4
EUR_COMPANIES = {2, 3}  # Dutch: they buy in EUR, which earns at its own rate
CATEGORIES = ["", "TOOLS", "WEAR"]
TIERS = ["", "Silver", "Gold"]
_scenarios = itertools.count()

amounts = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("4000.00"), places=2)
purchases = st.lists(
    st.tuples(
        st.integers(0, COMPANIES - 1),  # company
        amounts,
        st.sampled_from(CATEGORIES),
        st.integers(0, 40),  # days before NOW: inside and outside the campaigns and the return window
        st.booleans(),  # followed by a credit note for part of it
        # Mostly the company's own currency; sometimes another the programme runs in, one
        # it has no rate for, or no currency code at all: refused on both paths alike.
        st.sampled_from([None] * 8 + ["SEK", "EUR", "NOK", "XYZ"]),
    ),
    min_size=1,
    max_size=24,
)
campaigns = st.lists(
    st.fixed_dictionaries(
        {
            # Equal multipliers on purpose: which campaign wins a tie is part of the rule.
            "multiplier": st.sampled_from([Decimal("2"), Decimal("2.00"), Decimal("3"), Decimal("1.5"), None]),
            "categories": st.sampled_from([[], ["TOOLS"], ["TOOLS", "WEAR"]]),
            # Fixed bonuses and tight budgets send an account's rows through the services
            # (their outcome depends on row order), so most campaigns have neither and the
            # set-based SQL is what gets compared.
            "first_purchase": st.sampled_from([None, None, None, 100]),
            "large_purchase": st.sampled_from([None, None, None, (Decimal("1000"), 300)]),
            "budget": st.sampled_from([10_000_000, 10_000_000, 2_000, 150]),
            "starts_days_ago": st.integers(5, 30),
            "audience": st.lists(
                st.sampled_from(["treated", "held out", "outside"]), min_size=COMPANIES, max_size=COMPANIES
            ),
        }
    ),
    max_size=3,
)
tiers = st.lists(st.sampled_from(TIERS), min_size=COMPANIES, max_size=COMPANIES)


@pytest.fixture
def programme(require_postgres, rules):
    ProgrammeCurrency.objects.create(
        currency="EUR",
        points_per_currency_unit=Decimal("10.75"),
        point_value=Decimal("0.0045"),
        reporting_rate=Decimal("11.5"),
    )
    ProductCategoryFactory(code="TOOLS", multiplier=Decimal("1.25"))
    ProductCategoryFactory(code="WEAR", multiplier=Decimal("1"))
    return {
        "Silver": TierFactory(name="Silver", qualifying_points=3_000, earn_multiplier=Decimal("1.1")),
        "Gold": TierFactory(name="Gold", qualifying_points=20_000, earn_multiplier=Decimal("1.5")),
    }


def _build(prefix: str, source: str, scenario, programme) -> tuple[list[Campaign], bytes]:
    """The scenario's companies, tiers and campaigns under ``prefix``, and its CSV file."""
    bought, planned, company_tiers = scenario
    companies = [
        CompanyFactory(external_id=f"{prefix}-{n}", currency="EUR" if n in EUR_COMPANIES else "SEK")
        for n in range(COMPANIES)
    ]
    for company, tier in zip(companies, company_tiers, strict=True):
        if tier:
            PointsAccount.objects.filter(pk=points_account_for_company(company=company).pk).update(tier=programme[tier])
    owner = StaffFactory()
    made = []
    for number, plan in enumerate(planned):
        campaign = Campaign.objects.create(
            name=f"Campaign {number}",
            headline="Generated",
            owner=owner,
            starts_at=NOW - timedelta(days=plan["starts_days_ago"]),
            ends_at=NOW + timedelta(days=10),
            points_budget=plan["budget"],
            status=CampaignStatus.ACTIVE,
            started_at=NOW - timedelta(days=plan["starts_days_ago"]),
        )
        if plan["multiplier"] is not None:
            rule = CampaignRule.objects.create(
                campaign=campaign, kind=RuleKind.MULTIPLIER, multiplier=plan["multiplier"]
            )
            rule.categories.set(ProductCategory.objects.filter(code__in=plan["categories"]))
        if plan["first_purchase"] is not None:
            CampaignRule.objects.create(
                campaign=campaign, kind=RuleKind.FIRST_PURCHASE, bonus_points=plan["first_purchase"]
            )
        if plan["large_purchase"] is not None:
            minimum, bonus = plan["large_purchase"]
            CampaignRule.objects.create(
                campaign=campaign, kind=RuleKind.LARGE_PURCHASE, min_amount=minimum, bonus_points=bonus
            )
        for company, membership in zip(companies, plan["audience"], strict=True):
            if membership != "outside":
                CampaignMember.objects.create(campaign=campaign, company=company, in_holdout=membership == "held out")
        made.append(campaign)
    rows = []
    for number, (company, amount, category, days_ago, credited, currency) in enumerate(bought):
        at = (NOW - timedelta(days=days_ago, hours=number)).isoformat()
        currency = currency or ("EUR" if company in EUR_COMPANIES else "SEK")
        ref = f"{prefix}-{company}"
        rows.append(row(ref, f"P-{number}", str(amount), at=at, category=category, source=source, currency=currency))
        if credited and amount > 0:
            credit = -(amount / 3).quantize(Decimal("0.01"))
            rows.append(
                row(ref, f"C-{number}", str(credit), at=at, original=f"P-{number}", source=source, currency=currency)
            )
    return made, csv_bytes(rows)


def _refusals(purchase_import, prefix: str) -> list[tuple[str, str]]:
    """Each refused line with its reason (the error file's first columns), the prefix left out."""
    if not purchase_import.rows_failed:
        return []
    return sorted((line[0], line[1].replace(prefix, "")) for line in error_rows(purchase_import)[1:])


def _awards(made: list[Campaign], prefix: str) -> list[tuple]:
    return sorted(
        (
            award.campaign.name,
            award.company.external_id[len(prefix) :],
            award.kind,
            award.points,
            award.purchase.external_id,
        )
        for award in CampaignAward.objects.filter(campaign__in=made).select_related("campaign", "company", "purchase")
    )


# Two campaigns with the same multiplier on everything, both treating company 0: the older
# one must win every line on both paths.
TIE = (
    [(0, Decimal("400.00"), "TOOLS", 3, False, None), (0, Decimal("80.50"), "", 2, False, None)],  # below Silver
    [
        {
            "multiplier": Decimal("2"),
            "categories": [],
            "first_purchase": None,
            "large_purchase": None,
            "budget": 10_000_000,
            "starts_days_ago": 20,
            "audience": ["treated", "outside", "outside", "outside"],
        }
    ]
    * 2,
    ["", "", "", ""],
)


# Dutch companies buying in EUR at EUR's rate next to a Swedish one in SEK, with a credit
# note, and one row of each refusal: SEK for a EUR company, no rate (NOK), no code (XYZ).
EUR_AND_REFUSALS = (
    [
        (2, Decimal("1234.56"), "TOOLS", 3, True, None),
        (3, Decimal("99.99"), "", 20, False, None),
        (0, Decimal("500.00"), "WEAR", 4, False, None),
        (2, Decimal("10.00"), "", 2, False, "SEK"),
        (3, Decimal("10.00"), "", 2, False, "NOK"),
        (1, Decimal("10.00"), "", 2, False, "XYZ"),
    ],
    [],
    ["", "", "Silver", ""],
)


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=st.tuples(purchases, campaigns, tiers))
@example(scenario=TIE)
@example(scenario=EUR_AND_REFUSALS)
def test_the_services_and_the_set_based_import_write_the_same_ledger(programme, scenario):
    number = next(_scenarios)
    a, b = f"A{number}", f"B{number}"
    made_a, file_a = _build(a, f"erp-{a}", scenario, programme)
    made_b, file_b = _build(b, f"erp-{b}", scenario, programme)

    by_services = run(file_a, set_based=False, chunk_size=7)
    set_based = run(file_b, set_based=True, chunk_size=7)

    counts = (by_services.rows_created, by_services.rows_duplicate, by_services.rows_failed)
    assert counts == (set_based.rows_created, set_based.rows_duplicate, set_based.rows_failed)
    assert ledger(a, f"erp-{a}") == ledger(b, f"erp-{b}")
    assert _refusals(by_services, a) == _refusals(set_based, b)
    assert _awards(made_a, a) == _awards(made_b, b)
    budgets_a = [Campaign.objects.get(pk=campaign.pk).points_awarded for campaign in made_a]
    budgets_b = [Campaign.objects.get(pk=campaign.pk).points_awarded for campaign in made_b]
    assert budgets_a == budgets_b
