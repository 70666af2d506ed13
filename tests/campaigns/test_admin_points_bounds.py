"""A figure of points with too many digits in the campaign admin is refused in words: "At most
1 000 000 000 points", not Django's "less than or equal to 9223372036854775807" (SQLite's
integer range; 2147483647 on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import translation

from campaigns.models import Campaign, CampaignRule
from core.formatting import format_number
from tests.factories import CompanyFactory, StaffFactory

from .test_admin import _form

pytestmark = pytest.mark.django_db

DEFAULT = django_settings.MODELTRANSLATION_DEFAULT_LANGUAGE
HUGE = "9" * 25


@pytest.fixture
def staff(rules):
    CompanyFactory()  # an audience
    return StaffFactory(group="Club admins")


@pytest.fixture
def staff_client(client, settings, staff):
    settings.STAFF_MFA_REQUIRED = False
    client.force_login(staff)
    return client


def bound(language: str) -> str:
    with translation.override(language):
        return f"At most {format_number(1_000_000_000)} points: a larger figure is almost certainly a typo."


def _plan(**overrides) -> dict:
    """The campaign admin's form (``test_admin._form``) with a first-purchase bonus rule."""
    return _form(
        **{"rules-0-kind": "first_purchase", "rules-0-multiplier": "", "rules-0-bonus_points": "500", **overrides}
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"points_budget": HUGE},
        {"points_budget": "1000000001"},
        {"points_budget": "9223372036854775808"},
        {"rules-0-bonus_points": HUGE},
    ],
    ids=["25 digits", "one over", "2^63", "a rule's bonus"],
)
def test_a_huge_figure_of_points_is_refused_in_words(staff_client, overrides):
    # When a campaign is planned with a budget (or a bonus) with too many digits
    response = staff_client.post(reverse("admin:campaigns_campaign_add"), _plan(**overrides))

    # then the form says the bound in words, and nothing is saved
    page = response.content.decode()
    assert response.status_code == 200
    assert bound("en") in page  # 1 000 000 000, grouped as English is written here
    assert "9223372036854775807" not in page and "2147483647" not in page
    assert not Campaign.objects.exists() and not CampaignRule.objects.exists()


def test_a_budget_of_a_billion_points_is_allowed(staff_client, staff):
    plan = _plan(points_budget="1000000000", owner=str(staff.pk))

    response = staff_client.post(reverse("admin:campaigns_campaign_add"), plan)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Campaign.objects.get().points_budget == 1_000_000_000


def test_a_swedish_admin_reads_the_bound_with_swedish_digit_groups(staff_client, staff):
    staff.language = "sv"
    staff.save(update_fields=["language"])

    response = staff_client.post(reverse("admin:campaigns_campaign_add"), _plan(points_budget=HUGE))

    # (the words are translated with the other messages; the figure is grouped for Sweden)
    assert "1\xa0000\xa0000\xa0000" in response.content.decode()
