"""Background work that survives a broker outage: the transactional outbox.

Every task a write causes is enqueued with ``outbox_enqueue(task, *args, **kwargs)`` instead
of Celery's ``task.delay_on_commit(...)``:

1. **In the write's transaction** a row (``OutboxTask``) records the task and its
   arguments. A rollback removes it with the write; a commit keeps both. Nothing talks to
   the broker yet, so the write commits — or not — whatever state Redis is in.
2. **After the commit** (the fast path, ``outbox_publish``) the row is handed to the broker
   at once, so a task starts as soon as it did with ``delay_on_commit``. If the broker does
   not answer, the error is logged, the request carries on (it already committed) and the
   row stays waiting. After a failure the fast path is skipped for ``BROKER_RETRY_SECONDS``
   in this process, so an outage costs one connect timeout per process, not one per write.
3. **The relay** (``outbox_relay``: the beat job ``outbox-relay`` every minute, and once when
   a worker or ``make run``'s job runner starts) publishes every waiting row, oldest first,
   once the broker answers again.

A row is marked published only after the broker accepted its message, in the transaction
that holds the row's lock: the fast path and concurrent relays lock rows with ``SKIP
LOCKED``, so under normal operation each row is published once. A crash between the broker's
"accepted" and the commit publishes it again: tasks are delivered *at least once* and every
task sent this way must be safe to run twice (the call sites say why theirs are). On SQLite,
which has no row locks, a row is published first and marked after (``_row_locks``).

Without a broker (``CELERY_TASK_ALWAYS_EAGER``: ``make run``, the tests) nothing changes:
``outbox_enqueue`` is ``delay_on_commit``, the task runs in-process after the commit and no
row is written.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from datetime import datetime, timedelta

from celery import Task, current_app
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from .models import OutboxTask

logger = logging.getLogger(__name__)

# After a failed publication, the fast path leaves new rows to the relay for this long.
BROKER_RETRY_SECONDS = 10.0
# How long a publication may wait for a broker connection, however often kombu would retry.
BROKER_CONNECT_TIMEOUT_SECONDS = 1.0
RELAY_BATCH_SIZE = 100
# Published rows are kept this long (what ran, when), then purged by the daily job.
PUBLISHED_KEEP_DAYS = 7

# What a broker that is down, unreachable or refusing raises (Celery re-raises the
# transport's connection errors as kombu's OperationalError).
BROKER_ERRORS = (OperationalError, OSError)

_breaker_lock = threading.Lock()
_broker_down_until: dict[str, float] = {}  # broker URL -> monotonic time


class BrokerUnavailable(Exception):
    """The broker did not accept a message (down, unreachable, refusing)."""


def outbox_enqueue(task: Task, *args, **kwargs) -> OutboxTask | None:
    """Record ``task(*args, **kwargs)`` in the current transaction and publish it after the
    commit (see the module docstring). Arguments must be JSON-serialisable, as for any task.

    Returns the row, or ``None`` in the in-process mode, where the task runs after the
    commit as ``delay_on_commit`` would run it. Outside a transaction the row is committed
    at once and published straight away.
    """
    if task.app.conf.task_always_eager:
        task.delay_on_commit(*args, **kwargs)
        return None
    row = OutboxTask.objects.create(task_name=task.name, args=list(args), kwargs=kwargs)
    # robust: whatever happens while publishing, the write has committed and the request
    # must not turn into an error page (outbox_publish catches what it expects anyway).
    transaction.on_commit(lambda: outbox_publish(row=row, task=task), robust=True)
    return row


def outbox_publish(*, row: OutboxTask, task: Task | None = None) -> bool:
    """The fast path: publish one committed row now. Returns whether this call published it.

    The row is claimed and marked in one statement (``UPDATE … SET published_at WHERE
    published_at IS NULL``, which takes its lock) in a transaction that commits only once
    the broker has accepted the message: a relay that got there first makes this a no-op, a
    relay arriving meanwhile skips the locked row, and if the broker refuses, the
    transaction rolls back and the row stays waiting for the relay. (Without row locks,
    see ``_row_locks``.)
    """
    app = task.app if task is not None else current_app
    broker_url = app.conf.broker_url
    if _broker_recently_down(broker_url):
        return False
    try:
        if _row_locks(app):
            with transaction.atomic():
                _commit_without_flush()
                if not _mark_published([row.pk]):
                    return False
                _publish(row, task=task)
        else:
            _publish(row, task=task)
            _mark_published([row.pk])
    except BrokerUnavailable as exc:
        _broker_failed(broker_url, exc)
        OutboxTask.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, last_error=_describe(exc))
        return False
    except Exception:
        logger.exception("Publishing outbox task %s failed; the relay will try again.", row.pk)
        return False
    return True


def outbox_relay(*, batch_size: int = RELAY_BATCH_SIZE) -> int:
    """Publish every waiting row, oldest first; returns how many were published.

    Cheap when there is nothing to do: one query on the partial index of waiting rows.
    Rows are taken in batches under ``SELECT … FOR UPDATE SKIP LOCKED``, so two relays (or a
    relay and a fast path) never publish the same row; a batch's rows are marked published
    in its transaction, after the broker accepted each. When the broker refuses, the run
    stops (the rest waits for the next run); a row that fails for another reason (a task
    no longer known) is recorded on the row and skipped, so it cannot hold up the others.
    """
    if not OutboxTask.objects.filter(published_at__isnull=True).exists():
        return 0
    app = current_app
    locks = _row_locks(app)
    published = 0
    skipped: set[int] = set()
    while True:
        with transaction.atomic() if locks else contextlib.nullcontext():
            waiting = OutboxTask.objects.filter(published_at__isnull=True).exclude(pk__in=skipped).order_by("pk")
            if locks:
                _commit_without_flush()
            rows = list((waiting.select_for_update(skip_locked=True) if locks else waiting)[:batch_size])
            if not rows:
                return published
            done, broker_down = _publish_rows(rows, skipped=skipped, mark_each=not locks)
            if locks:
                _mark_published(done)
            published += len(done)
        if broker_down is not None:
            _broker_failed(app.conf.broker_url, broker_down)
            return published
        _broker_recovered(app.conf.broker_url)


def outbox_purge(*, now: datetime, keep_days: int = PUBLISHED_KEEP_DAYS) -> int:
    """Delete rows published more than ``keep_days`` ago; waiting rows are never deleted."""
    deleted, _ = OutboxTask.objects.filter(published_at__lt=now - timedelta(days=keep_days)).delete()
    return deleted


# --- Publishing -------------------------------------------------------------------------------


def _publish(row: OutboxTask, *, task: Task | None = None) -> None:
    """Hand one row's task to the broker (in-process mode: run it), raising
    ``BrokerUnavailable`` if the broker does not take it."""
    app = task.app if task is not None else current_app
    task = task or app.tasks.get(row.task_name)
    if app.conf.task_always_eager:
        # Rows left by a run with a broker, relayed by `make run`: run them here, as a worker
        # would. A task that fails has still been delivered (a worker would not retry it).
        if task is None:
            raise LookupError(f"Unknown task {row.task_name!r}")
        result = task.apply(args=row.args, kwargs=row.kwargs, task_id=str(row.task_id), throw=False)
        if result.failed():
            logger.error("Outbox task %s (%s) failed: %r", row.pk, row.task_name, result.result)
        return
    try:
        with app.producer_or_acquire() as producer:
            # kombu would otherwise retry the connection for several seconds (and a web
            # request would wait for it); the relay is the retry.
            producer.connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_CONNECT_TIMEOUT_SECONDS
            )
            options = {"task_id": str(row.task_id), "retry": False, "producer": producer}
            if task is not None:
                task.apply_async(args=row.args, kwargs=row.kwargs, **options)
            else:  # not imported in this process: the worker knows it by name
                app.send_task(row.task_name, args=row.args, kwargs=row.kwargs, **options)
    except BROKER_ERRORS as exc:
        raise BrokerUnavailable(_describe(exc)) from exc


def _row_locks(app) -> bool:
    """Whether rows are claimed under their row lock while being published: with a database
    that has row locks and a real broker. Otherwise (SQLite; or the in-process mode, where
    "publishing" runs the task) each row is published first and marked after, outside any
    transaction, so a task's own writes never wait on the relay's transaction — on SQLite
    they would hit its database-wide write lock. Two relays at once could then publish a
    row twice: harmless (tasks are safe to run twice), and rare (SQLite runs one process)."""
    return connection.features.has_select_for_update and not app.conf.task_always_eager


def _publish_rows(rows: list[OutboxTask], *, skipped: set[int], mark_each: bool) -> tuple[list[int], Exception | None]:
    """Publish ``rows`` in order until the broker refuses one; returns the ids published and
    the refusal, if any. A row failing for another reason is recorded and added to ``skipped``."""
    done: list[int] = []
    for row in rows:
        try:
            _publish(row)
        except BrokerUnavailable as exc:
            _record_failure(row, exc)
            return done, exc
        except Exception as exc:
            logger.exception("Outbox task %s (%s) could not be published.", row.pk, row.task_name)
            _record_failure(row, exc)
            skipped.add(row.pk)
        else:
            done.append(row.pk)
            if mark_each:
                _mark_published([row.pk])
    return done, None


def _commit_without_flush() -> None:
    """Let this transaction commit without waiting for the disk (PostgreSQL).

    The fast path's transaction only marks a row published; waiting for its WAL flush cost
    every write that queues a task ~10 ms more (measured: 39.8 against 29.3 ms median per API
    purchase). If the server crashes before the flush, the mark is lost and the relay
    publishes the row again — which at-least-once delivery allows anyway. The write itself
    and its outbox row were committed durably by the caller's transaction before.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _mark_published(row_ids: list[int]) -> int:
    """Mark the rows still waiting among ``row_ids`` published; returns how many were."""
    if not row_ids:
        return 0
    return OutboxTask.objects.filter(pk__in=row_ids, published_at__isnull=True).update(published_at=timezone.now())


def _record_failure(row: OutboxTask, exc: BaseException) -> None:
    row.attempts += 1
    row.last_error = _describe(exc)
    row.save(update_fields=["attempts", "last_error"])


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


# --- The fast path's circuit breaker ----------------------------------------------------------


def _broker_recently_down(broker_url: str) -> bool:
    return _broker_down_until.get(broker_url, 0.0) > time.monotonic()


def _broker_failed(broker_url: str, exc: BaseException) -> None:
    with _breaker_lock:
        already = _broker_recently_down(broker_url)
        _broker_down_until[broker_url] = time.monotonic() + BROKER_RETRY_SECONDS
    if not already:
        logger.warning(
            "The broker refused a task (%s); tasks wait in the outbox and are published when it answers.",
            _describe(exc),
        )


def _broker_recovered(broker_url: str) -> None:
    with _breaker_lock:
        _broker_down_until.pop(broker_url, None)
