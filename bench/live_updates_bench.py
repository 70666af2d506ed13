"""Measurement (not a test): what one open portal tab costs the server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<a database with the demo club> \\
        .venv/bin/python bench/live_updates_bench.py

An open page asks ``GET /live/badges/`` every ``LIVE_BADGES_SECONDS`` (the bell and the
Messages count), and an open conversation also asks ``GET /messages/<id>/after/?after=<id>``
every ``LIVE_THREAD_SECONDS``. This runs each poll ``BENCH_REQUESTS`` times in-process
(Django's test client: the whole middleware stack, no network) as the demo purchaser and
the demo rep, counts the queries of one poll, and reports the median and 95th percentile
time. A normal page (the dashboard) is measured the same way for comparison. Needs the
demo club (``manage.py seed_demo``); writes nothing but one message in a conversation of
the demo company (to measure a poll that finds something new) and read marks.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubportal.settings.test")
os.environ.setdefault("STAFF_MFA_REQUIRED", "false")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from members.models import User  # noqa: E402
from messaging.models import Thread  # noqa: E402
from messaging.services import message_post  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
settings.ALLOWED_HOSTS = ["*"]


def measure(client: Client, url: str, expected: int) -> tuple[int, int, float, float]:
    response = client.get(url)  # warm the per-process caches
    assert response.status_code == expected, (url, response.status_code)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    # Read now: the captured list is a view of the connection's log, which the next request clears.
    queries = [query["sql"] for query in captured]
    writes = sum(1 for sql in queries if not sql.lstrip().upper().startswith("SELECT"))
    timings = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return len(queries), writes, statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main() -> None:
    member = User.objects.get(email="purchaser@bergstrom.example")
    rep = User.objects.get(email="rep.anna@club.example")
    thread = Thread.objects.filter(company=member.membership.company).order_by("-last_message_at").first()
    rows = []
    for who, user, thread_url in (
        ("member", member, f"/messages/{thread.pk}/"),
        ("rep", rep, f"/staff/messages/{thread.pk}/"),
    ):
        client = Client()
        client.force_login(user)
        client.get(thread_url)  # the open page: its read mark exists, as after a real visit
        last = Thread.objects.get(pk=thread.pk).last_message_id
        rows.append((who, "GET /live/badges/", *measure(client, "/live/badges/", 200)))
        rows.append((who, "GET …/after/ (nothing new: 204)", *measure(client, f"{thread_url}after/?after={last}", 204)))
        rows.append((who, "GET /dashboard/ (a normal page)", *measure(client, "/dashboard/", 200)))
    # A poll that finds one new message (the thread view marks it read): measured once per run,
    # since it is new only once.
    client = Client()
    client.force_login(member)
    last = Thread.objects.get(pk=thread.pk).last_message_id
    message_post(thread=thread, author=rep, body="Benchmark: one new message.")
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get(f"/messages/{thread.pk}/after/?after={last}")
        elapsed = (time.perf_counter() - started) * 1000
    new_queries = [query["sql"] for query in captured]
    assert response.status_code == 200
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}, {REQUESTS} requests per row")
    print("| who | request | queries | writes | median ms | p95 ms |")
    print("|---|---|---|---|---|---|")
    for who, request, queries, writes, median, p95 in rows:
        print(f"| {who} | {request} | {queries} | {writes} | {median:.1f} | {p95:.1f} |")
    writes = sum(1 for sql in new_queries if not sql.lstrip().upper().startswith("SELECT"))
    print(f"| member | GET …/after/ (one new message: 200) | {len(new_queries)} | {writes} | {elapsed:.1f} (once) | |")


if __name__ == "__main__":
    main()
