"""Insights' figures kept for a minute, so a dashboard several people open stays fast.

An Insights page adds up the whole club (at real size, 10 000 companies: half a second of
SQL and Python for the overview, whatever the indexes), and the same figures are asked for
again and again: every club admin opens the same overview, a page is reloaded, a filter is
set and cleared. ``remembered`` keeps a page's computed figures (not its HTML) in the
``insights`` cache (Redis, else each process's memory; never the database cache) for
``INSIGHTS_CACHE_SECONDS`` (60; 0 turns it off, as the tests do except those of this module).

**What a key holds**, so no one ever reads figures computed for someone else or from other
data: the page, the reader's scope (the whole club for club admins and Marketing, else the
person: a rep's accounts are their own), the filters and the page's own arguments (period,
reason, …), the programme's currency and point value, the reader's language (segment and
satisfaction labels are translated when computed), and the **data version**: when the
summary was last refreshed or rebuilt and when the last standings were taken
(``insights.snapshots``). A refresh, a rebuild or a new night's standings therefore start
fresh figures at once; what the summary does not hold (logins, answers, the ledger since the
last refresh) is at most ``INSIGHTS_CACHE_SECONDS`` old. The page says when its figures were
computed. A cache that cannot be reached is skipped: the figures are computed as without it.

A long list (every account at risk, every company's lifetime value: thousands of rows) is
kept in chunks of ``ROWS_PER_CHUNK`` (``remembered_rows``), so a page of 50 reads and
unpickles its own rows, not the club's: unpickling 10 000 rows on every view cost more than
the page (and woke the garbage collector for another 150 ms one view in three).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db.models import Max
from django.utils import timezone
from django.utils.connection import ConnectionProxy

from core.figures_cache import cached_many, figures_key
from core.figures_cache import remembered as core_remembered

from .models import SnapshotDay, SummaryState

logger = logging.getLogger(__name__)
# Its own cache (settings: Redis, else each process's memory), never the database cache,
# whose culling would take other apps' keys with it.
cache = ConnectionProxy(caches, "insights")
T = TypeVar("T")
KEY_PREFIX = "insights:figures:v1:"
ROWS_PER_CHUNK = 100
CHUNKS_PER_READ = 20  # an export reads this many chunks per round trip


def data_version() -> str:
    """What the figures are computed from, as far as the cache must tell: the summary's
    refresh and rebuild and the latest standings (two queries)."""
    state = SummaryState.objects.values_list("refreshed_at", "rebuilt_at", "reporting_rates").first()
    taken = SnapshotDay.objects.aggregate(last=Max("written_at"))["last"]
    return repr((state, taken))


def cache_key(name: str, *, scope: str, parts: tuple) -> str:
    """The cache key of page ``name`` for ``scope`` with ``parts`` and the data version."""
    return figures_key(KEY_PREFIX, (name, scope, *parts, data_version()))


def _seconds() -> int:
    return getattr(settings, "INSIGHTS_CACHE_SECONDS", 60)


def _get_many(keys: list[str]) -> dict[str, Any]:
    return cached_many(cache, keys)


def remembered(name: str, *, scope: str, parts: tuple, compute: Callable[[], T]) -> tuple[T, datetime]:
    """``compute()`` and when it was computed: from the cache when the same page, scope,
    parts and data version were computed in the last ``INSIGHTS_CACHE_SECONDS``, else now
    (and kept). ``scope`` is ``"club"`` for whoever sees every company, else the person's."""
    seconds = _seconds()
    if not seconds:
        return compute(), timezone.now()
    return core_remembered(cache, cache_key(name, scope=scope, parts=parts), seconds=seconds, compute=compute)


class CachedRows(Sequence):
    """A list kept in chunks: ``len()`` from the head entry, each slice or item from the
    chunks it spans (one round trip). A chunk gone from the cache (evicted, expired between
    two reads) makes the whole list computed again and kept afresh."""

    def __init__(self, key: str, length: int, refill: Callable[[], list]):
        self.key, self.length, self._refill, self._rows = key, length, refill, None

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(self.length)
            if step < 0:  # backwards: rare, so the whole list
                return list(self)[index]
            if start >= stop:
                return []
            first, last = start // ROWS_PER_CHUNK, (stop - 1) // ROWS_PER_CHUNK
            rows = self._chunks(first, last)
            return rows[start - first * ROWS_PER_CHUNK : stop - first * ROWS_PER_CHUNK : step]
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError(index)
        return self[index : index + 1][0]

    def __iter__(self):
        for first in range(0, self.length, ROWS_PER_CHUNK * CHUNKS_PER_READ):
            yield from self[first : first + ROWS_PER_CHUNK * CHUNKS_PER_READ]

    def _chunks(self, first: int, last: int) -> list:
        if self._rows is not None:
            return self._rows[first * ROWS_PER_CHUNK : (last + 1) * ROWS_PER_CHUNK]
        keys = [f"{self.key}:{number}" for number in range(first, last + 1)]
        found = _get_many(keys)
        if len(found) < len(keys):
            self._rows = self._refill()
            return self._chunks(first, last)
        return [row for key in keys for row in found[key]]


def remembered_rows(
    name: str, *, scope: str, parts: tuple, compute: Callable[[], tuple[list, Any]]
) -> tuple[tuple[Sequence, Any], datetime]:
    """``remembered`` for ``compute()`` returning ``(rows, rest)`` with a long ``rows``:
    ``rest`` and the length in one entry, the rows in chunks (``CachedRows``)."""
    seconds = _seconds()
    if not seconds:
        return compute(), timezone.now()
    key = cache_key(name, scope=scope, parts=parts)
    head = _get_many([key]).get(key)

    def refill() -> list:
        rows, rest = compute()
        _keep(key, rows, rest, timezone.now(), seconds)
        return list(rows)

    if head is not None:
        length, rest, computed_at = head
        return (CachedRows(key, length, refill), rest), computed_at
    rows, rest = compute()
    computed_at = timezone.now()
    _keep(key, rows, rest, computed_at, seconds)
    return (rows, rest), computed_at


def _keep(key: str, rows: list, rest: Any, computed_at: datetime, seconds: int) -> None:
    """The chunks first, then the head: a reader who finds the head finds its chunks."""
    chunks = {
        f"{key}:{number}": rows[start : start + ROWS_PER_CHUNK]
        for number, start in enumerate(range(0, len(rows), ROWS_PER_CHUNK))
    }
    try:
        cache.set_many(chunks, seconds)
        cache.set(key, (len(rows), rest, computed_at), seconds)
    except Exception:
        logger.warning("Insights cache unreachable; rows not kept", exc_info=True)
