"""Periodic points work. Thin wrappers over services; each is safe to run twice
(the services are idempotent per earn, per account and day, per account)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .services import points_expire, points_release_pending, tiers_evaluate_all


@shared_task
def release_pending_points() -> int:
    """Make points whose return window has ended spendable. Returns how many earns were released."""
    return points_release_pending(now=timezone.now())


@shared_task
def expire_points() -> int:
    """Nightly: write the expire entries for points past their expiry date. Returns entries written."""
    return points_expire(now=timezone.now())


@shared_task
def evaluate_tiers(allow_downgrade: bool = False) -> int:
    """Upgrade every company that qualifies; with ``allow_downgrade`` (the yearly run) also downgrade."""
    return tiers_evaluate_all(now=timezone.now(), allow_downgrade=allow_downgrade)


# An import runs in short transactions, each a checkpoint, so a run may stop anywhere. The
# soft limit ends a run (its current transaction rolls back) and the task queues its
# continuation; the hard limit is the backstop. Both stay under the broker's
# visibility_timeout (settings), after which an unacknowledged task is delivered again.
PURCHASE_IMPORT_SOFT_TIME_LIMIT = 25 * 60
PURCHASE_IMPORT_TIME_LIMIT = 27 * 60


@shared_task(
    # Acknowledged when it ends, not when it starts: if the worker dies mid-import, the
    # broker gives the task to another worker (at its next start, or after the visibility
    # timeout), and with reject_on_worker_lost a pool process killed mid-task puts it back.
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=PURCHASE_IMPORT_SOFT_TIME_LIMIT,
    time_limit=PURCHASE_IMPORT_TIME_LIMIT,
)
def run_purchase_import(import_id: int) -> str:
    """Run a CSV purchase import; safe to run twice and more (a finished import is left alone,
    a concurrent run returns at once, a stopped one resumes from its last committed transaction
    with nothing lost or doubled)."""
    from celery.exceptions import SoftTimeLimitExceeded

    from outbox.services import outbox_enqueue

    from .imports import purchase_import_run

    try:
        return purchase_import_run(import_id=import_id).status
    except SoftTimeLimitExceeded:
        outbox_enqueue(run_purchase_import, import_id)
        return "continued"


@shared_task
def resume_stale_purchase_imports() -> int:
    """Every few minutes: queue again each import whose worker died (no progress for
    ``PURCHASE_IMPORT_STALE_MINUTES``). Returns how many were queued."""
    from datetime import timedelta

    from django.conf import settings

    from .imports import purchase_imports_resume_stale

    return purchase_imports_resume_stale(
        now=timezone.now(), stale_after=timedelta(minutes=settings.PURCHASE_IMPORT_STALE_MINUTES)
    )


# --- Notices (appended): daily jobs record each notice once, per-account tasks send it ----------


@shared_task
def send_expiry_reminders() -> int:
    """Daily: queue one reminder per account with points expiring in the next 30 days not yet reminded of."""
    from .services import expiry_reminders_schedule

    return expiry_reminders_schedule(now=timezone.now())


@shared_task
def send_expiry_reminder(reminder_ids: list[int]) -> int:
    """E-mail one account's expiry reminders; a reminder already sent is not sent again."""
    from .services import expiry_reminder_send

    return expiry_reminder_send(reminder_ids=reminder_ids)


@shared_task
def send_tier_downgrade_notices() -> int:
    """Daily: in the days before the yearly evaluation, queue a notice for each company about to drop a tier."""
    from django.conf import settings

    from .services import tier_downgrade_notices_schedule

    return tier_downgrade_notices_schedule(now=timezone.now(), days_ahead=settings.POINTS_TIER_DOWNGRADE_NOTICE_DAYS)


@shared_task
def send_tier_downgrade_notice(notice_id: int) -> int:
    """E-mail one tier downgrade notice to the company's admins; a notice already sent is not sent again."""
    from .services import tier_downgrade_notice_send

    return tier_downgrade_notice_send(notice_id=notice_id)


# --- Points notices (appended): after the write has committed, from rewards.notices --------------


@shared_task
def send_points_emails() -> int:
    """Every few minutes: e-mail single-purchase points notices, at most one e-mail per person per interval."""
    from .notices import points_emails_send

    return points_emails_send()


@shared_task
def notify_purchase_points(
    company_id: int, purchase_id: int, external_id: str, points: int, available_at: str | None
) -> int:
    """Tell a company's contacts that a purchase earned points; a repeat notifies nobody twice."""
    from datetime import datetime

    from .notices import purchase_points_notify

    return purchase_points_notify(
        company_id=company_id,
        purchase_id=purchase_id,
        external_id=external_id,
        points=points,
        available_at=datetime.fromisoformat(available_at) if available_at else None,
    )


@shared_task
def notify_purchases_points(key: str, earned: list[list[int]]) -> int:
    """One "points arrived" notice per company for a CSV import or an API batch:
    ``earned`` is ``[[company id, purchases, points], ...]``. Safe to run twice (same key)."""
    from .notices import purchases_points_notify

    return purchases_points_notify(key=key, earned=earned)
