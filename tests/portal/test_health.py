"""``/healthz/``: each dependency's state; 503 only when the web process cannot serve (no
database), 200 "degraded" when only Redis is down (see portal.health for why)."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError, connections
from django.utils import timezone

from outbox.models import OutboxTask
from tests.outage import cache_on_redis, celery_broker, redis_unreachable

pytestmark = pytest.mark.django_db

SECRET_REDIS = "redis://:hunter2-secret@127.0.0.1:1/3"


def test_given_everything_up_then_ok_with_each_dependency(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get("/healthz/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["status"] == "ok"
    checks = body["checks"]
    assert set(checks) == {"database", "cache", "broker", "outbox", "beat"}
    assert checks["database"]["status"] == "ok"
    assert checks["cache"]["status"] == "ok"
    assert checks["cache"]["backend"] == ("redis" if settings.REDIS_URL else "database")
    assert checks["broker"] == {"status": "ok", "backend": "in-process"}
    assert checks["outbox"] == {"status": "ok", "waiting": 0, "oldest_waiting_seconds": None}


def test_given_redis_down_then_200_degraded_with_the_details_quickly(client):
    with redis_unreachable():
        started = time.monotonic()
        response = client.get("/healthz/")
        elapsed = time.monotonic() - started

    assert elapsed < 1.0
    assert response.status_code == 200  # the load balancer keeps the web process: it still serves
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["cache"]["status"] == "down"
    assert body["checks"]["cache"]["serving_from"] == "database"
    assert body["checks"]["broker"]["status"] == "down"
    assert body["checks"]["broker"]["tasks"] == "waiting in the outbox"


def test_the_report_shows_no_address_or_password(client):
    with cache_on_redis(SECRET_REDIS), celery_broker(SECRET_REDIS):
        text = client.get("/healthz/").content.decode()

    assert "hunter2" not in text
    assert "127.0.0.1" not in text and "redis://" not in text


def test_given_the_database_down_then_503(client):
    with mock.patch.object(connections["default"], "cursor", side_effect=OperationalError("server closed")):
        response = client.get("/healthz/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["database"] == {"status": "down", "error": "OperationalError", "ms": mock.ANY}


def test_given_a_task_waiting_for_more_than_five_minutes_then_degraded(client):
    OutboxTask.objects.create(
        task_name="members.tasks.send_invitation_email", args=[1], created_at=timezone.now() - timedelta(minutes=6)
    )
    OutboxTask.objects.create(task_name="members.tasks.send_invitation_email", args=[2])

    body = client.get("/healthz/").json()

    assert body["status"] == "degraded"
    assert body["checks"]["outbox"]["status"] == "degraded"
    assert body["checks"]["outbox"]["waiting"] == 2
    assert body["checks"]["outbox"]["oldest_waiting_seconds"] >= 6 * 60
