"""The dashboard's tier card: its bar always measures something the company can see move.

Tiers go up at once but down only at the yearly review, so a company can be Gold with fewer
qualifying points than Gold needs. A bar from Gold's floor to the next tier is then empty,
which reads as a fault; the card shows how much of Gold it keeps instead, next to the warning
that says how many points are missing.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rewards.models import PointsAccount

from .factories import TierFactory
from .helpers import earn

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiers(db):
    return {
        "silver": TierFactory(name="Silver", qualifying_points=300),
        "gold": TierFactory(name="Gold", qualifying_points=1_000),
        "platinum": TierFactory(name="Platinum", qualifying_points=2_000),
    }


def progress_bars(page: str) -> list[dict[str, str]]:
    """Every progress bar on the page, as its ARIA attributes."""
    return [
        dict(re.findall(r'(aria-[a-z]+)="([^"]*)"', tag)) for tag in re.findall(r'<div role="progressbar"[^>]*>', page)
    ]


def tier_card(page: str) -> str:
    return page[page.index('data-testid="points-tier"') :].split("</section>", 1)[0]


def test_given_gold_below_golds_threshold_then_the_bar_shows_how_much_of_gold_it_keeps(
    member_client, company, account, tiers, portal_site
):
    # given a company still Gold from last year, with 400 of Gold's 1 000 points this year
    account.tier = tiers["gold"]
    account.save(update_fields=["tier"])
    earn(company, 400, at=timezone.now() - timedelta(hours=1))
    assert PointsAccount.objects.get(pk=account.pk).tier == tiers["gold"]  # downgrades wait for the review

    # when a member opens the dashboard
    card = tier_card(member_client.get(reverse("dashboard")).content.decode())

    # then the card's one bar is the way to keeping Gold, 40 % full, labelled so, visibly too
    assert progress_bars(card) == [
        {
            "aria-valuemin": "0",
            "aria-valuemax": "100",
            "aria-valuenow": "40",
            "aria-label": "Progress towards keeping Gold",
        }
    ]
    assert ">Progress towards keeping Gold</p>" in card
    # and the warning under it says what the rest of the bar is: 600 points
    assert "Earn 600 points (30\u00a0SEK) more by" in card and "to stay Gold" in card
    # and the way to the next tier is still said, in words
    assert "1\u202f600 points (80\u00a0SEK) to Platinum" in card


def test_given_gold_safe_for_the_review_then_the_bar_is_the_way_to_the_next_tier(
    member_client, company, account, tiers, portal_site
):
    # given a company Gold by its own purchases this year: 1 500 points, Gold is safe
    earn(company, 1_500, at=timezone.now() - timedelta(hours=1))
    assert PointsAccount.objects.get(pk=account.pk).tier == tiers["gold"]

    card = tier_card(member_client.get(reverse("dashboard")).content.decode())

    # then the bar measures the way from Gold (1 000) to Platinum (2 000): half of it
    assert progress_bars(card) == [
        {"aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "50", "aria-label": "Progress to Platinum"}
    ]
    assert 'data-testid="points-tier-outlook"' not in card
