"""Periodic points work and the points notices. Thin wrappers over services; each is safe to run twice
(the services are idempotent per earn, per account and day, per account)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from outbox.services import outbox_enqueue
from rewards.ledger.notices import CompanyEarnings, points_emails_send, purchase_points_notify, purchases_points_notify
from rewards.ledger.services import (
    expiry_reminder_send,
    expiry_reminders_schedule,
    points_expire,
    points_release_pending,
    tier_downgrade_notice_send,
    tier_downgrade_notices_schedule,
    tiers_evaluate_all,
)


@shared_task(name="rewards.tasks.release_pending_points")
def release_pending_points() -> int:
    """Make points whose return window has ended spendable. Returns how many earns were released."""
    return points_release_pending(now=timezone.now())


@shared_task(name="rewards.tasks.expire_points")
def expire_points() -> int:
    """Nightly: write the expire entries for points past their expiry date. Returns entries written."""
    return points_expire(now=timezone.now())


@shared_task(name="rewards.tasks.evaluate_tiers")
def evaluate_tiers(allow_downgrade: bool = False) -> int:
    """Upgrade every company that qualifies; with ``allow_downgrade`` (the yearly run) also downgrade."""
    return tiers_evaluate_all(now=timezone.now(), allow_downgrade=allow_downgrade)


# --- Notices (appended): daily jobs record each notice once, per-account tasks send it ----------


@shared_task(name="rewards.tasks.send_expiry_reminders")
def send_expiry_reminders() -> int:
    """Daily: queue one reminder per account with points expiring in the next 30 days not yet reminded of."""
    return expiry_reminders_schedule(now=timezone.now())


@shared_task(name="rewards.tasks.send_expiry_reminder")
def send_expiry_reminder(reminder_ids: list[int]) -> int:
    """E-mail one account's expiry reminders; a reminder already sent is not sent again."""
    return expiry_reminder_send(reminder_ids=reminder_ids)


@shared_task(name="rewards.tasks.send_tier_downgrade_notices")
def send_tier_downgrade_notices() -> int:
    """Daily: in the days before the yearly evaluation, queue a notice for each company about to drop a tier."""
    return tier_downgrade_notices_schedule(now=timezone.now(), days_ahead=settings.POINTS_TIER_DOWNGRADE_NOTICE_DAYS)


@shared_task(name="rewards.tasks.send_tier_downgrade_notice")
def send_tier_downgrade_notice(notice_id: int) -> int:
    """E-mail one tier downgrade notice to the company's admins; a notice already sent is not sent again."""
    return tier_downgrade_notice_send(notice_id=notice_id)


# --- Points notices (appended): after the write has committed, from rewards.ledger.notices --------------


@shared_task(name="rewards.tasks.send_points_emails")
def send_points_emails() -> int:
    """Every few minutes: e-mail single-purchase points notices, at most one e-mail per person per interval."""
    return points_emails_send()


@shared_task(name="rewards.tasks.notify_purchase_points")
def notify_purchase_points(
    company_id: int, purchase_id: int, external_id: str, points: int, available_at: str | None
) -> int:
    """Tell a company's contacts that a purchase earned points; a repeat notifies nobody twice."""
    return purchase_points_notify(
        company_id=company_id,
        purchase_id=purchase_id,
        external_id=external_id,
        points=points,
        available_at=datetime.fromisoformat(available_at) if available_at else None,
    )


# A "points arrived" task tells at most this many companies: a club-wide import's notices are
# many short tasks that workers share (and a worker shut down redoes one), not one of minutes.
COMPANIES_PER_NOTICES_TASK = 500


def purchases_points_notices_enqueue(*, key: str, earned: Sequence[CompanyEarnings]) -> int:
    """Queue the "points arrived" notices of many purchases at once (a CSV import, an API
    batch) through the outbox, in the current transaction: ``COMPANIES_PER_NOTICES_TASK``
    companies per task, every task under the same ``key`` (a recipient is told once per
    key, so a task run twice tells nobody again). Returns the number of tasks queued."""
    earned = list(earned)
    for start in range(0, len(earned), COMPANIES_PER_NOTICES_TASK):
        outbox_enqueue(notify_purchases_points, key=key, earned=earned[start : start + COMPANIES_PER_NOTICES_TASK])
    return -(-len(earned) // COMPANIES_PER_NOTICES_TASK)


@shared_task(name="rewards.tasks.notify_purchases_points")
def notify_purchases_points(key: str, earned: list[CompanyEarnings] | list[list[int]]) -> int:
    """One "points arrived" notice per company for a CSV import or an API batch: ``earned`` is
    a list of ``CompanyEarnings`` (``{"company_id", "purchases", "points"}``); tasks queued
    before that, with ``[[company id, purchases, points], ...]``, still run. Safe to run twice
    (same key)."""
    return purchases_points_notify(key=key, earned=earned)
