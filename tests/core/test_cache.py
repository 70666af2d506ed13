"""The default cache on Redis falls back to the database cache while Redis is unreachable.

The login throttle and the record of used TOTP codes live in the cache: they must neither
fail the request (a 500 on every login) nor fail open (unlimited guessing) when Redis is down.
"""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.core.cache import cache, caches

from core import cache as fallback_cache
from tests.conftest import require
from tests.outage import UNREACHABLE_REDIS, cache_on_redis

pytestmark = pytest.mark.django_db


def test_given_redis_down_every_cache_operation_works_on_the_database_cache():
    with cache_on_redis(UNREACHABLE_REDIS):
        cache.set("greeting", "hej", 60)
        assert cache.get("greeting") == "hej"
        assert cache.add("once", 1, 60) is True
        assert cache.add("once", 2, 60) is False  # a used TOTP code stays used
        assert cache.incr("once") == 2
        assert cache.get_many(["greeting", "once", "missing"]) == {"greeting": "hej", "once": 2}
        cache.delete("greeting")
        assert cache.get("greeting", "gone") == "gone"
        # the values are in the database cache, where every web process finds them
        assert caches["database"].get("once", version=None) is not None


def test_after_a_failure_redis_is_left_alone_for_a_few_seconds_then_tried_again():
    with cache_on_redis(UNREACHABLE_REDIS):
        backend = caches["default"]
        with pytest.MonkeyPatch.context() as patch:
            attempts = []
            real_get_client = backend._cache.get_client

            def counting_get_client(*args, **kwargs):
                attempts.append(1)
                return real_get_client(*args, **kwargs)

            patch.setattr(backend._cache, "get_client", counting_get_client)
            for _ in range(5):
                cache.get("anything")
            assert len(attempts) == 1  # one connection refused, then straight to the database

            fallback_cache._down_until.clear()  # the pause is over
            cache.get("anything")
            assert len(attempts) == 2


@pytest.mark.redis
def test_given_redis_up_the_values_are_in_redis_not_in_the_database():
    require(bool(settings.REDIS_URL), "Redis (set REDIS_URL)")
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        require(False, f"Redis at {settings.REDIS_URL} ({exc})")

    with cache_on_redis(settings.REDIS_URL):
        cache.set("where", "redis", 60)
        assert cache.get("where") == "redis"
        assert caches["database"].get("where") is None
        cache.delete("where")
