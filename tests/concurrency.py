"""Real-thread races on PostgreSQL for the concurrency tests.

Each call runs in a thread of its own database connection; all threads are released
together by a barrier, so the calls really overlap inside the database.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import NamedTuple

from django.db import connection, transaction


def free_connections() -> int:
    """Connections this server can still open, keeping a margin for colleagues."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity")
        return cursor.fetchone()[0] - 10


class Race(NamedTuple):
    outcomes: Counter  # "ok", "refused" or "error: <type>: <message>", counted
    results: list  # what the successful calls returned
    refusals: list[str]  # the refusals' messages


def race(calls: Sequence[Callable], *, refused: tuple[type[Exception], ...]) -> Race:
    """Run ``calls`` in up to one thread each, all released at once.

    An outcome is ``"ok"``, ``"refused"`` (one of the ``refused`` exceptions: a clean
    refusal by a service, its message kept) or ``"error: <type>: <message>"`` (anything
    else: a bug). With fewer free connections than calls, the calls are spread over the
    threads there are (at least half as many).
    """
    threads = min(len(calls), free_connections())
    assert threads >= len(calls) // 2, "not enough database connections for a meaningful race"
    barrier = threading.Barrier(threads)
    outcomes: Counter = Counter()
    results: list = []
    refusals: list[str] = []
    lock = threading.Lock()

    def worker(my_calls: Sequence[Callable]) -> None:
        try:
            barrier.wait(timeout=30)
            for call in my_calls:
                result = message = None
                try:
                    result = call()
                    outcome = "ok"
                except refused as exc:
                    outcome, message = "refused", str(exc)
                except Exception as exc:  # anything else is a bug; report it with its type
                    outcome = f"error: {type(exc).__name__}: {exc}"
                with lock:
                    outcomes[outcome] += 1
                    if outcome == "ok" and result is not None:
                        results.append(result)
                    if message is not None:
                        refusals.append(message)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(calls[n::threads],)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=120)
    return Race(outcomes, results, refusals)


class AccountLockHolder:
    """Holds ``company``'s points-account row lock in another thread (as an import chunk
    does) until released."""

    def __init__(self, company):
        self.company = company
        self.locked = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        from rewards.ledger.services import points_account_lock

        try:
            with transaction.atomic():
                points_account_lock(company_id=self.company.pk)
                self.locked.set()
                self.release.wait(timeout=60)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(timeout=10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(timeout=30)
