"""Bounded waits for row locks in interactive writes.

A CSV import chunk holds the points-account rows of its companies until it commits; an API
post or a portal order for one of those companies needs the same row lock. Without a bound
the request waits until gunicorn kills the worker, and with every worker waiting the site
serves nothing. ``bounded_lock_wait`` opens a transaction in which any lock wait longer than
``settings.LOCK_WAIT_SECONDS`` fails with ``LockWaitTimeout`` (a domain error: the API
answers 503 with ``Retry-After``, the portal asks the person to try again); the transaction
rolls back, so nothing is saved.

Use it around the service call of every interactive write::

    with bounded_lock_wait():
        purchase_record(...)

Services open their own ``transaction.atomic()`` inside: it becomes a savepoint of this one,
so the bound covers every lock they take. Background work (imports, beat jobs) does not use
it: a job may wait. On PostgreSQL this is ``SET LOCAL lock_timeout``, which ends with the
transaction; SQLite has no row locks (its whole-database lock has its own timeout).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils.translation import gettext as _

# PostgreSQL's SQLSTATE for "lock_not_available", raised when lock_timeout expires.
_LOCK_NOT_AVAILABLE = "55P03"


class LockWaitTimeout(Exception):
    """A row this write needs stayed locked by another transaction longer than the bound;
    nothing was saved. ``retry_after`` is a sensible wait in seconds before trying again."""

    def __init__(self, retry_after: int):
        super().__init__(f"A record this change needs is busy; try again in {retry_after} seconds.")
        self.retry_after = retry_after


def busy_message() -> str:
    """What a person is told when their change met a lock it could not wait for."""
    return _(
        "This account is busy right now (an import is running), so nothing was saved. Please try again in a moment."
    )


def _is_lock_timeout(exc: BaseException) -> bool:
    cause = exc.__cause__ or exc
    return getattr(cause, "sqlstate", None) == _LOCK_NOT_AVAILABLE or getattr(cause, "pgcode", None) == (
        _LOCK_NOT_AVAILABLE
    )


@contextmanager
def bounded_lock_wait(seconds: int | None = None) -> Iterator[None]:
    """A transaction in which waiting for a lock longer than ``seconds`` (default
    ``settings.LOCK_WAIT_SECONDS``) raises ``LockWaitTimeout`` after rolling back.

    Meant as the outermost transaction of the write: ``SET LOCAL`` lasts until the
    outermost transaction ends, so inside one already open the bound also covers what
    follows the block in it.
    """
    seconds = seconds or settings.LOCK_WAIT_SECONDS
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(seconds * 1000)}ms"])
            yield
    except OperationalError as exc:
        if _is_lock_timeout(exc):
            raise LockWaitTimeout(retry_after=max(1, seconds)) from exc
        raise
