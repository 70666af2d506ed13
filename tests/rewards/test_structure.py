"""rewards in sub-packages: what crosses the Celery boundary keeps working across the split."""

from __future__ import annotations

import json

import pytest

from clubportal.celery import app
from notifications.models import Notification
from rewards.ledger.notices import company_earnings, purchases_points_notify
from rewards.ledger.tasks import notify_purchases_points
from tests.factories import CompanyFactory, MembershipFactory

REWARDS_TASKS = {
    "rewards.tasks.release_pending_points",
    "rewards.tasks.expire_points",
    "rewards.tasks.evaluate_tiers",
    "rewards.tasks.run_purchase_import",
    "rewards.tasks.resume_stale_purchase_imports",
    "rewards.tasks.send_expiry_reminders",
    "rewards.tasks.send_expiry_reminder",
    "rewards.tasks.send_tier_downgrade_notices",
    "rewards.tasks.send_tier_downgrade_notice",
    "rewards.tasks.send_points_emails",
    "rewards.tasks.notify_purchase_points",
    "rewards.tasks.notify_purchases_points",
}


def test_every_rewards_task_keeps_the_name_it_had_before_the_split():
    app.loader.import_default_modules()
    assert {name for name in app.tasks if name.startswith("rewards.")} == REWARDS_TASKS


def test_the_tally_crosses_the_boundary_as_json_with_named_fields():
    assert json.loads(json.dumps([company_earnings(7, 3, 120)])) == [{"company_id": 7, "purchases": 3, "points": 120}]


@pytest.mark.django_db
def test_a_tally_queued_as_positional_lists_before_the_change_still_notifies_the_same(rules):
    old, new = CompanyFactory(), CompanyFactory()
    old_person, new_person = MembershipFactory(company=old).user, MembershipFactory(company=new).user

    assert notify_purchases_points("points:import:old", [[old.pk, 2, 300]]) == 1
    assert purchases_points_notify(key="points:import:new", earned=[company_earnings(new.pk, 2, 300)]) == 1

    old_notice = Notification.objects.get(recipient=old_person)
    new_notice = Notification.objects.get(recipient=new_person)
    assert (old_notice.title, old_notice.body) == (new_notice.title, new_notice.body)
    assert "300" in old_notice.title.replace("\xa0", "").replace(" ", "")
