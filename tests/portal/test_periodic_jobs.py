"""The zero-setup mode runs the periodic jobs in the web process (``make run``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from clubportal.celery import app
from portal.management.commands import runserver_with_jobs
from portal.periodic import InProcessJobsUnavailable, start_periodic_jobs
from rewards.models import EntryKind, LedgerEntry, ProgrammeRules
from tests.factories import CompanyFactory
from tests.rewards.helpers import earn


@pytest.fixture
def one_job_every_second():
    """Only the points release, due every second, instead of the whole schedule."""
    saved = app.conf.beat_schedule
    app.conf.beat_schedule = {
        "rewards-release-pending-points": {"task": "rewards.tasks.release_pending_points", "schedule": 1.0}
    }
    yield
    app.conf.beat_schedule = saved


@pytest.mark.django_db(transaction=True)
def test_a_due_job_runs_in_the_web_process_without_a_broker(one_job_every_second):
    ProgrammeRules.current()
    company = CompanyFactory()
    # Earned 20 days ago: its 14-day return window has passed, nobody has released it yet.
    pending = earn(company, 1000, at=timezone.now() - timedelta(days=20))
    assert pending.pending_points == 1000

    jobs = start_periodic_jobs()
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not LedgerEntry.objects.filter(releases=pending).exists():
            time.sleep(0.2)
    finally:
        jobs.stop()

    release = LedgerEntry.objects.get(releases=pending)
    assert (release.kind, release.points) == (EntryKind.RELEASE, 1000)


def test_every_scheduled_job_is_known_to_a_fresh_web_process():
    """In a new process, as under ``make run`` (this test process has imported most tasks)."""
    code = """
import django
django.setup()
from django.conf import settings
from clubportal.celery import app
from portal.periodic import tasks_register
tasks_register(app)
print(sorted({entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} - set(app.tasks.keys())))
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "clubportal.settings.test"},
        timeout=120,
        check=True,
    )

    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_with_a_broker_the_jobs_are_left_to_beat_and_the_worker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False

    with pytest.raises(InProcessJobsUnavailable):
        start_periodic_jobs()


@pytest.mark.parametrize(
    ("eager", "flag", "starts"), [(True, [], True), (True, ["--nojobs"], False), (False, [], False)]
)
def test_make_run_starts_the_jobs_once_the_server_is_listening(monkeypatch, settings, eager, flag, starts):
    settings.CELERY_TASK_ALWAYS_EAGER = eager
    started = []
    monkeypatch.setattr(runserver_with_jobs, "start_periodic_jobs", lambda: started.append(True))

    def fake_inner_run(self, *args, **options):  # the real one checks, binds and serves forever
        self.addr, self.port, self._raw_ipv6, self.protocol = "127.0.0.1", "8000", False, "http"
        self.on_bind(8000)

    monkeypatch.setattr(runserver_with_jobs.RunserverCommand, "inner_run", fake_inner_run)
    call_command("runserver_with_jobs", "127.0.0.1:8000", "--noreload", *flag)

    assert started == ([True] if starts else [])
