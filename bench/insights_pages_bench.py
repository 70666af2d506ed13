"""Benchmark (not a test): every Insights page over HTTP (Django's test client, the whole
middleware stack) on an existing club, before and after its snapshots are built, with
concurrent users.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<a copy of realsize_club> \\
        .venv/bin/python bench/insights_pages_bench.py [--users 4] [--rounds 5] [--skip-live]

Steps: (1) unless ``--skip-live``, with no snapshot built (the pages then compute from the
purchases and the ledger), each page once as the club admin, one user; (2) ``manage.py
insights_rebuild`` timed, then ``insights_rebuild --incremental`` timed (nothing new: the
cost of the 10-minute beat task); (3) each page ``--rounds`` times by ``--users``
processes at once (each its own connection and client): mean, p95 and max per page and
over all, and the query count. The database is written (the snapshots): use a copy.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubportal.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PAGES = [
    "/staff/insights/",
    "/staff/insights/?kind=year",
    "/staff/insights/companies/active/",
    "/staff/insights/segments/",
    "/staff/insights/segments/?since=90",
    "/staff/insights/segments/at_risk/",
    "/staff/insights/satisfaction/",
    "/staff/insights/satisfaction/promoters/stopped/",
    "/staff/insights/at-risk/",
    "/staff/insights/value/",
    "/staff/insights/cohorts/",
    "/staff/insights/?kind=month&country=NL",
]
ADMIN = os.environ.get("BENCH_ADMIN", "admin@club.example")


def _client() -> Client:
    from members.models import User

    settings.STAFF_MFA_REQUIRED = False
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(User.objects.get(email=ADMIN))
    return client


def _get(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code}")
    return elapsed


def _worker(args) -> dict[str, list[float]]:
    rounds, offset = args
    connections.close_all()
    client = _client()
    timings: dict[str, list[float]] = {url: [] for url in PAGES}
    for _round in range(rounds):
        # Each user walks the pages from a different start, so the users are on different pages.
        for index in range(len(PAGES)):
            url = PAGES[(index + offset) % len(PAGES)]
            timings[url].append(_get(client, url))
    connections.close_all()
    return timings


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument("--skip-rebuild", action="store_true", help="read the snapshots already built")
    options = parser.parse_args()

    from django.core.management import call_command

    from insights.models import CompanyDay, SnapshotDay, SummaryState
    from rewards.models import LedgerEntry, Purchase

    print(
        f"{connection.settings_dict['NAME']}: {Purchase.objects.count()} purchases, "
        f"{LedgerEntry.objects.count()} ledger entries; {_load()}"
    )
    if not options.skip_live:
        SnapshotDay.objects.all().delete()
        SummaryState.objects.all().delete()
        client = _client()
        print("\nwithout snapshots (live), one user, one run each:")
        for url in PAGES:
            with CaptureQueriesContext(connection) as queries:
                elapsed = _get(client, url)
            print(f"  {url:<52} {elapsed:8.0f} ms  {len(queries.captured_queries):3d} queries  {_load()}")

    if not options.skip_rebuild:
        started = time.perf_counter()
        call_command("insights_rebuild")
        print(
            f"\ninsights_rebuild: {time.perf_counter() - started:.1f} s, {CompanyDay.objects.count()} rows; {_load()}"
        )
    started = time.perf_counter()
    call_command("insights_rebuild", "--incremental")
    print(f"insights_rebuild --incremental: {time.perf_counter() - started:.2f} s; {_load()}")

    client = _client()
    counts = {}
    for url in PAGES:  # warm-up, and the query counts
        with CaptureQueriesContext(connection) as queries:
            _get(client, url)
        counts[url] = len(queries.captured_queries)
    connections.close_all()
    print(f"\nwith snapshots, {options.users} users at once, {options.rounds} rounds of every page; {_load()}")
    with multiprocessing.get_context("fork").Pool(options.users) as pool:
        results = pool.map(_worker, [(options.rounds, offset * 3) for offset in range(options.users)])
    everything = []
    for url in PAGES:
        values = [value for result in results for value in result[url]]
        everything += values
        print(
            f"  {url:<52} mean {statistics.mean(values):6.0f}  p95 {_p95(values):6.0f}  max {max(values):6.0f} ms"
            f"  {counts[url]:3d} queries"
        )
    print(
        f"  {'all pages':<52} mean {statistics.mean(everything):6.0f}  p95 {_p95(everything):6.0f}"
        f"  max {max(everything):6.0f} ms  ({len(everything)} requests); {_load()}"
    )


if __name__ == "__main__":
    main()
