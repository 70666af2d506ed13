"""The overview's liability table writes every month's value with two decimals: a whole
amount read "588.442 SEK" in Dutch beside "0,05 SEK", which reads as 588 SEK and change."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from rewards.ledger.services import points_account_for_company, points_adjust
from rewards.models import ProgrammeRules
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


def _liability_values(html: str) -> list[str]:
    table = re.search(r'data-testid="liability-chart-table">(.*?)</table>', html, re.S)
    assert table, "no liability table"
    rows = re.findall(r"<tr><th scope=\"row\">.*?</th><td>(.*?)</td><td>(.*?)</td></tr>", table.group(1), re.S)
    return [value for _points, value in rows]


def test_every_month_of_the_liability_table_has_cents_in_dutch(client, club_admin, company):
    # Given 0.05 SEK a point, one point three months ago and 11 768 839 more today
    rules = ProgrammeRules.current()
    rules.point_value, rules.currency = Decimal("0.05"), "SEK"
    rules.save()
    account = points_account_for_company(company=company)
    staff = StaffFactory()
    points_adjust(
        account=account, points=1, reason="Welcome", by=staff, key="one", now=timezone.now() - timedelta(days=90)
    )
    points_adjust(account=account, points=11_768_839, reason="Migration", by=staff, key="many")
    club_admin.language = "nl"
    club_admin.save(update_fields=["language"])
    client.force_login(club_admin)

    # when a Dutch club admin opens the overview
    values = _liability_values(client.get(reverse("insights:overview")).content.decode())

    # then this month's 588 442 SEK has its cents like every other month's value
    assert values[-1] == "588.442,00\xa0SEK"
    assert "0,05\xa0SEK" in values and "0,00\xa0SEK" in values
    assert all(re.fullmatch(r"[\d.]+,\d{2}\xa0SEK", value) for value in values), values
