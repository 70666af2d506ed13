"""Tasks of company groups: moving a pooled branch's spendable points into the group's pool."""

from __future__ import annotations

from celery import shared_task

from .selectors import pooled_branches_with_points
from .services import group_pool_sweep


@shared_task(name="groups.tasks.pool_sweep_all")
def pool_sweep_all() -> int:
    """Every pooled branch holding spendable points moves them into its group's pool (beat:
    as often as pending points are released). One short transaction per branch; safe to run
    twice or concurrently."""
    return sum(group_pool_sweep(company_id=company_id) is not None for company_id in pooled_branches_with_points())
