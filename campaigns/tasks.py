"""Periodic and after-commit work for campaigns. Thin wrappers over services; each is safe
to run twice (the services re-check state under a row lock and award through unique keys)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task
def advance_campaigns() -> list[int]:
    """Every minute: start scheduled campaigns whose start has come, end those whose end has."""
    started, ended = services.campaigns_advance(now=timezone.now())
    return [started, ended]


@shared_task
def announce_campaign(campaign_id: int) -> int:
    """Tell the treated companies that a campaign has started (once per person)."""
    return services.campaign_announce(campaign_id=campaign_id)


@shared_task
def send_budget_alert(campaign_id: int) -> bool:
    """E-mail a campaign's owner that its budget is used up (once)."""
    return services.budget_alert_send(campaign_id=campaign_id)


@shared_task
def reward_referral(referral_id: int) -> bool:
    """Reward a referral whose company has made its first purchase (queued by both purchase paths)."""
    return services.referral_reward(referral_id=referral_id) is not None


@shared_task
def reward_due_referrals() -> int:
    """Safety net: reward pending referrals whose company has bought, however the purchase came in."""
    return services.referrals_reward_due()


@shared_task
def evaluate_challenges() -> int:
    """Record companies that reached a challenge's target (points and badge, once)."""
    return services.challenges_evaluate()
