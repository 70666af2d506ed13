"""Time one page in this process: its status, wall time, query count and SQL time per run,
and (``--show N``) its N slowest queries. Not a test; for finding where a page's time goes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/realsize_pages STAFF_MFA_REQUIRED=false \\
        .venv/bin/python bench/page_profile.py /staff/insights/ --runs 4 [--user EMAIL] [--show 5] [--profile 25]

Without ``--user`` it signs in as the first club admin (``force_login``: no login, no MFA).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubportal.settings.local")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--user", default="")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--show", type=int, default=0)
    parser.add_argument(
        "--profile", type=int, default=0, help="profile the last run and print its N costliest functions (cumulative)"
    )
    options = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from members.models import User
    from members.staff_groups import CLUB_ADMINS

    settings.ALLOWED_HOSTS = ["*"]
    if options.user:
        user = User.objects.get(email=options.user)
    else:
        user = User.objects.filter(is_staff=True, groups__name=CLUB_ADMINS).order_by("pk").first()
    client = Client()
    client.force_login(user)
    profiler = cProfile.Profile() if options.profile else None
    for run in range(options.runs):
        last = run == options.runs - 1
        with CaptureQueriesContext(connection) as queries:
            if profiler and last:
                profiler.enable()
            started = time.perf_counter()
            response = client.get(options.url)
            if response.streaming:
                b"".join(response.streaming_content)
            elapsed = time.perf_counter() - started
            if profiler and last:
                profiler.disable()
        sql = sum(float(query["time"]) for query in queries.captured_queries)
        print(
            f"run {run}: {response.status_code} {elapsed * 1000:.0f} ms, "
            f"{len(queries.captured_queries)} queries, SQL {sql * 1000:.0f} ms"
        )
    for query in sorted(queries.captured_queries, key=lambda query: -float(query["time"]))[: options.show]:
        print(f"{float(query['time']) * 1000:8.0f} ms  {query['sql'][:300]}")
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(options.profile)


if __name__ == "__main__":
    main()
