"""A campaign's audit trail: who created, changed, scheduled, unscheduled or cancelled it, and when."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import AudienceKind, Campaign, CampaignEvent, CampaignEventKind, CampaignStatus
from campaigns.services import (
    CampaignError,
    campaign_cancel,
    campaign_related_changed,
    campaign_schedule,
    campaign_unschedule,
    campaign_update,
    campaigns_advance,
)
from tests.factories import CompanyFactory, StaffFactory

from .factories import CampaignFactory, CampaignRuleFactory
from .test_admin import DEFAULT, _form

pytestmark = pytest.mark.django_db


@pytest.fixture
def club(rules):
    return CompanyFactory.create_batch(3)


@pytest.fixture
def staff_client(client, settings, owner):
    settings.STAFF_MFA_REQUIRED = False  # MFA for staff is tested in tests/members/test_staff_mfa.py
    admin = StaffFactory(email="planner@club.example", first_name="Petra", last_name="Plan", group="Club admins")
    client.force_login(admin)
    client.user = admin
    return client


def _trail(campaign) -> list[tuple[str, str | None, dict]]:
    return [
        (event.kind, event.actor.email if event.actor else None, event.changes)
        for event in CampaignEvent.objects.filter(campaign=campaign).select_related("actor")
    ]


def test_each_step_of_a_campaigns_life_is_recorded_with_who_and_what_changed(owner, club):
    now = timezone.now()
    campaign = CampaignFactory(
        owner=owner, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=8), points_budget=1000
    )
    CampaignRuleFactory(campaign=campaign)
    planner = StaffFactory(email="planner@club.example", group="Club admins")

    campaign_schedule(campaign=campaign, by=planner, now=now)
    campaign_unschedule(campaign=campaign, by=owner)
    campaign_update(campaign_id=campaign.pk, changes={"points_budget": 2500, "name": campaign.name}, by=planner)
    campaign_schedule(campaign=campaign, by=owner, now=now)
    campaigns_advance(now=now + timedelta(days=1, minutes=1))
    campaign_cancel(campaign=campaign, by=planner, now=now + timedelta(days=2))

    assert _trail(campaign) == [
        (CampaignEventKind.SCHEDULED, "planner@club.example", {}),
        (CampaignEventKind.UNSCHEDULED, owner.email, {}),
        # Only what changed: the unchanged name is not listed.
        (CampaignEventKind.CHANGED, "planner@club.example", {"points_budget": ["1000", "2500"]}),
        (CampaignEventKind.SCHEDULED, owner.email, {}),
        (CampaignEventKind.STARTED, None, {}),
        (CampaignEventKind.CANCELLED, "planner@club.example", {}),
    ]


def test_a_refused_change_leaves_no_trace(owner, club):
    now = timezone.now()
    campaign = CampaignFactory(owner=owner, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=8))

    with pytest.raises(CampaignError):
        campaign_update(campaign_id=campaign.pk, changes={"ends_at": now}, by=owner)
    with pytest.raises(CampaignError):
        campaign_unschedule(campaign=campaign, by=owner)

    assert not CampaignEvent.objects.exists()


def test_the_admin_records_who_created_and_changed_a_campaign_and_shows_the_history(staff_client, club, tools):
    added = staff_client.post(
        reverse("admin:campaigns_campaign_add"), _form(tools, owner=str(staff_client.user.pk), holdout_percent="0")
    )
    assert added.status_code == 302
    campaign = Campaign.objects.get()
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    rule = campaign.rules.get()
    data = _form(
        tools,
        owner=str(staff_client.user.pk),
        holdout_percent="0",
        **{f"name_{DEFAULT}": "Tools month"},
        audience_kind=AudienceKind.COMPANIES,
        companies=[str(club[0].pk), str(club[1].pk)],
        **{"rules-INITIAL_FORMS": "1", "rules-0-id": str(rule.pk), "rules-0-multiplier": "3"},
    )

    changed = staff_client.post(url, data)

    assert changed.status_code == 302
    (created, edited, related) = CampaignEvent.objects.filter(campaign=campaign)
    assert (created.kind, created.actor) == (CampaignEventKind.CREATED, staff_client.user)
    assert (edited.kind, edited.actor) == (CampaignEventKind.CHANGED, staff_client.user)
    assert edited.changes[f"name_{DEFAULT}"] == ["Tools fortnight", "Tools month"]
    assert edited.changes["audience_kind"] == ["all", "companies"]
    assert related.changes["companies"] == [[], sorted([club[0].name, club[1].name])]
    assert related.changes["rules"][0] != related.changes["rules"][1]
    page = staff_client.get(url).content.decode()
    assert 'data-testid="campaign-trail"' in page
    assert "Petra Plan" in page
    assert "Tools fortnight → Tools month" in page


def test_a_rep_reads_how_many_companies_were_chosen_not_the_names_of_other_reps_accounts(
    client, settings, owner, club, company, rep
):
    settings.STAFF_MFA_REQUIRED = False
    now = timezone.now()
    campaign = CampaignFactory(owner=owner, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=8))
    others = CompanyFactory.create_batch(2, name="Other reps customer")
    campaign_related_changed(campaign=campaign, changes={"companies": ([], [company, *others])}, by=owner)
    client.force_login(rep)

    page = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).content.decode()

    assert "Other reps customer" not in page
    assert "0 → 3" in page


def test_a_campaign_the_beat_ends_records_the_end_without_a_person(owner, club):
    now = timezone.now()
    campaign = CampaignFactory(owner=owner, starts_at=now - timedelta(days=3), ends_at=now + timedelta(days=1))
    CampaignRuleFactory(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SCHEDULED)

    campaigns_advance(now=now + timedelta(days=2))
    campaigns_advance(now=now + timedelta(days=3))  # a second run records nothing more

    assert [(kind, actor) for kind, actor, _changes in _trail(campaign)] == [
        (CampaignEventKind.STARTED, None),
        (CampaignEventKind.ENDED, None),
    ]
