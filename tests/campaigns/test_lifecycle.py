"""Campaign status: scheduling refuses bad plans, the beat task starts and ends campaigns, edits stay safe."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from campaigns.models import AudienceKind, Campaign, CampaignMember, CampaignStatus, RuleKind
from campaigns.services import (
    CampaignError,
    campaign_cancel,
    campaign_schedule,
    campaign_unschedule,
    campaign_update,
    campaigns_advance,
)
from campaigns.tasks import advance_campaigns
from members.models import CompanyStatus, Country
from tests.factories import CompanyFactory
from tests.rewards.factories import NOW, ProductCategoryFactory

from .factories import ActivityFactory, CampaignFactory, CampaignRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def club(db):
    return CompanyFactory.create_batch(5)


def _planned(owner, *, start=NOW + timedelta(days=1), days=10, **fields) -> Campaign:
    campaign = CampaignFactory(owner=owner, starts_at=start, ends_at=start + timedelta(days=days), **fields)
    CampaignRuleFactory(campaign=campaign)
    return campaign


def _status(campaign) -> str:
    return Campaign.objects.values_list("status", flat=True).get(pk=campaign.pk)


# --- Scheduling ------------------------------------------------------------------------------------------


def test_given_a_sound_draft_when_scheduled_then_it_waits_for_its_start_with_the_audience_counted(owner, club):
    campaign = _planned(owner, holdout_percent=20)

    campaign_schedule(campaign=campaign, by=owner, now=NOW)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaign.audience_size == 5
    assert not CampaignMember.objects.exists()  # frozen only when it starts


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_at": NOW - timedelta(days=1), "starts_at": NOW - timedelta(days=2)}, "end is in the past"),
        ({"audience_kind": AudienceKind.COUNTRIES, "countries": ["NL"]}, "audience is empty"),
    ],
)
def test_given_a_bad_plan_when_scheduled_then_refused_with_the_reason_and_nothing_changes(owner, club, change, message):
    campaign = _planned(owner)
    Campaign.objects.filter(pk=campaign.pk).update(**change)
    campaign.refresh_from_db()

    with pytest.raises(CampaignError, match=message):
        campaign_schedule(campaign=campaign, by=owner, now=NOW)

    assert _status(campaign) == CampaignStatus.DRAFT


def test_given_a_campaign_without_rules_or_activities_when_scheduled_then_refused(owner, club):
    campaign = CampaignFactory(owner=owner, starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=5))

    with pytest.raises(CampaignError, match="at least one rule, activity or challenge"):
        campaign_schedule(campaign=campaign, by=owner, now=NOW)

    ActivityFactory(campaign=campaign)
    campaign_schedule(campaign=campaign, by=owner, now=NOW)
    assert _status(campaign) == CampaignStatus.SCHEDULED


def test_given_rules_that_would_reward_a_purchase_twice_when_scheduled_then_refused(owner, club):
    tools = ProductCategoryFactory()
    campaign = _planned(owner)  # ×2 on every purchase
    CampaignRuleFactory(campaign=campaign, multiplier=Decimal("3"), categories=[tools])

    with pytest.raises(CampaignError, match="multiplied twice"):
        campaign_schedule(campaign=campaign, by=owner, now=NOW)


def test_given_another_campaign_rewarding_the_same_purchases_when_scheduled_then_refused_naming_it(owner, club):
    tools, wear = ProductCategoryFactory(), ProductCategoryFactory()
    running = CampaignFactory(name="Tools week", owner=owner, starts_at=NOW, ends_at=NOW + timedelta(days=20))
    CampaignRuleFactory(campaign=running, categories=[tools])
    campaign_schedule(campaign=running, by=owner, now=NOW - timedelta(days=1))
    overlapping = CampaignFactory(owner=owner, starts_at=NOW + timedelta(days=10), ends_at=NOW + timedelta(days=30))
    CampaignRuleFactory(campaign=overlapping, multiplier=Decimal("1.5"), categories=[tools])
    separate = CampaignFactory(owner=owner, starts_at=NOW + timedelta(days=10), ends_at=NOW + timedelta(days=30))
    CampaignRuleFactory(campaign=separate, categories=[wear])

    with pytest.raises(CampaignError, match="“Tools week” already gives a points multiplier on purchases to 5"):
        campaign_schedule(campaign=overlapping, by=owner, now=NOW)
    campaign_schedule(campaign=separate, by=owner, now=NOW)  # other categories: fine

    assert _status(overlapping) == CampaignStatus.DRAFT
    assert _status(separate) == CampaignStatus.SCHEDULED


def test_given_a_scheduled_campaign_then_it_can_go_back_to_draft_or_be_cancelled_but_not_twice(owner, club):
    campaign = _planned(owner)
    campaign_schedule(campaign=campaign, by=owner, now=NOW)

    campaign_unschedule(campaign=campaign, by=owner)
    assert _status(campaign) == CampaignStatus.DRAFT
    campaign_cancel(campaign=campaign, by=owner, now=NOW)
    assert _status(campaign) == CampaignStatus.CANCELLED
    with pytest.raises(CampaignError):
        campaign_cancel(campaign=campaign, by=owner, now=NOW)
    with pytest.raises(CampaignError):
        campaign_schedule(campaign=campaign, by=owner, now=NOW)


# --- The beat task ---------------------------------------------------------------------------------------


def test_given_campaigns_in_every_state_when_the_task_runs_then_it_starts_and_ends_exactly_the_due_ones(owner, club):
    draft = _planned(owner, start=NOW - timedelta(days=1))
    due = _planned(owner, start=NOW - timedelta(minutes=1), holdout_percent=40)
    later = _planned(owner, start=NOW + timedelta(minutes=1))
    missed = _planned(owner, start=NOW - timedelta(days=20), days=5)  # its whole period passed
    for campaign in (due, later, missed):
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SCHEDULED)
    ending = _planned(owner, start=NOW - timedelta(days=10), days=10)
    Campaign.objects.filter(pk=ending.pk).update(status=CampaignStatus.ACTIVE)
    cancelled = _planned(owner, start=NOW - timedelta(days=1), status=CampaignStatus.CANCELLED)

    assert campaigns_advance(now=NOW) == (2, 2)
    assert campaigns_advance(now=NOW) == (0, 0)  # a second run changes nothing

    assert _status(draft) == CampaignStatus.DRAFT
    assert _status(due) == CampaignStatus.ACTIVE
    assert _status(later) == CampaignStatus.SCHEDULED
    assert _status(missed) == CampaignStatus.ENDED
    assert _status(ending) == CampaignStatus.ENDED
    assert _status(cancelled) == CampaignStatus.CANCELLED
    assert CampaignMember.objects.filter(campaign=due).count() == 5
    assert Campaign.objects.get(pk=due.pk).started_at == NOW

    assert campaigns_advance(now=NOW + timedelta(minutes=1)) == (1, 0)
    assert _status(later) == CampaignStatus.ACTIVE


def test_the_beat_runs_the_task_every_minute_and_the_task_uses_the_clock(owner, club):
    entry = settings.CELERY_BEAT_SCHEDULE["campaigns-advance"]
    assert entry["task"] == "campaigns.tasks.advance_campaigns"
    assert entry["schedule"] == 60.0
    campaign = _planned(owner, start=timezone.now() - timedelta(seconds=5))
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SCHEDULED)

    assert advance_campaigns.delay().get() == [1, 0]

    assert _status(campaign) == CampaignStatus.ACTIVE


def test_given_a_suspended_company_then_it_is_left_out_of_the_audience(owner, club):
    club[0].status = CompanyStatus.SUSPENDED
    club[0].save(update_fields=["status"])
    campaign = _planned(owner, start=NOW - timedelta(minutes=1), audience_kind=AudienceKind.COUNTRIES)
    Campaign.objects.filter(pk=campaign.pk).update(countries=[Country.SWEDEN], status=CampaignStatus.SCHEDULED)

    campaigns_advance(now=NOW)

    assert set(CampaignMember.objects.values_list("company_id", flat=True)) == {c.pk for c in club[1:]}


# --- Edits once scheduled or running -------------------------------------------------------------------------


def test_given_a_running_campaign_then_only_its_live_fields_change_and_the_counter_is_never_overwritten(owner, club):
    campaign = _planned(owner, start=NOW - timedelta(days=1))
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.ACTIVE)
    stale = Campaign.objects.get(pk=campaign.pk)  # what the admin form loaded
    Campaign.objects.filter(pk=campaign.pk).update(points_awarded=700)  # an award meanwhile

    campaign_update(campaign_id=stale.pk, changes={"points_budget": 5000, "name": "Renamed"}, by=owner, now=NOW)

    fresh = Campaign.objects.get(pk=campaign.pk)
    assert (fresh.points_budget, fresh.name, fresh.points_awarded) == (5000, "Renamed", 700)
    with pytest.raises(CampaignError, match="can no longer be changed"):
        campaign_update(campaign_id=stale.pk, changes={"holdout_percent": 0}, by=owner, now=NOW)
    with pytest.raises(CampaignError, match="700 points have already been given"):
        campaign_update(campaign_id=stale.pk, changes={"points_budget": 600}, by=owner, now=NOW)
    assert RuleKind.MULTIPLIER in Campaign.objects.get(pk=campaign.pk).rules.values_list("kind", flat=True)


# --- Saved segments ------------------------------------------------------------------------------------


def test_a_segment_selects_companies_by_buying_behaviour_at_the_start(owner, rules):
    from campaigns.models import Segment
    from campaigns.selectors import segment_companies
    from tests.rewards.factories import CreditNoteFactory, PurchaseFactory

    quiet, recent, big, returned = CompanyFactory.create_batch(4)
    PurchaseFactory(company=quiet, occurred_at=NOW - timedelta(days=120), net_amount=Decimal("90000"))
    PurchaseFactory(company=recent, occurred_at=NOW - timedelta(days=10), net_amount=Decimal("1000"))
    PurchaseFactory(company=big, occurred_at=NOW - timedelta(days=200), net_amount=Decimal("60000"))
    bought = PurchaseFactory(company=returned, occurred_at=NOW - timedelta(days=100), net_amount=Decimal("60000"))
    CreditNoteFactory(original=bought, net_amount=Decimal("-20000"), occurred_at=NOW - timedelta(days=95))
    win_back = Segment.objects.create(name="Quiet", no_purchase_days=90)
    big_buyers = Segment.objects.create(name="Big", min_spend=Decimal("50000"), spend_days=365)
    quiet_big = Segment.objects.create(name="Quiet and big", no_purchase_days=90, min_spend=Decimal("50000"))

    def names(segment):
        return {company.pk for company in segment_companies(segment, now=NOW)}

    assert names(win_back) == {quiet.pk, big.pk, returned.pk}  # a credit note is not a purchase
    assert names(big_buyers) == {quiet.pk, big.pk}  # 60 000 − 20 000 returned is 40 000
    assert names(quiet_big) == {quiet.pk, big.pk}

    campaign = _planned(owner, start=NOW - timedelta(minutes=1), audience_kind=AudienceKind.SEGMENT)
    Campaign.objects.filter(pk=campaign.pk).update(segment=win_back, status=CampaignStatus.SCHEDULED)
    campaigns_advance(now=NOW)
    PurchaseFactory(company=quiet, occurred_at=NOW + timedelta(minutes=5))  # its first purchase in months

    members = set(CampaignMember.objects.filter(campaign=campaign).values_list("company_id", flat=True))
    assert members == {quiet.pk, big.pk, returned.pk}  # frozen: buying does not drop it


def test_given_a_campaign_that_starts_then_the_treated_contacts_are_told_once_and_the_holdout_never(
    owner, django_capture_on_commit_callbacks, mailoutbox
):
    from members.models import MembershipRole
    from notifications.models import Notification
    from tests.factories import MembershipFactory

    companies = CompanyFactory.create_batch(10)
    contacts = {
        company.pk: MembershipFactory(company=company, role=MembershipRole.PURCHASER).user for company in companies
    }
    now = timezone.now()  # the task reads the clock
    campaign = _planned(owner, start=now - timedelta(minutes=1), holdout_percent=30, name="Spring drive")
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SCHEDULED)

    with django_capture_on_commit_callbacks(execute=True):
        campaigns_advance(now=now)
    with django_capture_on_commit_callbacks(execute=True):
        from campaigns.services import campaign_announce

        campaign_announce(campaign_id=campaign.pk)  # a second delivery of the task

    treated = set(CampaignMember.objects.filter(campaign=campaign, in_holdout=False).values_list("company", flat=True))
    held_out = set(CampaignMember.objects.filter(campaign=campaign, in_holdout=True).values_list("company", flat=True))
    assert treated and held_out
    told = Notification.objects.filter(key=f"campaign:{campaign.pk}:started")
    assert sorted(told.values_list("recipient", flat=True)) == sorted(contacts[pk].pk for pk in treated)
    notice = told.first()
    assert notice.title == "A campaign for your company has started: Spring drive"
    assert notice.url == f"/activities/campaigns/{campaign.pk}/"
    assert sorted(address for message in mailoutbox for address in message.to) == sorted(
        contacts[pk].email for pk in treated
    )
    assert not {contacts[pk].email for pk in held_out} & {a for m in mailoutbox for a in m.to}


def test_given_a_campaign_missed_entirely_when_the_task_catches_up_then_nobody_is_told(
    owner, django_capture_on_commit_callbacks
):
    from members.models import MembershipRole
    from notifications.models import Notification
    from tests.factories import MembershipFactory

    MembershipFactory(role=MembershipRole.PURCHASER)
    missed = _planned(owner, start=NOW - timedelta(days=20), days=5)
    Campaign.objects.filter(pk=missed.pk).update(status=CampaignStatus.SCHEDULED)

    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns_advance(now=NOW) == (1, 1)

    assert not Notification.objects.filter(key=f"campaign:{missed.pk}:started").exists()
