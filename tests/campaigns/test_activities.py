"""Activities: each awards its points once per company or per contact, through the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from campaigns.models import (
    ActivityCompletion,
    ActivityKind,
    ActivityScope,
    AwardKind,
    Campaign,
    CampaignAward,
    CompletionStatus,
)
from campaigns.services import (
    CampaignError,
    activity_complete,
    activity_confirm,
    activity_reject,
    event_attendance_confirm,
)
from members.models import MembershipRole
from notifications.models import Notification
from rewards.models import EntryKind, LedgerEntry, PointsAccount
from tests.factories import MembershipFactory, StaffFactory
from tests.rewards.factories import NOW
from tests.rewards.helpers import assert_ledger_consistent

from .factories import ActivityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleagues(treated_company):
    return [
        MembershipFactory(company=treated_company, role=MembershipRole.ADMIN).user,
        MembershipFactory(company=treated_company, role=MembershipRole.PURCHASER).user,
    ]


def balance(company) -> int:
    account = PointsAccount.objects.filter(company=company).first()
    return account.balance if account else 0


def awards(activity) -> list:
    return list(
        LedgerEntry.objects.filter(idempotency_key__startswith=f"award:activity:{activity.pk}:").values_list(
            "points", flat=True
        )
    )


# --- Once per company or per contact ----------------------------------------------------------------------


def test_given_a_company_activity_when_two_colleagues_and_a_retry_complete_it_then_it_awards_once(
    rules, treated_company, colleagues
):
    survey = ActivityFactory(kind=ActivityKind.SURVEY, points=200, scope=ActivityScope.COMPANY)

    first, created = activity_complete(activity_id=survey.pk, user=colleagues[0], score=9, text="Good service")
    again, created_again = activity_complete(activity_id=survey.pk, user=colleagues[0], score=3)
    colleague, created_by_colleague = activity_complete(activity_id=survey.pk, user=colleagues[1], score=10)

    assert (created, created_again, created_by_colleague) == (True, False, False)
    assert again == colleague == first
    assert (first.status, first.points, first.score, first.text) == (CompletionStatus.AWARDED, 200, 9, "Good service")
    assert awards(survey) == [200]
    assert balance(treated_company) == 200  # spendable at once: no return window for a survey
    entry = first.entry
    assert (entry.kind, entry.purchase_id, entry.memo) == (EntryKind.EARN, None, f"Survey (NPS): {survey.title}")
    assert entry.expires_at is not None
    assert_ledger_consistent()


def test_given_a_contact_activity_then_each_colleague_earns_it_once(rules, treated_company, colleagues):
    survey = ActivityFactory(kind=ActivityKind.SURVEY, points=150, scope=ActivityScope.CONTACT)

    for user in colleagues + colleagues:
        activity_complete(activity_id=survey.pk, user=user, score=8)

    assert awards(survey) == [150, 150]
    assert balance(treated_company) == 300
    assert ActivityCompletion.objects.filter(activity=survey).count() == 2


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"score": 11}, "score from 0 to 10"),
        ({"score": None}, "score from 0 to 10"),
        ({"score": -1}, "score from 0 to 10"),
    ],
)
def test_given_a_survey_answer_out_of_range_then_refused_and_nothing_written(rules, colleagues, answer, message):
    survey = ActivityFactory(kind=ActivityKind.SURVEY)

    with pytest.raises(CampaignError, match=message):
        activity_complete(activity_id=survey.pk, user=colleagues[0], **answer)

    assert not ActivityCompletion.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_given_a_review_then_it_needs_stars_and_a_real_text(rules, colleagues):
    review = ActivityFactory(kind=ActivityKind.REVIEW, subject="Cordless drill", points=300)

    with pytest.raises(CampaignError, match="1 to 5 stars"):
        activity_complete(activity_id=review.pk, user=colleagues[0], rating=6, text="x" * 40)
    with pytest.raises(CampaignError, match="at least 20 characters"):
        activity_complete(activity_id=review.pk, user=colleagues[0], rating=4, text="Good drill")
    completion, _created = activity_complete(
        activity_id=review.pk, user=colleagues[0], rating=4, text="Good drill, the battery lasts all day."
    )

    assert (completion.rating, completion.points) == (4, 300)


def test_given_an_incomplete_profile_then_the_points_wait_until_it_is_complete(rules, colleagues):
    profile = ActivityFactory(kind=ActivityKind.PROFILE, points=250, scope=ActivityScope.CONTACT)
    user = colleagues[0]
    user.phone = ""
    user.save(update_fields=["phone"])

    with pytest.raises(CampaignError, match="phone"):
        activity_complete(activity_id=profile.pk, user=user)
    user.phone = "+46 70 123 45 67"
    user.save(update_fields=["phone"])
    completion, created = activity_complete(activity_id=profile.pk, user=user)

    assert created and completion.points == 250


def test_given_a_closed_or_unpublished_activity_then_it_cannot_be_completed(rules, colleagues):
    closed = ActivityFactory(closes_at=timezone.now() - timedelta(minutes=1))
    hidden = ActivityFactory(is_published=False)

    for activity in (closed, hidden):
        with pytest.raises(CampaignError, match="not open to your company"):
            activity_complete(activity_id=activity.pk, user=colleagues[0], score=5)


def test_given_an_awarded_activity_then_the_contacts_notices_are_written_with_the_award(
    rules, colleagues, django_capture_on_commit_callbacks
):
    """In the award's transaction, not after its commit: a crash or a broker outage after the
    commit cannot lose them, and a rolled-back award has none."""
    survey = ActivityFactory(kind=ActivityKind.SURVEY, title="How are we doing?", points=200)

    with django_capture_on_commit_callbacks(execute=False):
        activity_complete(activity_id=survey.pk, user=colleagues[0], score=9)

    titles = {(notice.recipient_id, notice.title) for notice in Notification.objects.all()}
    # the points with what they are worth, in the company's currency
    assert titles == {(user.pk, "200 points (10\u00a0SEK) for “How are we doing?”") for user in colleagues}


def test_an_award_notice_stored_before_the_points_had_their_value_still_reads_as_written():
    from core.texts import text_render

    assert text_render("notice.activity_awarded", {"points": 1200, "activity": "Survey"}) == (
        "1\u202f200 points for “Survey”"
    )


def test_given_an_award_that_rolls_back_then_nobody_is_notified(rules, colleagues):
    survey = ActivityFactory(kind=ActivityKind.SURVEY, points=200)

    with pytest.raises(RuntimeError), transaction.atomic():
        activity_complete(activity_id=survey.pk, user=colleagues[0], score=9)
        raise RuntimeError("the request fails after the award")

    assert not Notification.objects.exists()
    assert not ActivityCompletion.objects.exists()


# --- Staff-confirmed activities ---------------------------------------------------------------------------


def test_given_a_custom_activity_then_points_come_only_when_staff_confirm_it_once(rules, treated_company, colleagues):
    custom = ActivityFactory(kind=ActivityKind.CUSTOM, points=1000)
    staff = StaffFactory()

    with pytest.raises(CampaignError, match="what you did"):
        activity_complete(activity_id=custom.pk, user=colleagues[0], text="  ")
    claim, _created = activity_complete(activity_id=custom.pk, user=colleagues[0], text="We hung the poster.")
    assert (claim.status, balance(treated_company)) == (CompletionStatus.SUBMITTED, 0)

    activity_confirm(completion_id=claim.pk, by=staff)
    activity_confirm(completion_id=claim.pk, by=staff)

    claim.refresh_from_db()
    assert (claim.status, claim.decided_by, balance(treated_company)) == (CompletionStatus.AWARDED, staff, 1000)
    assert awards(custom) == [1000]


def test_given_a_turned_down_claim_then_the_member_may_claim_again(rules, colleagues):
    custom = ActivityFactory(kind=ActivityKind.CUSTOM)
    claim, _created = activity_complete(activity_id=custom.pk, user=colleagues[0], text="Did it")

    activity_reject(completion_id=claim.pk, by=StaffFactory())
    second, created = activity_complete(activity_id=custom.pk, user=colleagues[0], text="Did it, with a photo")

    assert created and second.pk != claim.pk
    with pytest.raises(CampaignError):
        activity_confirm(completion_id=claim.pk, by=StaffFactory())
    with pytest.raises(CampaignError, match="Only staff"):
        activity_confirm(completion_id=second.pk, by=colleagues[0])


def test_given_an_event_then_staff_confirm_attendees_from_its_sign_ups_and_each_earns_once(
    rules, home, treated_company, colleagues
):
    from cms.models import EventIndexPage, EventPage
    from cms.services import event_sign_up
    from tests.cms.conftest import add_page

    index = add_page(home, EventIndexPage, title="Events")
    event = add_page(
        index, EventPage, title="Trade evening", starts_at=timezone.now() + timedelta(days=2), location="Göteborg"
    )
    for user in colleagues:
        event_sign_up(event_id=event.pk, user=user)
    stranger = MembershipFactory().user
    attendance = ActivityFactory(kind=ActivityKind.EVENT, event=event, points=500, scope=ActivityScope.CONTACT)
    staff = StaffFactory()

    with pytest.raises(CampaignError, match="once the event has started"):
        event_attendance_confirm(activity_id=attendance.pk, user_ids=[colleagues[0].pk], by=staff)
    EventPage.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(hours=1))

    awarded, problems = event_attendance_confirm(
        activity_id=attendance.pk, user_ids=[colleagues[0].pk, stranger.pk], by=staff
    )
    again, again_problems = event_attendance_confirm(activity_id=attendance.pk, user_ids=[colleagues[0].pk], by=staff)

    assert (awarded, again) == (1, 0)
    assert len(problems) == 1 and "no confirmed place" in problems[0]
    assert "already confirmed" in again_problems[0]
    assert awards(attendance) == [500]


# --- Activities of a campaign ---------------------------------------------------------------------------


def test_given_a_campaign_activity_then_only_the_treated_do_it_and_it_counts_against_the_budget(
    double_tools, treated_company, held_out_company, colleagues
):
    review = ActivityFactory(kind=ActivityKind.REVIEW, subject="Drill", campaign=double_tools, points=400)
    held_out_user = MembershipFactory(company=held_out_company).user

    with pytest.raises(CampaignError, match="not open to your company"):
        activity_complete(
            activity_id=review.pk, user=held_out_user, rating=5, text="I should not see this at all.", now=NOW
        )
    activity_complete(
        activity_id=review.pk, user=colleagues[0], rating=5, text="Great drill, strong and light.", now=NOW
    )

    award = CampaignAward.objects.get()
    assert (award.kind, award.points, award.company) == (AwardKind.ACTIVITY, 400, treated_company)
    assert Campaign.objects.get(pk=double_tools.pk).points_awarded == 400
    assert not LedgerEntry.objects.filter(account__company=held_out_company).exists()


def test_given_a_campaign_budget_that_cannot_cover_an_activity_then_it_is_closed(double_tools, colleagues):
    review = ActivityFactory(kind=ActivityKind.REVIEW, subject="Drill", campaign=double_tools, points=400)
    Campaign.objects.filter(pk=double_tools.pk).update(points_budget=1000, points_awarded=700)

    with pytest.raises(CampaignError, match="not open"):
        activity_complete(
            activity_id=review.pk, user=colleagues[0], rating=5, text="Great drill, strong and light.", now=NOW
        )

    assert not LedgerEntry.objects.exists()
    assert Campaign.objects.get(pk=double_tools.pk).points_awarded == 700
