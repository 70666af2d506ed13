"""Test settings: the same stack as production, made fast and hermetic.

DATABASE_URL and REDIS_URL are honoured, so CI runs the suite on PostgreSQL and Redis.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-insecure-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("EMAIL_URL", "memorymail://")

from .base import *  # noqa: F403
from .base import CACHES, REDIS_URL

# Each pytest-xdist worker has a test database of its own; its entries in a shared Redis must
# be its own too, or one worker reads another's (Wagtail's site root paths: a page's URL came
# back None under a parallel run; allauth's rate limits).
for _alias, _cache in CACHES.items():
    if _cache["BACKEND"] == "core.cache.FallbackRedisCache":
        CACHES[_alias] = {**_cache, "KEY_PREFIX": f"clubportal-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"}

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
# Tests run tasks in-process unless a test starts a real worker (tests/integration/test_celery_worker.py).
CELERY_TASK_ALWAYS_EAGER = True
# Eager tasks still take a producer from kombu's pool, which warns "No hostname was
# supplied" for a URL without one; the in-memory transport ignores the host.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"

# Insights' figures are computed on every view (tests change the data between two views);
# tests/insights/test_cache.py turns the cache on.
INSIGHTS_CACHE_SECONDS = 0
CAMPAIGN_RESULTS_CACHE_SECONDS = 0

# The tests' webhook receivers listen on loopback.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
