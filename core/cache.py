"""The default cache with Redis: Django's ``RedisCache`` that falls back to another cache
(the database cache) while Redis cannot be reached, instead of failing the request.

What lives in the cache must keep working during a Redis outage: allauth's rate limits
(failed logins, password resets) and its record of used TOTP codes. Ignoring the cache
(fail open) would drop those guards exactly when something is wrong; raising (fail
closed) turned every login and password reset into an error page. So every operation that
cannot reach Redis is done on the fallback cache, which shares the database every web
process already needs.

After a failure, Redis is left alone for ``RETRY_AFTER`` seconds (per process), so a page
with several cache calls pays one connect timeout, not one per call. When Redis answers
again, values written to the fallback meanwhile are not carried over: a rate-limit window
starts afresh and a cached value deleted during the outage may be served again until it
expires (Wagtail's site root paths, at most an hour).
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

REDIS_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
DEFAULT_RETRY_AFTER_SECONDS = 5.0

_lock = threading.Lock()
_down_until: dict[str, float] = {}  # LOCATION -> monotonic time (cache instances are per thread)


def _falls_back(name: str):
    def method(self, *args, **kwargs):
        if not self.redis_recently_down():
            try:
                return getattr(RedisCache, name)(self, *args, **kwargs)
            except REDIS_UNREACHABLE as exc:
                self._redis_failed(exc)
        return getattr(self.fallback, name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"``RedisCache.{name}``, or the fallback cache's while Redis cannot be reached."
    return method


class FallbackRedisCache(RedisCache):
    """``RedisCache`` with ``OPTIONS["FALLBACK"]`` (another cache's alias) used while Redis
    is unreachable, and ``OPTIONS["RETRY_AFTER"]`` seconds (default 5) between attempts.
    The other options go to redis-py as usual (set short socket timeouts)."""

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        self._fallback_alias = options.pop("FALLBACK")
        self._retry_after = float(options.pop("RETRY_AFTER", DEFAULT_RETRY_AFTER_SECONDS))
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._location = ",".join(self._servers)

    @property
    def fallback(self):
        return caches[self._fallback_alias]

    def redis_recently_down(self) -> bool:
        return _down_until.get(self._location, 0.0) > time.monotonic()

    @property
    def redis_url(self) -> str:
        """The (first) Redis server's URL, for the health check."""
        return self._servers[0]

    def _redis_failed(self, exc: BaseException) -> None:
        with _lock:
            already = self.redis_recently_down()
            _down_until[self._location] = time.monotonic() + self._retry_after
        if not already:
            logger.warning(
                "Redis cache unreachable (%s); using the %r cache for %s s.",
                type(exc).__name__,
                self._fallback_alias,
                self._retry_after,
            )

    add = _falls_back("add")
    get = _falls_back("get")
    set = _falls_back("set")
    touch = _falls_back("touch")
    delete = _falls_back("delete")
    get_many = _falls_back("get_many")
    has_key = _falls_back("has_key")
    incr = _falls_back("incr")
    set_many = _falls_back("set_many")
    delete_many = _falls_back("delete_many")
    clear = _falls_back("clear")
