"""Notices to members: one reminder before points expire, and a tier downgrade announced ahead.

Both jobs record each notice (UNIQUE per account and day / evaluation) before queueing its
e-mail after commit, so running them twice, or at once, sends each notice once.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connection
from django.urls import reverse

from clubportal.celery import app
from members.models import MembershipRole
from notifications.models import Notification, NotificationKind
from notifications.services import notification_preferences_set
from rewards.ledger.selectors import next_tier_evaluation, points_expiring_by_account, tier_outlook
from rewards.ledger.services import (
    expiry_reminders_schedule,
    points_account_for_company,
    tier_downgrade_notices_schedule,
)
from rewards.models import ExpiryReminder, PointsAccount, TierDowngradeNotice
from tests.factories import CompanyFactory, MembershipFactory

from .factories import TierFactory
from .helpers import earn, redeem

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)  # 12:00 in Stockholm
DAY = timedelta(days=1)


def bought_expiring_in(company, amount: int, days: int) -> None:
    """A purchase long ago whose (released) points expire ``days`` days after NOW."""
    earn(company, amount, at=NOW + timedelta(days=days) - relativedelta(months=24), release=True)


def contact(company, *, role=MembershipRole.PURCHASER, **user_fields):
    return MembershipFactory(company=company, role=role, **{f"user__{k}": v for k, v in user_fields.items()}).user


def run_reminders(capture, now):
    with capture(execute=True):
        return expiry_reminders_schedule(now=now)


# --- Expiry reminders -------------------------------------------------------------------------


def test_given_points_expiring_in_30_days_when_job_runs_twice_then_each_contact_gets_one_reminder(
    account, mailoutbox, django_capture_on_commit_callbacks
):
    buyer = contact(account.company, email="buyer@example.com")
    swede = contact(account.company, email="inkop@example.com", language="sv")
    bought_expiring_in(account.company, 1000, days=30)

    assert run_reminders(django_capture_on_commit_callbacks, NOW) == 1
    assert run_reminders(django_capture_on_commit_callbacks, NOW) == 0
    assert run_reminders(django_capture_on_commit_callbacks, NOW + DAY) == 0

    assert sorted(message.to[0] for message in mailoutbox) == sorted([buyer.email, swede.email])
    english = next(message for message in mailoutbox if message.to == [buyer.email])
    # The reminder is a notification now (kind "expiry"): the e-mail's subject is its title,
    # figures grouped and with their value as everywhere in the portal.
    assert english.subject == "1 000 points (50 SEK) expire on 15 July 2026"
    assert "Points of" in english.body and "15 July 2026" in english.body
    dashboard_url = settings.SITE_URL + reverse("dashboard")
    assert dashboard_url in english.body
    html, mimetype = english.alternatives[0]
    assert mimetype == "text/html" and dashboard_url in html
    swedish = next(message for message in mailoutbox if message.to == [swede.email])
    assert 'lang="sv"' in swedish.alternatives[0][0]
    assert swedish.subject == "1 000 poäng (50 SEK) förfaller den 15 juli 2026"
    # ... and both contacts see it in the portal too, each in their own language.
    notices = Notification.objects.filter(kind=NotificationKind.EXPIRY).order_by("recipient__email")
    assert [notice.recipient for notice in notices] == [buyer, swede]
    assert notices[0].url == reverse("dashboard")
    reminder = ExpiryReminder.objects.get()
    assert (reminder.expires_on, reminder.points) == ((NOW + timedelta(days=30)).date(), 1000)
    assert reminder.sent_at is not None


def test_given_points_expiring_in_31_days_when_job_runs_then_reminder_waits_a_day(
    account, mailoutbox, django_capture_on_commit_callbacks
):
    contact(account.company)
    bought_expiring_in(account.company, 400, days=31)

    assert run_reminders(django_capture_on_commit_callbacks, NOW) == 0
    assert mailoutbox == []
    assert run_reminders(django_capture_on_commit_callbacks, NOW + DAY) == 1
    assert len(mailoutbox) == 1


def test_given_the_reminder_day_was_missed_when_job_runs_29_days_before_then_reminder_is_still_sent(
    account, mailoutbox, django_capture_on_commit_callbacks
):
    contact(account.company)
    bought_expiring_in(account.company, 400, days=29)

    assert run_reminders(django_capture_on_commit_callbacks, NOW) == 1
    assert len(mailoutbox) == 1


def test_given_two_expiry_days_and_spending_when_job_runs_then_one_email_lists_what_is_left_fifo(
    account, mailoutbox, django_capture_on_commit_callbacks
):
    contact(account.company)
    bought_expiring_in(account.company, 1000, days=10)
    bought_expiring_in(account.company, 500, days=20)
    bought_expiring_in(account.company, 800, days=45)  # outside the window
    redeem(account, 300, key="gift", at=NOW - DAY)

    assert run_reminders(django_capture_on_commit_callbacks, NOW) == 1

    assert sorted(ExpiryReminder.objects.values_list("points", flat=True)) == [500, 700]
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject.startswith("1 200 points (60 SEK) expire by ")
    body = Notification.objects.get().body
    assert "– 700 points (35\u00a0SEK) on 25 June 2026\n– 500 points (25\u00a0SEK) on 5 July 2026" in body


def test_given_contacts_who_opted_out_or_left_when_job_runs_then_they_get_no_email(
    account, mailoutbox, django_capture_on_commit_callbacks
):
    keen = contact(account.company, email="keen@example.com")
    quiet = contact(account.company, email="quiet@example.com", email_notifications=False)
    no_expiry_mail = contact(account.company, email="no-expiry@example.com")
    notification_preferences_set(user=no_expiry_mail, email_by_kind={NotificationKind.EXPIRY: False})
    contact(account.company, email="gone@example.com", is_active=False)
    contact(CompanyFactory(), email="elsewhere@example.com")
    bought_expiring_in(account.company, 1000, days=30)

    run_reminders(django_capture_on_commit_callbacks, NOW)

    assert [message.to for message in mailoutbox] == [[keen.email]]
    # In the portal everyone still active at the company sees it.
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {keen.pk, quiet.pk, no_expiry_mail.pk}


def test_given_no_points_left_when_job_runs_then_nobody_is_reminded(
    account, mailoutbox, django_capture_on_commit_callbacks
):
    contact(account.company)
    bought_expiring_in(account.company, 1000, days=30)
    redeem(account, 1000, key="all", at=NOW - DAY)

    assert run_reminders(django_capture_on_commit_callbacks, NOW) == 0
    assert mailoutbox == []


def test_expiring_by_account_costs_two_queries_however_many_accounts(rules, django_assert_num_queries):
    for _ in range(20):
        bought_expiring_in(CompanyFactory(), 100, days=15)

    with django_assert_num_queries(2):
        expiring = points_expiring_by_account(now=NOW, until=NOW + timedelta(days=31))

    assert len(expiring) == 20
    assert all(items[0].points == 100 for items in expiring.values())


def test_beat_runs_the_notice_jobs_daily():
    app.loader.import_default_modules()
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"rewards.tasks.send_expiry_reminders", "rewards.tasks.send_tier_downgrade_notices"} <= tasks
    assert {"rewards.tasks.send_expiry_reminder", "rewards.tasks.send_tier_downgrade_notice"} <= set(app.tasks)
    assert settings.POINTS_TIER_DOWNGRADE_NOTICE_DAYS == 30


def test_given_points_expiring_when_the_celery_task_runs_twice_then_one_reminder(
    account, mailoutbox, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from rewards.ledger.tasks import send_expiry_reminders

    contact(account.company)
    earn(account.company, 300, at=timezone.now() + timedelta(days=20) - relativedelta(months=24), release=True)

    with django_capture_on_commit_callbacks(execute=True):
        assert send_expiry_reminders.delay().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert send_expiry_reminders.delay().get() == 0
    assert len(mailoutbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_given_two_concurrent_runs_then_one_reminder_is_recorded_and_sent(require_postgres, mailoutbox):
    company = CompanyFactory()
    contact(company)
    points_account_for_company(company=company)
    bought_expiring_in(company, 1000, days=30)
    barrier = threading.Barrier(4)
    results: list[int] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(expiry_reminders_schedule(now=NOW))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [0, 0, 0, 1]
    assert ExpiryReminder.objects.count() == 1
    assert len(mailoutbox) == 1


# --- Tier downgrades announced ahead ----------------------------------------------------------

EVALUATION = datetime(2027, 1, 1, 1, 30, tzinfo=UTC)  # 1 January, 02:30 in Stockholm (the defaults)


@pytest.fixture
def gold_company_slipping(account):
    """Gold (1000) now thanks to a purchase that leaves the 12-month window before the evaluation."""
    silver = TierFactory(name="Silver", qualifying_points=300)
    gold = TierFactory(name="Gold", qualifying_points=1000)
    earn(account.company, 800, at=datetime(2025, 12, 20, 12, 0, tzinfo=UTC))
    earn(account.company, 400, at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    account = PointsAccount.objects.get(pk=account.pk)
    assert account.tier == gold
    return account, silver, gold


def test_next_evaluation_is_the_configured_day_in_local_time():
    assert next_tier_evaluation(now=NOW) == EVALUATION
    assert next_tier_evaluation(now=EVALUATION) == EVALUATION + relativedelta(years=1)


def test_given_points_leaving_the_window_then_outlook_shows_the_downgrade_and_points_to_keep_the_tier(
    gold_company_slipping,
):
    account, silver, gold = gold_company_slipping

    outlook = tier_outlook(account=account, now=NOW)

    assert outlook.tier == gold
    assert outlook.evaluation_on == EVALUATION.date()
    assert outlook.qualifying_points_at_evaluation == 400
    assert outlook.tier_at_evaluation == silver
    assert outlook.points_to_keep_tier == 600
    assert outlook.downgrade_expected


def test_given_a_safe_tier_then_outlook_needs_nothing(account):
    gold = TierFactory(name="Gold", qualifying_points=1000)
    earn(account.company, 1200, at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC))

    outlook = tier_outlook(account=PointsAccount.objects.get(pk=account.pk), now=NOW)

    assert (outlook.tier, outlook.tier_at_evaluation, outlook.points_to_keep_tier) == (gold, gold, 0)
    assert not outlook.downgrade_expected


def test_given_a_company_at_risk_when_notice_job_runs_then_admins_are_told_once_30_days_ahead(
    gold_company_slipping, mailoutbox, django_capture_on_commit_callbacks
):
    account, silver, _gold = gold_company_slipping
    admin = contact(account.company, role=MembershipRole.ADMIN, email="admin@example.com")
    contact(account.company, role=MembershipRole.ADMIN, email="quiet-admin@example.com", email_notifications=False)
    contact(account.company, role=MembershipRole.PURCHASER, email="buyer@example.com")

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return tier_downgrade_notices_schedule(now=now, days_ahead=30)

    assert run(EVALUATION - timedelta(days=31)) == 0
    assert mailoutbox == []
    assert run(EVALUATION - timedelta(days=30)) == 1
    assert run(EVALUATION - timedelta(days=30)) == 0
    assert run(EVALUATION - timedelta(days=29)) == 0

    assert [message.to for message in mailoutbox] == [[admin.email]]
    assert "600" in mailoutbox[0].body and silver.name in mailoutbox[0].body
    notice = TierDowngradeNotice.objects.get()
    assert (notice.evaluation_on, notice.points_needed, notice.tier_after) == (EVALUATION.date(), 600, silver)


def test_given_a_company_that_keeps_its_tier_when_notice_job_runs_then_nothing_is_sent(
    account, mailoutbox, django_capture_on_commit_callbacks
):
    TierFactory(name="Gold", qualifying_points=1000)
    contact(account.company, role=MembershipRole.ADMIN)
    earn(account.company, 1200, at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC))

    with django_capture_on_commit_callbacks(execute=True):
        assert tier_downgrade_notices_schedule(now=EVALUATION - timedelta(days=10), days_ahead=30) == 0
    assert mailoutbox == []


def test_given_a_swedish_companys_admin_without_a_chosen_language_then_the_tier_notice_is_swedish(
    gold_company_slipping, mailoutbox, django_capture_on_commit_callbacks
):
    account, _silver, _gold = gold_company_slipping
    swedish = contact(account.company, role=MembershipRole.ADMIN, email="sv@example.com", language="")
    english = contact(account.company, role=MembershipRole.ADMIN, email="en@example.com", language="en")

    with django_capture_on_commit_callbacks(execute=True):
        tier_downgrade_notices_schedule(now=EVALUATION - timedelta(days=30), days_ahead=30)

    subjects = {message.to[0]: message.subject for message in mailoutbox}
    assert "Behåll nivån" in subjects[swedish.email] and "Keep your" not in subjects[swedish.email]
    assert "Keep your" in subjects[english.email]
