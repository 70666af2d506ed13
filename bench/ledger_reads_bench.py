"""Benchmark (not a test): the ledger reads every member and rep page makes, on the real-size
club, in process, one request at a time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/realsize_club .venv/bin/python bench/ledger_reads_bench.py

Reads (never writes; the expiry run is rolled back) the database DATABASE_URL names, default
``realsize_club`` built by ``bench/realsize_club.py``. For the most active account, a median one
and the 25 most active together, it times (median and max of BENCH_REPEAT runs, default 7,
after one warm-up) and counts the queries of:

* ``account_summary`` — what the dashboard, the points history and the rep's account page show
  first (balance, pending with release dates, expiring in 60 days, tier progress);
* ``points_expiring_by_account`` — the expiring points on a page of the rep's accounts;
* ``points_expire`` — the nightly FIFO expiry over every account (in a transaction that is
  rolled back), once.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubportal.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/realsize_club")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "7"))


def timed(label: str, read, repeat: int = REPEAT) -> None:
    read()  # warm-up: plans and pages in the cache, as on a live server
    walls = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            read()
            walls.append((time.perf_counter() - started) * 1000)
    sql = sum(float(query["time"]) for query in queries.captured_queries) * 1000
    print(
        f"| {label} | {statistics.median(walls):,.1f} | {max(walls):,.1f} | {len(queries)} | {sql:,.1f} |",
        flush=True,
    )


def main() -> None:
    from rewards.ledger.selectors import account_summary, points_expiring_by_account
    from rewards.ledger.services import points_expire
    from rewards.models import PointsAccount

    with connection.cursor() as cursor:
        cursor.execute("SELECT account_id, count(*) FROM rewards_ledgerentry GROUP BY 1 ORDER BY 2 DESC, 1")
        by_size = cursor.fetchall()
    if not by_size:
        sys.exit("ledger_reads_bench: the ledger is empty; build the club with bench/realsize_club.py")
    large_id, large_entries = by_size[0]
    median_id, median_entries = by_size[len(by_size) // 2]
    busiest = [account_id for account_id, _ in by_size[:25]]
    accounts = PointsAccount.objects.select_related("company").in_bulk([large_id, median_id])
    now = timezone.now()
    print(
        f"database {connection.settings_dict['NAME']}: {sum(n for _, n in by_size):,} entries, {len(by_size):,} accounts"
    )
    print(f"most active account {large_id}: {large_entries:,} entries, pending {accounts[large_id].pending:,}")
    print(f"median account {median_id}: {median_entries:,} entries\n")
    print("| read | median ms | max ms | queries | SQL ms (last run) |")
    print("|---|---:|---:|---:|---:|")
    for label, account_id in (("most active", large_id), ("median", median_id)):
        company = accounts[account_id].company
        timed(f"account_summary, {label} account", lambda company=company: account_summary(company=company, now=now))
    timed(
        "points_expiring_by_account, the 25 most active",
        lambda: points_expiring_by_account(now=now, until=now + timedelta(days=60), account_ids=busiest),
    )

    def expire_rolled_back() -> None:
        with transaction.atomic():
            points_expire(now=now)
            transaction.set_rollback(True)

    timed("points_expire, every account (rolled back)", expire_rolled_back, repeat=1)


if __name__ == "__main__":
    main()
