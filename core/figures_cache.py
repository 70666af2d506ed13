"""Computed figures kept for a short while, so a page several people open stays fast.

A page that adds up a large part of the club (Insights, a campaign's results against its
hold-out) is asked for again and again with the same answer: a reload, a second admin, a
filter set and cleared. ``remembered`` keeps the computed figures (never the HTML) in a
cache of their own (Redis, else each process's memory; never the database cache, whose
culling would take other keys with it) for a number of seconds, and says when they were
computed, for the page to show. The caller's key parts name everything the figures depend
on (the page, the reader's scope, filters, the point value, …) — only what is not in the key
may be up to that many seconds old. A cache that cannot be reached is skipped: the figures
are computed as without it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from django.utils import timezone

logger = logging.getLogger(__name__)
T = TypeVar("T")


def figures_key(prefix: str, parts: tuple) -> str:
    """``prefix`` and a hash of ``parts`` (ids and filters would make a key longer than
    memcached allows, and readable in Redis)."""
    raw = "\x1f".join(map(repr, parts))
    return prefix + hashlib.sha256(raw.encode()).hexdigest()


def cached_many(cache, keys: list[str]) -> dict[str, Any]:
    """``keys``' values found in ``cache``; none when it cannot be reached (only slower)."""
    try:
        return cache.get_many(keys)
    except Exception:
        logger.warning("Figures cache unreachable; computing", exc_info=True)
        return {}


def remembered(cache, key: str, *, seconds: int, compute: Callable[[], T]) -> tuple[T, datetime]:
    """``compute()`` and when it was computed: from ``cache`` when ``key`` was computed in
    the last ``seconds``, else now (and kept). ``seconds`` 0: always now, nothing kept."""
    if not seconds:
        return compute(), timezone.now()
    hit = cached_many(cache, [key]).get(key)
    if hit is not None:
        return hit
    result = (compute(), timezone.now())
    try:
        cache.set(key, result, seconds)
    except Exception:
        logger.warning("Figures cache unreachable; %s not kept", key, exc_info=True)
    return result
