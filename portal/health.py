"""What ``/healthz/`` reports: each dependency of the portal, checked quickly.

A web process needs its database: without it the check answers 503 and the load balancer
takes the process out. Redis (the cache and the broker) is not needed to serve: the cache
falls back to the database (``core.cache``) and tasks wait in the outbox
(``outbox.services``). So Redis being down answers 200 with ``"status": "degraded"`` and the
details: were it 503, a Redis blip would take every web process out of the load balancer at
once and turn a degraded portal into no portal. Monitoring should alert on "degraded".

Cheap on purpose (load balancers ask every few seconds): one ``SELECT 1``, one Redis
``PING`` per distinct Redis server with a 0.5 s timeout, two indexed queries on the
outbox's waiting rows and one on beat's schedule. Nothing secret is shown: no URL, no
host name, only the kind of error.
"""

from __future__ import annotations

import time
from datetime import datetime
from urllib.parse import urlsplit

import redis
from celery import current_app
from django.core.cache import caches
from django.db import Error as DatabaseError
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.cache import FallbackRedisCache
from outbox.selectors import BACKLOG_COUNT_LIMIT, outbox_backlog

PROBE_TIMEOUT_SECONDS = 0.5
# The relay runs every minute: a task waiting longer than this means the broker, the
# workers or beat need a look.
OUTBOX_LATE_SECONDS = 5 * 60
# Beat records its runs in the database every three minutes or so.
RELAY_LATE_SECONDS = 10 * 60
RELAY_SCHEDULE_NAME = "outbox-relay"

OK, DEGRADED, DOWN = "ok", "degraded", "down"

_redis_clients: dict[str, redis.Redis] = {}


def health_report() -> tuple[int, dict]:
    """The HTTP status and the JSON body of ``/healthz/``."""
    checks: dict[str, dict] = {"database": _check_database()}
    redis_answers: dict[str, dict] = {}
    checks["cache"] = _check_cache(redis_answers)
    checks["broker"] = _check_broker(redis_answers)
    if checks["database"]["status"] == OK:
        checks["outbox"] = _check_outbox()
        checks["beat"] = _check_beat()
    if checks["database"]["status"] != OK:
        return 503, {"status": DOWN, "checks": checks}
    degraded = any(check["status"] != OK for check in checks.values())
    return 200, {"status": DEGRADED if degraded else OK, "checks": checks}


def _timed(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _check_database() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return {"status": DOWN, "error": type(exc).__name__, "ms": _timed(started)}
    return {"status": OK, "ms": _timed(started)}


def _ping_redis(url: str, answers: dict[str, dict]) -> dict:
    """PING the Redis server at ``url`` once per report (the cache and the broker are
    usually the same server)."""
    if url not in answers:
        started = time.monotonic()
        client = _redis_clients.get(url)
        if client is None:
            client = _redis_clients[url] = redis.Redis.from_url(
                url, socket_connect_timeout=PROBE_TIMEOUT_SECONDS, socket_timeout=PROBE_TIMEOUT_SECONDS
            )
        try:
            client.ping()
        except (redis.RedisError, OSError) as exc:
            answers[url] = {"status": DOWN, "error": type(exc).__name__, "ms": _timed(started)}
        else:
            answers[url] = {"status": OK, "ms": _timed(started)}
    return dict(answers[url])


def _check_cache(answers: dict[str, dict]) -> dict:
    cache = caches["default"]
    if not isinstance(cache, FallbackRedisCache):
        return {"status": OK, "backend": "database"}
    result = {"backend": "redis", **_ping_redis(cache.redis_url, answers)}
    if result["status"] != OK:
        result["serving_from"] = "database"
    return result


def _check_broker(answers: dict[str, dict]) -> dict:
    app = current_app  # the project's (clubportal.celery)
    if app.conf.task_always_eager:
        return {"status": OK, "backend": "in-process"}
    url = app.conf.broker_url
    scheme = urlsplit(url).scheme
    if scheme not in ("redis", "rediss"):
        return {"status": OK, "backend": scheme}
    result = {"backend": "redis", **_ping_redis(url, answers)}
    if result["status"] != OK:
        result["tasks"] = "waiting in the outbox"
    return result


def _check_outbox() -> dict:
    backlog = outbox_backlog()
    age = _age_seconds(backlog.oldest_created_at)
    waiting = backlog.waiting if backlog.waiting < BACKLOG_COUNT_LIMIT else f"{BACKLOG_COUNT_LIMIT}+"
    return {
        "status": DEGRADED if age is not None and age > OUTBOX_LATE_SECONDS else OK,
        "waiting": waiting,
        "oldest_waiting_seconds": age,
    }


def _check_beat() -> dict:
    """When beat last ran the outbox relay (django-celery-beat's record of it)."""
    last_run = PeriodicTask.objects.filter(name=RELAY_SCHEDULE_NAME).values_list("last_run_at", flat=True).first()
    age = _age_seconds(last_run)
    return {
        "status": DEGRADED if age is not None and age > RELAY_LATE_SECONDS else OK,
        "last_relay_seconds_ago": age,
    }


def _age_seconds(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    return max(0, int((timezone.now() - moment).total_seconds()))
