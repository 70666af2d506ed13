"""Background work for the rep workspace. Tasks take no arguments and are safe to run twice."""

from celery import shared_task

from .activity import account_activity_catch_up, account_activity_rebuild


@shared_task
def catch_up_account_activity() -> int:
    """Every few minutes: the purchase figures of companies that bought since the last runs."""
    return account_activity_catch_up()


@shared_task
def rebuild_account_activity() -> int:
    """Nightly: every company's purchase figures, with the 90-day windows moved to today."""
    return account_activity_rebuild()
