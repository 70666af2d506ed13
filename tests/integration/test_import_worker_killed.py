"""A Celery worker process killed (SIGKILL) mid-import: the next worker finishes the import.

Real processes on PostgreSQL and Redis: ``celery worker`` is started as a subprocess on a
queue of its own, against the test database, and killed with SIGKILL while it records an
import's rows. The task was acknowledged late, so Redis still holds it; a new worker takes
it back (after the broker's visibility timeout, shortened here to a few seconds) and the
import resumes from its last committed transaction: every row once, nothing doubled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

import pytest
import redis
from django.db import connection

from clubportal.celery import app as celery_app
from rewards.models import EntryKind, LedgerEntry, Purchase, PurchaseImport, PurchaseImportPendingRow
from rewards.models import PurchaseImportStatus as Status
from tests.factories import CompanyFactory
from tests.rewards.factories import TierFactory
from tests.rewards.helpers import assert_ledger_consistent
from tests.rewards.test_imports import csv_bytes, row

from .conftest import QUEUE_PREFIX

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ROWS = 1000
COMPANIES = 20
VISIBILITY_TIMEOUT_SECONDS = 3
WORKER_SETTINGS = """
from clubportal.settings.test import *  # noqa: F403

STORAGES = {{**STORAGES, "default": {{"BACKEND": "django.core.files.storage.FileSystemStorage"}}}}
MEDIA_ROOT = {media_root!r}
"""


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_for(condition, *, timeout: float, what: str, worker=None):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"The worker exited ({worker.returncode}) while waiting for {what}.")
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout} s waiting for {what}.")
        time.sleep(0.1)
    return result


def test_a_worker_killed_mid_import_is_replaced_and_the_import_finishes_exactly(
    require_postgres, redis_broker_url, settings, tmp_path
):
    from rewards.models import ProgrammeRules

    # given an import whose rows go through the services one by one (companies that may rise
    # a tier), stored where a worker process can read it
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = str(tmp_path / "media")
    ProgrammeRules.current()
    TierFactory(qualifying_points=1)
    for n in range(COMPANIES):
        CompanyFactory(external_id=f"C{n}")
    from django.core.files.base import ContentFile

    purchase_import = PurchaseImport(original_name="kill.csv")
    content = csv_bytes([row(f"C{n % COMPANIES}", f"P-{n}", at="2026-06-10") for n in range(ROWS)])
    purchase_import.file.save("kill.csv", ContentFile(content), save=False)
    purchase_import.save()
    (tmp_path / "worker_settings.py").write_text(WORKER_SETTINGS.format(media_root=settings.MEDIA_ROOT))
    queue = f"{QUEUE_PREFIX}{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "worker_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_broker_url,
        "CELERY_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_TIMEOUT_SECONDS),
    }
    workers: list[subprocess.Popen] = []

    def start_worker(name: str) -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("wb")
        command = [sys.executable, "-m", "celery", "-A", "clubportal", "worker", "--pool=solo", "-Q", queue]
        command += ["-n", f"{name}-{queue}@%h", "--without-mingle", "--without-gossip", "--without-heartbeat"]
        worker = subprocess.Popen([*command, "-l", "INFO"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        workers.append(worker)
        return worker

    def counts():
        current = PurchaseImport.objects.get(pk=purchase_import.pk)
        return current

    try:
        # when a worker takes the import's task and is killed while recording its rows
        first = start_worker("first")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "task_always_eager is ignored by send_task": wanted here
            celery_app.send_task("rewards.tasks.run_purchase_import", args=[purchase_import.pk], queue=queue)
        published_at = time.monotonic()
        _wait_for(lambda: counts().rows_created >= 100, timeout=45, what="the first rows to land", worker=first)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        at_kill = counts()
        assert at_kill.status == Status.RUNNING
        assert 0 < at_kill.rows_created < ROWS, "the worker must die in the middle of the import"

        # and a new worker starts (once the broker may give the unacknowledged task back)
        time.sleep(max(0.0, published_at + VISIBILITY_TIMEOUT_SECONDS + 0.5 - time.monotonic()))
        second = start_worker("second")

        # then it finishes the import, every row once
        done = _wait_for(
            lambda: (current := counts()).status != Status.RUNNING and current,
            timeout=60,
            what="the new worker to finish the import",
            worker=second,
        )
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=10)
        redis.Redis.from_url(redis_broker_url).delete(queue)
    assert done.status == Status.DONE, done.error_message
    assert (done.rows_done, done.rows_created, done.rows_duplicate, done.rows_failed) == (ROWS, ROWS, 0, 0)
    assert Purchase.objects.count() == ROWS
    assert LedgerEntry.objects.filter(kind=EntryKind.EARN).count() == ROWS
    assert not PurchaseImportPendingRow.objects.exists()
    assert_ledger_consistent()
