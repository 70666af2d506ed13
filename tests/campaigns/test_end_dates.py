"""End dates as members read them: the last day something still runs, not its exclusive end.

A campaign, challenge or activity that ends at local midnight on a day is over before that
day begins; every page shows the day before as its last day, in every language.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from campaigns.models import ActivityKind, last_day_before
from members.models import MembershipRole
from tests.factories import MembershipFactory

from .factories import ActivityFactory, CampaignFactory, CampaignRuleFactory, ChallengeFactory, run_campaign

pytestmark = pytest.mark.django_db

STOCKHOLM = timezone.get_default_timezone()


@pytest.mark.parametrize(
    ("end", "last_day"),
    [
        # Local midnight: over before 1 January begins, so 31 December is the last day.
        (datetime(2027, 1, 1, 0, 0, tzinfo=STOCKHOLM), date(2026, 12, 31)),
        # Mid-afternoon: the campaign still runs that morning.
        (datetime(2026, 3, 5, 15, 0, tzinfo=STOCKHOLM), date(2026, 3, 5)),
        # 23:59 UTC is already the next day in Stockholm.
        (datetime(2026, 12, 27, 23, 59, tzinfo=UTC), date(2026, 12, 28)),
        # Local midnight the night summer time starts.
        (datetime(2026, 3, 29, 0, 0, tzinfo=STOCKHOLM), date(2026, 3, 28)),
    ],
)
def test_the_last_day_is_the_local_date_of_the_last_moment_before_the_end(end, last_day):
    assert last_day_before(end) == last_day


@pytest.fixture
def ending_at_midnight(rules, tools, owner, treated_company, held_out_company, portal_site):
    """A running campaign, its activity and a challenge, all ending at local midnight after ``last_day``."""
    now = timezone.now()
    last_day = timezone.localdate(now) + timedelta(days=10)
    end = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))
    campaign = CampaignFactory(name="Year-end boost", owner=owner, starts_at=now - timedelta(days=1), ends_at=end)
    CampaignRuleFactory(campaign=campaign, multiplier=Decimal("2"), categories=[tools])
    run_campaign(campaign, treated=[treated_company], held_out=[held_out_company])
    review = ActivityFactory(
        kind=ActivityKind.REVIEW, title="Review the drill", subject="Drill", campaign=campaign, closes_at=end
    )
    ChallengeFactory(title="Three ranges", starts_at=now - timedelta(days=1), ends_at=end)
    return {"campaign": campaign, "review": review, "last_day": last_day}


@pytest.mark.parametrize("language", ["en", "sv", "nl"])
def test_given_ends_at_local_midnight_then_every_member_page_shows_the_day_before_as_the_last_day(
    client, ending_at_midnight, treated_company, language
):
    campaign, review, last_day = (
        ending_at_midnight["campaign"],
        ending_at_midnight["review"],
        ending_at_midnight["last_day"],
    )
    member = MembershipFactory(company=treated_company, role=MembershipRole.ADMIN).user
    member.language = language
    member.save(update_fields=["language"])
    client.force_login(member)

    dashboard = client.get(reverse("dashboard")).content.decode()
    activities = client.get(reverse("campaigns:activities")).content.decode()
    detail = client.get(reverse("campaigns:campaign", args=[campaign.pk])).content.decode()
    activity = client.get(reverse("campaigns:activity", args=[review.pk])).content.decode()

    with translation.override(language):

        def until(day: date, msgid: str, form: str) -> str:
            return gettext(msgid) % {"date": date_format(day, form)}

        for day, shown in [(last_day, True), (last_day + timedelta(days=1), False)]:
            assert (until(day, "Until %(date)s.", "j F") in dashboard) is shown  # the banner
            assert (until(day, "Until %(date)s.", "j F Y") in activities) is shown  # the campaign card
            assert (until(day, "until %(date)s", "MONTH_DAY_FORMAT") in activities) is shown  # activity, challenge
            assert (until(day, "Open until %(date)s.", "j F Y") in activity) is shown
            period = gettext("For purchases from %(start)s until %(end)s.") % {
                "start": date_format(timezone.localtime(campaign.starts_at), "j F"),
                "end": date_format(day, "j F Y"),
            }
            assert (period in detail) is shown
        assert activities.count(until(last_day, "until %(date)s", "MONTH_DAY_FORMAT")) == 2


def test_given_an_ended_campaign_then_its_page_says_it_ended_on_its_last_day(
    client, ending_at_midnight, treated_company
):
    campaign = ending_at_midnight["campaign"]
    last_day = timezone.localdate() - timedelta(days=5)
    campaign.starts_at = timezone.make_aware(datetime.combine(last_day - timedelta(days=30), time.min))
    campaign.ends_at = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))
    campaign.save(update_fields=["starts_at", "ends_at"])
    client.force_login(MembershipFactory(company=treated_company, role=MembershipRole.ADMIN).user)

    page = client.get(reverse("campaigns:campaign", args=[campaign.pk])).content.decode()

    assert f"The campaign ended on {date_format(last_day, 'j F Y')}." in page


def test_the_staff_campaign_list_shows_the_same_last_day(client, settings, ending_at_midnight):
    from tests.factories import StaffFactory

    settings.STAFF_MFA_REQUIRED = False
    client.force_login(StaffFactory(email="admin@club.example", group="Club admins"))
    last_day = ending_at_midnight["last_day"]

    page = client.get(reverse("admin:campaigns_campaign_changelist")).content.decode()

    assert f"– {date_format(last_day, 'SHORT_DATE_FORMAT')}" in page
    assert f"– {date_format(last_day + timedelta(days=1), 'SHORT_DATE_FORMAT')}" not in page


def test_the_overlap_refusal_names_the_other_campaigns_last_day(rules, owner, tools):
    from campaigns.services import campaign_overlaps
    from tests.factories import CompanyFactory
    from tests.rewards.factories import NOW

    CompanyFactory.create_batch(2)
    running = CampaignFactory(
        name="Tools week", owner=owner, starts_at=NOW, ends_at=datetime(2026, 7, 1, 0, 0, tzinfo=STOCKHOLM)
    )
    CampaignRuleFactory(campaign=running, categories=[tools])
    run_campaign(running, treated=CompanyFactory.create_batch(2))
    planned = CampaignFactory(owner=owner, starts_at=NOW + timedelta(days=5), ends_at=NOW + timedelta(days=30))
    CampaignRuleFactory(campaign=planned, categories=[tools])

    with translation.override("en"):
        [message] = campaign_overlaps(planned, now=NOW)

    assert "between 15 Jun 2026 and 30 Jun 2026" in message
