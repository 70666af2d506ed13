"""Benchmark (not a test): the staff pages under gunicorn with the production settings, on a
club you built beforehand (``bench/staff_club.sql`` on a demo-seeded database, or a copy of
the real-size club), with concurrent clients.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<a built club> .venv/bin/python bench/staff_pages_bench.py

Logs in as the demo's sales rep (rep.anna@club.example, who owns the 3 500 "Staff" accounts
of ``staff_club.sql``) and club admin (admin@club.example) through the login form
(``STAFF_MFA_REQUIRED=false`` for the server: the second factor is one session check per
request), then for each page runs BENCH_CLIENTS clients (4) for BENCH_SECONDS (8) against
``gunicorn -w BENCH_WORKERS`` (2, sync) and prints p50, p95, requests, and the page's query
count and SQL time from one in-process request. The account page is that of the company with
the most ledger entries. Writes nothing but sessions; Redis database 10 (BENCH_REDIS_URL) is
the server's cache and is emptied before and after.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
PASSWORD = os.environ.get("BENCH_PASSWORD", "club-demo-2026")
REP = os.environ.get("BENCH_REP", "rep.anna@club.example")
ADMIN = "admin@club.example"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def empty_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DEBUG")}
    env.update(
        DJANGO_SETTINGS_MODULE="clubportal.settings.production",
        DATABASE_CONN_MAX_AGE="60",
        SECRET_KEY=secrets.token_urlsafe(64),
        SITE_URL="https://bench.invalid",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        EMAIL_URL="memorymail://",
        REDIS_URL=REDIS_URL,
        STAFF_MFA_REQUIRED="false",
    )
    return env


def cookies_of(response, jar: dict[str, str]) -> None:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name] = rest.split(";", 1)[0]


def request(port: int, path: str, jar: dict[str, str], *, method="GET", body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()), "Host": "127.0.0.1"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"http://127.0.0.1:{port}/accounts/login/"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    cookies_of(response, jar)
    connection.close()
    return response.status, data


def login(port: int, email: str) -> dict[str, str]:
    jar: dict[str, str] = {}
    _status, page = request(port, "/accounts/login/", jar)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    status, _ = request(
        port,
        "/accounts/login/",
        jar,
        method="POST",
        body=urlencode({"csrfmiddlewaretoken": token, "login": email, "password": PASSWORD}),
    )
    if status not in (200, 302) or "sessionid" not in jar:
        raise SystemExit(f"login as {email} failed ({status})")
    return jar


def drive(port: int, path: str, jar: dict[str, str]) -> tuple[list[float], dict[int, int]]:
    times: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def client():
        while time.monotonic() < deadline:
            started = time.perf_counter()
            status, _ = request(port, path, dict(jar))
            elapsed = time.perf_counter() - started
            with lock:
                times.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, statuses


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def queries_of(paths: list[tuple[str, str]]) -> dict[str, tuple[int, float]]:
    """Query count and SQL time of one request to each page, in process (test client)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubportal.settings.local")
    os.environ["STAFF_MFA_REQUIRED"] = "false"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from members.models import User

    result = {}
    clients = {}
    for who, path in paths:
        if who not in clients:
            clients[who] = Client()
            clients[who].force_login(User.objects.get(email=who))
        clients[who].get(path, HTTP_HOST="localhost")  # warm
        with CaptureQueriesContext(connection) as captured:
            clients[who].get(path, HTTP_HOST="localhost")
        result[f"{who} {path}"] = (
            len(captured),
            sum(float(query["time"]) for query in captured.captured_queries),
        )
    return result


def largest_company_id() -> int:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
        return connection.execute(
            """SELECT a.company_id FROM rewards_ledgerentry e JOIN rewards_pointsaccount a ON a.id = e.account_id
               GROUP BY a.company_id ORDER BY count(*) DESC LIMIT 1"""
        ).fetchone()[0]


def main() -> None:
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("Set DATABASE_URL to a built club.")
    big = largest_company_id()
    pages = [
        (REP, "/staff/accounts/"),
        (REP, "/staff/accounts/?sort=-trend"),
        (REP, "/staff/accounts/?attention=falling"),
        (REP, "/staff/accounts/?attention=quiet&sort=-balance"),
        (REP, "/staff/accounts/?sort=-last_purchase_at"),
        (ADMIN, "/staff/accounts/"),
        (ADMIN, "/staff/accounts/?sort=-trend"),
        (ADMIN, f"/staff/accounts/{big}/"),
        (ADMIN, "/staff/rewards/"),
        (ADMIN, "/admin/rewards/ledgerentry/"),
        (ADMIN, "/admin/rewards/purchase/"),
        (ADMIN, "/admin/rewards/pointsaccount/"),
        (REP, "/admin/rewards/ledgerentry/"),
        (ADMIN, "/healthz/"),
    ]
    empty_redis()
    # As a deployment does: the production settings serve hashed static files (a manifest).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=server_env(), check=True
    )
    port = free_port()
    server = subprocess.Popen(
        [
            GUNICORN,
            "clubportal.wsgi",
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "300",
        ],
        cwd=ROOT,
        env=server_env(),
    )
    try:
        for _ in range(120):
            try:
                request(port, "/healthz/", {})
                break
            except OSError:
                time.sleep(0.5)
        jars = {REP: login(port, REP), ADMIN: login(port, ADMIN)}
        print(
            f"load average before: {os.getloadavg()[0]:.2f}; {CLIENTS} clients, gunicorn -w {WORKERS}, {SECONDS:.0f} s a page"
        )
        rows = []
        for who, path in pages:
            request(port, path, dict(jars[who]))  # warm-up
            times, statuses = drive(port, path, jars[who])
            rows.append((who, path, times, statuses))
            print(
                f"{who.split('@')[0]:10} {path:50} p50 {statistics.median(times) * 1000:7.0f} ms  "
                f"p95 {percentile(times, 0.95) * 1000:7.0f} ms  {len(times):5} requests {statuses}",
                flush=True,
            )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        server.terminate()
        server.wait()
        empty_redis()
    counts = queries_of(pages)
    print("\npage | p50 | p95 | queries | SQL time (one request, in process)")
    for who, path, times, _statuses in rows:
        count, sql = counts[f"{who} {path}"]
        print(
            f"| {who.split('@')[0]} `{path}` | {statistics.median(times) * 1000:.0f} ms | "
            f"{percentile(times, 0.95) * 1000:.0f} ms | {count} | {sql * 1000:.0f} ms |"
        )


if __name__ == "__main__":
    main()
