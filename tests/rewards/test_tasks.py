"""The periodic tasks: registered in the beat schedule, and safe to run twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone

from clubportal.celery import app
from rewards.ledger.tasks import evaluate_tiers, expire_points, release_pending_points

from .factories import TierFactory
from .helpers import assert_ledger_consistent, earn, fresh

pytestmark = pytest.mark.django_db


def test_beat_schedule_names_registered_tasks():
    app.loader.import_default_modules()
    rewards_entries = {
        name: entry for name, entry in settings.CELERY_BEAT_SCHEDULE.items() if name.startswith("rewards-")
    }

    assert {entry["task"] for entry in rewards_entries.values()} == {
        "rewards.tasks.release_pending_points",
        "rewards.tasks.expire_points",
        "rewards.tasks.evaluate_tiers",
    }
    assert all(entry["task"] in app.tasks for entry in rewards_entries.values())
    yearly = rewards_entries["rewards-evaluate-tiers-yearly"]
    assert yearly["kwargs"] == {"allow_downgrade": True}


def test_given_due_points_when_tasks_run_twice_then_second_run_changes_nothing(account):
    now = timezone.now()
    earn(account.company, 300, at=now - timedelta(days=20))  # pending, window ended 6 days ago
    earn(account.company, 200, at=now - relativedelta(months=25), release=True)  # released and past expiry

    assert release_pending_points.delay().get() == 1
    assert release_pending_points.delay().get() == 0
    assert expire_points.delay().get() == 1
    assert expire_points.delay().get() == 0

    account = fresh(account)
    assert (account.balance, account.pending) == (300, 0)
    assert_ledger_consistent()


def test_given_company_below_its_tier_when_daily_and_yearly_evaluations_run_then_only_yearly_downgrades(account):
    gold = TierFactory(qualifying_points=100)
    account.tier = gold
    account.save(update_fields=["tier"])

    assert evaluate_tiers.delay().get() == 0
    assert fresh(account).tier == gold
    assert evaluate_tiers.delay(allow_downgrade=True).get() == 1
    assert evaluate_tiers.delay(allow_downgrade=True).get() == 0
    assert fresh(account).tier is None
