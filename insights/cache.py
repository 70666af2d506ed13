"""Insights' figures kept for a minute, so a dashboard several people open stays fast.

An Insights page adds up the whole club (at real size, 10 000 companies: half a second of
SQL and Python for the overview, whatever the indexes), and the same figures are asked for
again and again: every club admin opens the same overview, a page is reloaded, a filter is
set and cleared. ``remembered`` keeps a page's computed figures (not its HTML: the sentences
are written in each reader's language when shown) in the default cache for
``INSIGHTS_CACHE_SECONDS`` (60; 0 turns it off, as the tests do except those of this module).

**What a key holds**, so no one ever reads figures computed for someone else or from other
data: the page, the reader's scope (the whole club for club admins and Marketing, else the
person: a rep's accounts are their own), the filters and the page's own arguments (period,
reason, …), the programme's currency and point value, and the **data version**: when the
summary was last refreshed or rebuilt and when the last standings were taken
(``insights.snapshots``). A refresh, a rebuild or a new night's standings therefore start
fresh figures at once; what the summary does not hold (logins, answers, the ledger since the
last refresh) is at most ``INSIGHTS_CACHE_SECONDS`` old. The page says when its figures were
computed. A cache that cannot be reached is skipped: the figures are computed as without it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone

from .models import SnapshotDay, SummaryState

logger = logging.getLogger(__name__)
T = TypeVar("T")
KEY_PREFIX = "insights:figures:v1:"


def data_version() -> str:
    """What the figures are computed from, as far as the cache must tell: the summary's
    refresh and rebuild and the latest standings (two queries)."""
    state = SummaryState.objects.values_list("refreshed_at", "rebuilt_at", "reporting_rates").first()
    taken = SnapshotDay.objects.aggregate(last=Max("written_at"))["last"]
    return repr((state, taken))


def cache_key(name: str, *, scope: str, parts: tuple) -> str:
    """The cache key of page ``name`` for ``scope`` with ``parts`` (hashed: filters and ids
    would make it longer than memcached's and readable in Redis)."""
    raw = "\x1f".join([name, scope, *map(repr, parts), data_version()])
    return KEY_PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def remembered(name: str, *, scope: str, parts: tuple, compute: Callable[[], T]) -> tuple[T, datetime]:
    """``compute()`` and when it was computed: from the cache when the same page, scope,
    parts and data version were computed in the last ``INSIGHTS_CACHE_SECONDS``, else now
    (and kept). ``scope`` is ``"club"`` for whoever sees every company, else the person's."""
    seconds = getattr(settings, "INSIGHTS_CACHE_SECONDS", 60)
    if not seconds:
        return compute(), timezone.now()
    key = cache_key(name, scope=scope, parts=parts)
    try:
        hit = cache.get(key)
    except Exception:
        logger.warning("Insights cache unreachable; computing %s", name, exc_info=True)
        hit = None
    if hit is not None:
        return hit
    result = (compute(), timezone.now())
    try:
        cache.set(key, result, seconds)
    except Exception:
        logger.warning("Insights cache unreachable; %s not kept", name, exc_info=True)
    return result
