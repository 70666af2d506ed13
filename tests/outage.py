"""Pointing the app at a Redis that does not answer, for the fault tests.

Nobody listens on port 1, so a connection is refused at once: the tests are fast, and what
they prove (no error page, nothing lost) holds for a Redis that times out too, only slower
(the timeouts are in settings and ``core.cache``).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.test import override_settings

from clubportal.celery import app as celery_app
from clubportal.settings.base import redis_cache
from core import cache as fallback_cache
from outbox import services as outbox_services

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def forget_broker_connections() -> None:
    """Drop the connection and producer pools Celery built for the broker it had, so the next
    publication connects to the broker configured now."""
    # Not ``celery_app.close()``: it also unregisters the app, and a shared task imported
    # afterwards would not be registered with it.
    for cached in ("queues", "router", "default_queue"):
        celery_app.amqp.__dict__.pop(cached, None)
    celery_app.amqp._producer_pool = None
    celery_app._pool = None


def forget_outages() -> None:
    """Forget the failures the cache and the outbox remember for a few seconds."""
    fallback_cache._down_until.clear()
    outbox_services._broker_down_until.clear()


@contextmanager
def celery_broker(url: str):
    """Tasks are published to the broker at ``url`` (not run in-process) while inside."""
    overrides = {"task_always_eager": False, "broker_url": url}
    originals = {name: celery_app.conf[name] for name in overrides}
    forget_broker_connections()
    forget_outages()
    celery_app.conf.update(overrides)
    try:
        yield
    finally:
        celery_app.conf.update(originals)
        forget_broker_connections()
        forget_outages()


@contextmanager
def cache_on_redis(url: str):
    """The default cache is the production one (Redis with the database fallback) at ``url``."""
    forget_outages()
    with override_settings(CACHES={**settings.CACHES, "default": redis_cache(url)}):
        yield
    forget_outages()


@contextmanager
def redis_unreachable():
    """Production's Redis setup — cache and broker — with Redis down."""
    with cache_on_redis(UNREACHABLE_REDIS), celery_broker(UNREACHABLE_REDIS):
        yield
