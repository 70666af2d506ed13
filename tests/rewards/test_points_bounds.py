"""Every figure of points staff type in the admin is at most 1 000 000 000, refused in words
above it: a typo with too many digits got Django's "Ensure this value is less than or equal
to 9223372036854775807." (SQLite's integer range; 2147483647 on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Activity, Campaign, CampaignRule, Challenge
from core.formatting import format_number
from reps.models import GoodwillBudget
from rewards.bounds import POINTS_MAX
from rewards.models import Reward, Tier
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

DEFAULT = django_settings.MODELTRANSLATION_DEFAULT_LANGUAGE
MESSAGE = "At most {} points: a larger figure is almost certainly a typo."

POINTS_FIELDS = [
    (Campaign, "points_budget"),
    (CampaignRule, "bonus_points"),
    (Activity, "points"),
    (Challenge, "points"),
    (Reward, "points_cost"),
    (Tier, "qualifying_points"),
    (GoodwillBudget, "points"),
]


@pytest.fixture(autouse=True)
def _no_mfa(settings):
    settings.STAFF_MFA_REQUIRED = False


@pytest.mark.parametrize(("model", "name"), POINTS_FIELDS, ids=[f"{m.__name__}.{n}" for m, n in POINTS_FIELDS])
def test_each_figure_of_points_takes_a_billion_and_refuses_more_in_words(model, name):
    field = model._meta.get_field(name)

    field.run_validators(POINTS_MAX)  # a billion: allowed
    for value in (POINTS_MAX + 1, 2**31, 2**63, 10**30):
        with pytest.raises(ValidationError) as refused:
            field.run_validators(value)
        assert refused.value.messages == [MESSAGE.format(format_number(POINTS_MAX))]


def test_the_tier_admin_refuses_a_huge_threshold_in_words(client, rules):
    client.force_login(StaffFactory(group="Club admins"))

    response = client.post(
        reverse("admin:rewards_tier_add"),
        {
            f"name_{DEFAULT}": "Platinum",
            "qualifying_points": "9" * 25,
            "earn_multiplier": "1.5",
            "colour": "#888888",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert MESSAGE.format(format_number(POINTS_MAX)) in page
    assert "9223372036854775807" not in page and "2147483647" not in page
    assert not Tier.objects.filter(name="Platinum").exists()


def test_the_goodwill_budget_admin_refuses_a_huge_budget_in_words(client, club_admin, rep):
    client.force_login(club_admin)

    response = client.post(
        reverse("admin:reps_goodwillbudget_add"),
        {"rep": rep.pk, "month": timezone.localdate().replace(day=1).isoformat(), "points": "9223372036854775808"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert MESSAGE.format(format_number(POINTS_MAX)) in page
    assert "9223372036854775807" not in page
    assert not GoodwillBudget.objects.exists()
