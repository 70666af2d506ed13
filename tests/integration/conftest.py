"""A real Celery worker on Redis, for the tests that must not be emulated eagerly.

The worker runs in a thread of the test process (``celery.contrib.testing``), so it
shares Django's settings and the locmem e-mail outbox but opens its own database
connection: tests that use it need ``django_db(transaction=True)``.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import redis
from celery import signals
from celery.contrib.testing.worker import TestWorkController, start_worker
from django.conf import settings
from django.urls import resolve

from clubportal.celery import app as celery_app
from members.models import Invitation
from tests.conftest import require

WORKER_START_TIMEOUT_SECONDS = 15
WORKER_SHUTDOWN_TIMEOUT_SECONDS = 10
QUEUE_PREFIX = "clubportal-test-"


class BoundedStartWorkController(TestWorkController):
    """``TestWorkController`` whose start-up wait gives up instead of hanging forever.

    ``start_worker`` waits for the consumer to be ready with no timeout; if the worker
    thread dies on start (a broker that stops answering, say), the test would hang.
    """

    __test__ = False

    def ensure_started(self) -> None:
        if not self._on_started.wait(WORKER_START_TIMEOUT_SECONDS):
            raise RuntimeError(f"The Celery worker did not start within {WORKER_START_TIMEOUT_SECONDS} s.")


def accept_link_in(body: str) -> int | None:
    """The invitation a link in an e-mail body opens, or None if the body has no such link.

    The link's token is signed with the second it was made in, so a link made again in
    the test can differ from the mailed one: the test reads the mailed link back instead.
    """
    match = re.search(re.escape(settings.SITE_URL) + r"(/\S+)", body)
    if match is None:
        return None
    route = resolve(match.group(1))
    if route.view_name != "members:invitation_accept":
        return None
    return Invitation.pk_from_token(route.kwargs["token"])


def wait_until(condition: Callable[[], object], *, timeout: float = 10.0, what: str) -> object:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout} s waiting for {what}.")
        time.sleep(0.02)


@dataclass
class TaskEvents:
    """Tasks published to the broker and tasks the worker finished, seen through Celery's signals."""

    published: list[dict] = field(default_factory=list)
    finished: list[dict] = field(default_factory=list)

    def on_published(self, sender=None, headers=None, body=None, routing_key=None, **kwargs) -> None:
        args = body[0] if isinstance(body, tuple | list) else None
        self.published.append(
            {"task": sender, "id": headers["id"], "args": list(args or []), "routing_key": routing_key}
        )

    def on_finished(self, sender=None, task_id=None, args=None, retval=None, state=None, **kwargs) -> None:
        self.finished.append(
            {"task": sender.name, "id": task_id, "args": list(args or []), "retval": retval, "state": state}
        )

    def published_args(self, task_name: str) -> list[list]:
        return [event["args"] for event in self.published if event["task"] == task_name]

    def finished_run(self, task_id: str) -> dict | None:
        return next((event for event in self.finished if event["id"] == task_id), None)


@pytest.fixture
def redis_broker_url(settings) -> str:
    """``settings.REDIS_URL``, checked to answer; skips locally and fails under CI=true without it."""
    require(bool(settings.REDIS_URL), "Redis (set REDIS_URL)")
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        require(False, f"Redis at {settings.REDIS_URL} ({exc})")
    return settings.REDIS_URL


@pytest.fixture
def task_events() -> Iterator[TaskEvents]:
    events = TaskEvents()
    signals.after_task_publish.connect(events.on_published, weak=False)
    signals.task_postrun.connect(events.on_finished, weak=False)
    yield events
    signals.after_task_publish.disconnect(events.on_published)
    signals.task_postrun.disconnect(events.on_finished)


@pytest.fixture
def celery_worker(redis_broker_url, task_events):
    """A real worker (solo pool, in a thread) consuming a queue of its own on Redis.

    The app's configuration is changed only for the test and restored after it: tasks
    are sent to the broker instead of running eagerly, and every task is routed to a
    queue named for this test, so a colleague's worker on the same Redis database
    cannot take our tasks, nor ours theirs, and nothing left over from an earlier run
    is consumed.
    """
    queue = f"{QUEUE_PREFIX}{uuid.uuid4().hex[:12]}"
    overrides = {
        "task_always_eager": False,
        "broker_url": redis_broker_url,
        "task_routes": {"*": {"queue": queue}},
    }
    originals = {name: celery_app.conf[name] for name in overrides}
    celery_app.conf.update(overrides)
    try:
        with start_worker(
            celery_app,
            pool="solo",
            perform_ping_check=False,
            shutdown_timeout=WORKER_SHUTDOWN_TIMEOUT_SECONDS,
            WorkController=BoundedStartWorkController,
            queues=[queue],
        ) as worker:
            yield worker
    finally:
        try:
            with celery_app.connection_for_write() as connection:
                connection.default_channel.queue_delete(queue)
        finally:
            celery_app.conf.update(originals)
            # Forget the queues, router and broker connections built for this test.
            for cached in ("queues", "router", "default_queue"):
                celery_app.amqp.__dict__.pop(cached, None)
            celery_app.close()
