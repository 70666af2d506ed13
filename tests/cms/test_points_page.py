"""“How points work” tells the truth about today's rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cms.models import HowPointsWorkPage
from tests.cms.conftest import add_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def how_page(home):
    return add_page(home, HowPointsWorkPage, title="How points work")


def test_the_page_follows_the_earn_rules_and_tiers(client, purchaser, how_page, tiers):
    from rewards.models import ProductCategory, ProgrammeRules

    rules = ProgrammeRules.current()
    rules.points_per_currency_unit = Decimal("1")
    rules.point_value = Decimal("0.05")
    rules.expiry_months = 24
    rules.save()
    ProductCategory.objects.create(name="Power tools", code="PT", multiplier=Decimal("2"))
    client.force_login(purchaser)

    body = client.get(how_page.url).content.decode()
    assert "1 point per SEK" in body
    assert "1 point = 0.05 SEK" in body
    assert "after 24 months" in body
    assert "Power tools" in body and "× 2" in body
    assert "Gold" in body

    # when the club changes the rules, then the page changes with them, no editing needed
    rules.points_per_currency_unit = Decimal("2")
    rules.point_value = Decimal("0.10")
    rules.expiry_months = 36
    rules.save()
    ProductCategory.objects.filter(code="PT").update(multiplier=Decimal("3"))

    body = client.get(how_page.url).content.decode()
    assert "2 points per SEK" in body
    assert "1 point = 0.1 SEK" in body
    assert "after 36 months" in body
    assert "× 3" in body


def test_the_member_sees_their_own_tier_highlighted(client, how_page, gold_member):
    client.force_login(gold_member)
    body = client.get(how_page.url).content.decode()
    assert "your tier" in body
