"""The task outbox: a write's tasks are recorded with it and reach the broker once it answers.

The broker here is Celery's in-memory transport (it accepts every message; nobody consumes)
or a Redis nobody listens on (it refuses every message). ``tests/integration`` runs the
same path against a real Redis and worker.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from celery import shared_task, signals
from django.db import transaction
from django.utils import timezone

from outbox.models import OutboxTask
from outbox.services import outbox_enqueue, outbox_publish, outbox_purge, outbox_relay
from tests.outage import UNREACHABLE_REDIS, celery_broker

ran: list[tuple] = []


@shared_task(name="tests.outbox.remember")
def remember(*args, **kwargs) -> None:
    ran.append((args, kwargs))


class RolledBack(Exception):
    pass


@pytest.fixture
def published():
    """(task name, task id, args, kwargs) of every message the broker accepted, in order."""
    seen: list[tuple] = []
    lock = threading.Lock()

    def on_published(sender=None, headers=None, body=None, **kwargs):
        with lock:
            seen.append((sender, headers["id"], list(body[0]), body[1]))

    signals.after_task_publish.connect(on_published, weak=False)
    yield seen
    signals.after_task_publish.disconnect(on_published)


@pytest.fixture(autouse=True)
def _forget_runs():
    ran.clear()


def waiting() -> list[OutboxTask]:
    return list(OutboxTask.objects.filter(published_at__isnull=True).order_by("pk"))


# --- Without a broker (make run, the tests): as before --------------------------------------


def test_in_process_mode_runs_the_task_after_the_commit_and_records_nothing(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert outbox_enqueue(remember, 1, who="a") is None
        assert ran == []  # not before the commit

    assert ran == [((1,), {"who": "a"})]
    assert not OutboxTask.objects.exists()


# --- With a broker ---------------------------------------------------------------------------


def test_a_task_is_recorded_with_its_write_and_published_once_after_the_commit(
    db, django_capture_on_commit_callbacks, published
):
    with celery_broker("memory://"):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            row = outbox_enqueue(remember, 7, who="b")
            assert published == []  # nothing leaves before the commit
        assert outbox_relay() == 0  # the fast path published it; the relay finds nothing

    row.refresh_from_db()
    assert published == [("tests.outbox.remember", str(row.task_id), [7], {"who": "b"})]
    assert row.published_at is not None and row.attempts == 0


def test_a_rolled_back_write_leaves_no_task(db, django_capture_on_commit_callbacks, published):
    with celery_broker("memory://"):
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RolledBack), transaction.atomic():
            outbox_enqueue(remember, 1)
            raise RolledBack
        assert outbox_relay() == 0

    assert not OutboxTask.objects.exists()
    assert published == []


def test_given_the_broker_down_the_write_commits_and_its_task_waits_then_the_relay_publishes_it_once(
    db, django_capture_on_commit_callbacks, published
):
    with celery_broker(UNREACHABLE_REDIS):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            first = outbox_enqueue(remember, 1)
        # a second write within the retry pause does not try the broker again
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            second = outbox_enqueue(remember, 2)
        assert outbox_relay() == 0  # still down: the relay stops at the first refusal

    assert published == []
    assert [(row.pk, row.attempts) for row in waiting()] == [(first.pk, 2), (second.pk, 0)]
    assert "Connection refused" in waiting()[0].last_error

    with celery_broker("memory://"):  # the broker is back
        assert outbox_relay() == 2
        assert outbox_relay() == 0

    assert [(name, args) for name, _, args, _ in published] == [
        ("tests.outbox.remember", [1]),
        ("tests.outbox.remember", [2]),
    ]
    assert waiting() == []


def test_the_relay_costs_one_query_when_nothing_waits(db, django_assert_num_queries):
    OutboxTask.objects.bulk_create(
        [OutboxTask(task_name="tests.outbox.remember", published_at=timezone.now()) for _ in range(50)]
    )
    with celery_broker("memory://"), django_assert_num_queries(1):
        assert outbox_relay() == 0


def test_a_worker_that_starts_publishes_what_waited(db, published):
    row = OutboxTask.objects.create(task_name="tests.outbox.remember", args=[3])

    with celery_broker("memory://"):
        signals.worker_ready.send(sender=None)

    assert [task_id for _, task_id, _, _ in published] == [str(row.task_id)]


def test_in_process_mode_the_relay_runs_leftover_tasks_and_a_broken_one_does_not_hold_up_the_others(db):
    """``make run`` after a run with a broker: what that run left is run in-process."""
    unknown = OutboxTask.objects.create(task_name="tests.outbox.renamed_since")
    known = OutboxTask.objects.create(task_name="tests.outbox.remember", args=[5], kwargs={"who": "c"})

    assert outbox_relay() == 1

    assert ran == [((5,), {"who": "c"})]
    known.refresh_from_db()
    unknown.refresh_from_db()
    assert known.published_at is not None
    assert unknown.published_at is None and unknown.attempts == 1
    assert "renamed_since" in unknown.last_error


def test_make_run_runs_what_a_run_with_a_broker_left_when_its_jobs_start(db):
    from portal.periodic import relay_outbox_at_start

    row = OutboxTask.objects.create(task_name="tests.outbox.remember", args=[9])

    relay_outbox_at_start()

    assert ran == [((9,), {})]
    row.refresh_from_db()
    assert row.published_at is not None


def test_the_purge_deletes_only_rows_published_more_than_a_week_ago(db):
    now = timezone.now()
    old = OutboxTask.objects.create(task_name="t", published_at=now - timedelta(days=8))
    recent = OutboxTask.objects.create(task_name="t", published_at=now - timedelta(days=6))
    never = OutboxTask.objects.create(task_name="t", created_at=now - timedelta(days=30))

    assert outbox_purge(now=now) == 1

    assert set(OutboxTask.objects.values_list("pk", flat=True)) == {recent.pk, never.pk}
    assert not OutboxTask.objects.filter(pk=old.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_relays_and_fast_paths_racing_publish_each_task_exactly_once(require_postgres, published):
    rows = OutboxTask.objects.bulk_create([OutboxTask(task_name="tests.outbox.remember", args=[n]) for n in range(300)])
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def run(work):
        from django.db import connection

        try:
            barrier.wait()
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def fast_paths():
        for row in rows:
            outbox_publish(row=row)

    with celery_broker("memory://"):
        threads = [
            threading.Thread(target=run, args=(work,))
            for work in (outbox_relay, outbox_relay, outbox_relay, fast_paths)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert waiting() == []
    task_ids = [task_id for _, task_id, _, _ in published]
    assert len(task_ids) == 300
    assert sorted(task_ids) == sorted(str(row.task_id) for row in rows)


# --- Nothing goes around the outbox ----------------------------------------------------------

PROJECT = Path(__file__).resolve().parents[2]
APPS = ["api", "campaigns", "clubportal", "cms", "members", "messaging", "notifications", "outbox", "reps", "rewards"]
QUEUEING = re.compile(r"\.(delay_on_commit|delay|apply_async|send_task)\(|\bon_commit\(")
# Where queueing is the outbox's own business.
ALLOWED = {"outbox/services.py"}


def test_no_code_queues_a_task_or_an_after_commit_effect_around_the_outbox():
    """A task queued with ``delay_on_commit`` (or sent straight away) after a write is lost if
    the broker is down at that moment, and an ``on_commit`` callback is lost if the process
    dies before it runs: both go through ``outbox.services.outbox_enqueue`` instead."""
    offenders = [
        f"{path.relative_to(PROJECT)}:{number}: {line.strip()}"
        for app in APPS
        for path in sorted((PROJECT / app).rglob("*.py"))
        if str(path.relative_to(PROJECT)) not in ALLOWED and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if QUEUEING.search(line) and not line.lstrip().startswith("#")
    ]
    assert offenders == []
