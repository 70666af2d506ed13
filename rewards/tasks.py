"""Celery's autodiscovery imports ``<app>.tasks``: this module registers the tasks of the rewards
sub-packages. Each task keeps its old name ``rewards.tasks.<function>`` (``name=`` on the
decorator), so queued tasks, the beat schedule and stored PeriodicTask rows keep working."""

from rewards.ledger import tasks as ledger_tasks  # noqa: F401
from rewards.purchases import tasks as purchases_tasks  # noqa: F401
