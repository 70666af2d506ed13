"""The periodic jobs in the zero-setup mode, where there is no broker, worker or beat.

With ``REDIS_URL`` set, ``make beat`` runs Celery beat and ``make worker`` runs the jobs.
Without it, tasks run in-process (``CELERY_TASK_ALWAYS_EAGER``), and ``make run`` starts
Celery's own beat service in a thread of the web process instead
(``manage.py runserver_with_jobs``): the same schedule (``CELERY_BEAT_SCHEDULE``, kept in
django-celery-beat's tables and editable in the admin), each due job run in that thread.
So a demo behaves like production: campaigns start and end on time, pending points are
released, scheduled pages go live, a CSV import left "running" by a stopped process is
resumed (``purchase-imports-resume-stale``) and e-mails arrive in ``var/mail/``.

A job that fails is logged by beat and tried again at its next time; it never stops the
web process.
"""

from __future__ import annotations

import logging
from threading import Thread

from celery import beat, current_app
from django.conf import settings

from outbox.services import outbox_relay

logger = logging.getLogger(__name__)


class InProcessJobsUnavailable(RuntimeError):
    """Tasks go through a broker here: run ``make worker`` and ``make beat`` instead."""


def start_periodic_jobs(app=None) -> Thread:
    """Start beat in a daemon thread of this process and return it (``.stop()`` ends it).

    Only for the in-process task mode: with a broker, beat in a thread would queue the jobs
    for a worker that may not run, next to the real ``make beat``.
    """
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        raise InProcessJobsUnavailable("Tasks go through a broker: run `make worker` and `make beat` instead.")
    if app is None:
        app = current_app._get_current_object()  # clubportal.celery.app, the default app
    tasks_register(app)
    relay_outbox_at_start()
    # The scheduler `make beat` uses (django-celery-beat's, so the admin's schedule applies);
    # beat's service would otherwise default to a shelve file in the working directory.
    service = beat.EmbeddedService(app, thread=True, scheduler_cls=app.conf.beat_scheduler)
    service.start()
    return service


def relay_outbox_at_start() -> None:
    """Run what waits in the task outbox (left by an earlier run with a broker) now, rather
    than at the relay's first minute; a failure is logged and left to that run."""
    try:
        outbox_relay()
    except Exception:
        logger.exception("The outbox relay at start failed; the periodic relay will try again.")


def tasks_register(app) -> None:
    """Import every app's ``tasks.py``, as a worker does at start. The web process has not
    imported them all, and beat hands a job whose task it does not know to the broker (which
    the zero-setup mode does not have) instead of running it."""
    app.loader.import_default_modules()
