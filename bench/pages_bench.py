"""Benchmark (not a test): pages at real size against the same pages on the demo club.

    .venv/bin/python bench/pages_bench.py --pages member     # or staff, export, all
    .venv/bin/python bench/pages_bench.py --pages staff --only "rep accounts"

Two databases on DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres):

* the real-size club: ``--db`` (``realsize_pages``), a copy of ``--source``
  (``realsize_club``, built by ``bench/realsize_club.py``; never written to) made with
  ``CREATE DATABASE … TEMPLATE`` when missing (``--fresh`` makes it again), then migrated;
* the demo club: ``--demo-db`` (``pages_demo``), ``migrate`` + ``seed_demo`` when missing.

For each, gunicorn runs with the production settings (as ``bench/api_bench.py`` runs it:
``--workers`` 2, persistent connections, Redis ``BENCH_REDIS_URL``) on
``bench.pages_wsgi:application`` — the project's application plus two response headers
with the request's query count and SQL time (a wrapper loaded by this benchmark only).
Each role gets a logged-in session (staff: a session that passed the second factor, as
after a TOTP login), written into the benchmark's database. Then for every page, after one
warm-up request, ``--clients`` (4) threads request it for ``--seconds`` (8) — at least two
requests each — and the table shows p50 and p95 latency, queries and SQL time (median), for
the real-size club beside the demo, the ratio of the p95s, and any status but 200.
``/healthz/`` is the floor. The machine's load (``uptime``) is printed with the table.

Pages are rows of ``PAGES``: (group, name, role, path template). The path is formatted with
the ``context`` the ``--prepare`` step reads from the database (company ids, the points
history's last page, a campaign…); add a row to add a page.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")

# (group, page, role, path). Roles: large/small (a purchaser of the company with the most
# ledger entries / of a median one), rep (the rep with the most accounts), admin (a club admin).
PAGES: list[tuple[str, str, str, str]] = [
    ("member", "dashboard", "large", "/dashboard/"),
    ("member", "points history, first page", "large", "/points/history/"),
    ("member", "points history, last page", "large", "/points/history/?page={large_last_page}"),
    ("member", "catalogue", "large", "/rewards/"),
    ("member", "orders", "large", "/rewards/orders/"),
    ("member", "activities", "large", "/activities/"),
    ("member", "notifications", "large", "/notifications/"),
    ("member", "offers", "large", "{offers_path}"),
    ("member", "dashboard", "small", "/dashboard/"),
    ("member", "points history, first page", "small", "/points/history/"),
    ("member", "points history, last page", "small", "/points/history/?page={small_last_page}"),
    ("member", "catalogue", "small", "/rewards/"),
    ("member", "orders", "small", "/rewards/orders/"),
    ("member", "activities", "small", "/activities/"),
    ("member", "notifications", "small", "/notifications/"),
    ("member", "offers", "small", "{offers_path}"),
    ("staff", "rep accounts", "rep", "/staff/accounts/"),
    ("staff", "rep accounts by trend", "rep", "/staff/accounts/?sort=trend"),
    ("staff", "rep accounts falling", "rep", "/staff/accounts/?attention=falling"),
    ("staff", "account page, most active", "rep", "/staff/accounts/{large_company}/"),
    ("staff", "club admin accounts", "admin", "/staff/accounts/"),
    ("staff", "fulfilment queue", "admin", "/staff/rewards/"),
    ("staff", "admin: ledger entries", "admin", "/admin/rewards/ledgerentry/"),
    ("staff", "admin: purchases", "admin", "/admin/rewards/purchase/"),
    ("staff", "admin: points accounts", "admin", "/admin/rewards/pointsaccount/"),
    ("staff", "campaign results", "admin", "/admin/campaigns/campaign/{campaign}/results/"),
    ("staff", "insights overview", "admin", "/staff/insights/"),
    ("staff", "insights at risk", "admin", "/staff/insights/at-risk/"),
    ("staff", "insights value", "admin", "/staff/insights/value/"),
    ("staff", "insights segments", "admin", "/staff/insights/segments/"),
    ("staff", "insights satisfaction", "admin", "/staff/insights/satisfaction/"),
    ("staff", "insights at risk, rep", "rep", "/staff/insights/at-risk/"),
    ("staff", "insights cohorts", "admin", "/staff/insights/cohorts/"),
    ("staff", "insights campaigns", "admin", "/staff/insights/campaigns/"),
    ("export", "points history CSV", "large", "/points/history/?_export=csv"),
    ("export", "points history CSV", "small", "/points/history/?_export=csv"),
]

PREPARE = r"""
import json, math
from django.conf import settings
from django.contrib.auth import login
from django.db import connection
from django.test import RequestFactory
from importlib import import_module
from allauth.account.internal.flows.login import record_authentication
from members.models import Membership, User
from members.staff_groups import CLUB_ADMINS, SALES_REPS
from rewards.models import PointsAccount
from cms.models import OfferIndexPage
from campaigns.models import Campaign
from django.db.models import Count

with connection.cursor() as c:
    c.execute("SELECT account_id, count(*) FROM rewards_ledgerentry GROUP BY 1 ORDER BY 2 DESC, 1")
    by_size = c.fetchall()
large_account, large_entries = by_size[0]
small_account, small_entries = by_size[len(by_size) // 2]
def purchaser(account_id):
    company_id = PointsAccount.objects.get(pk=account_id).company_id
    m = (Membership.objects.filter(company_id=company_id, user__is_active=True).order_by("role", "pk")
         .filter(role__in=["purchaser", "admin"]).order_by("-role").first())
    return company_id, m.user
large_company, large_user = purchaser(large_account)
small_company, small_user = purchaser(small_account)
rep = (User.objects.filter(groups__name=SALES_REPS, is_active=True).annotate(n=Count("assigned_companies"))
       .order_by("-n", "pk").first())
admin = User.objects.filter(groups__name=CLUB_ADMINS, is_active=True).order_by("pk").first()
engine = import_module(settings.SESSION_ENGINE)
def session_for(user, staff):
    request = RequestFactory().get("/")
    request.session = engine.SessionStore()
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    if staff:
        record_authentication(request, user, method="mfa", type="totp")
    request.session.save()
    return request.session.session_key
offers = OfferIndexPage.objects.live().first()
campaign = Campaign.objects.exclude(started_at=None).order_by("-audience_size", "pk").first()
print("CONTEXT" + json.dumps({
    "large_company": large_company, "small_company": small_company,
    "large_entries": large_entries, "small_entries": small_entries,
    "large_last_page": max(1, math.ceil(large_entries / 25)), "small_last_page": max(1, math.ceil(small_entries / 25)),
    "offers_path": offers.get_url() if offers else "/",
    "campaign": campaign.pk if campaign else 0,
    "rep_accounts": rep.n,
    "users": {"large": large_user.email, "small": small_user.email, "rep": rep.email, "admin": admin.email},
    "sessions": {"large": session_for(large_user, False), "small": session_for(small_user, False),
                 "rep": session_for(rep, True), "admin": session_for(admin, True)},
}))
"""


def fail(message: str) -> None:
    print(f"pages_bench: {message}", file=sys.stderr)
    sys.exit(1)


def server_urls(db: str) -> tuple[str, str]:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(url)
    return (
        urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, "")),
        urlunsplit(("postgres", parts.netloc, f"/{db}", parts.query, "")),
    )


def exists(admin_url: str, db: str) -> bool:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone())


def env_for(database_url: str, secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DEBUG")}
    env.update(
        DJANGO_SETTINGS_MODULE="clubportal.settings.production",
        DATABASE_URL=database_url,
        DATABASE_CONN_MAX_AGE="60",
        SECRET_KEY=secret,
        SITE_URL="https://bench.invalid",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        LOG_LEVEL="WARNING",
        EMAIL_URL="memorymail://",
        REDIS_URL=REDIS_URL,
    )
    return env


def manage(env: dict, *args: str, quiet: bool = True) -> str:
    done = subprocess.run(
        [str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        fail(f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def ensure_databases(args, secret: str) -> dict[str, str]:
    admin_url, real_url = server_urls(args.db)
    _admin, demo_url = server_urls(args.demo_db)
    if args.fresh or not exists(admin_url, args.db):
        if not exists(admin_url, args.source):
            fail(f"{args.source} does not exist: build it with bench/realsize_club.py")
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.db)))
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(args.db), sql.Identifier(args.source))
            )
    manage(env_for(real_url, secret), "migrate", "-v0")
    if not exists(admin_url, args.demo_db):
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.demo_db)))
        manage(env_for(demo_url, secret), "migrate", "-v0")
        manage(env_for(demo_url, secret), "seed_demo", "--quiet-logins")
    else:
        manage(env_for(demo_url, secret), "migrate", "-v0")
    return {"demo": demo_url, "real": real_url}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen(
        [
            str(GUNICORN),
            "bench.pages_wsgi:application",
            "--chdir",
            str(ROOT),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz/", headers={"Host": "127.0.0.1"})
            conn.getresponse().read()
            return server, port
        except OSError:
            time.sleep(0.5)
    server.terminate()
    fail("gunicorn did not answer /healthz/ within 120 s")
    raise AssertionError


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    bytes: int = 0

    def p(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def fetch(conn: http.client.HTTPConnection, path: str, session: str | None) -> tuple[int, float, int, float, int]:
    headers = {"Host": "127.0.0.1", "Accept-Language": "en"}
    if session:
        headers["Cookie"] = f"sessionid={session}"
    began = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    size = len(response.read())
    elapsed = time.perf_counter() - began
    if response.will_close:
        conn.close()
    queries = int(response.getheader("X-Bench-Queries") or -1)
    sql_ms = float(response.getheader("X-Bench-SQL-ms") or "nan")
    return response.status, elapsed, queries, sql_ms, size


def measure(port: int, path: str, session: str | None, clients: int, seconds: float) -> Figures:
    figures = Figures()
    lock = threading.Lock()
    warm = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    fetch(warm, path, session)
    warm.close()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        done = 0
        while done < 2 or time.perf_counter() < deadline:
            try:
                status, elapsed, queries, sql_ms, size = fetch(conn, path, session)
            except (OSError, http.client.HTTPException):
                conn.close()
                with lock:
                    figures.statuses[0] = figures.statuses.get(0, 0) + 1
                done += 1
                continue
            done += 1
            with lock:
                figures.latencies.append(elapsed)
                figures.queries.append(queries)
                figures.sql_ms.append(sql_ms)
                figures.statuses[status] = figures.statuses.get(status, 0) + 1
                figures.bytes = size
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return figures


def run_dataset(label: str, database_url: str, secret: str, pages, args) -> tuple[dict, dict]:
    env = env_for(database_url, secret)
    out = manage(env, "shell", "-c", PREPARE)
    context = json.loads(out.split("CONTEXT", 1)[1].strip().splitlines()[0])
    print(
        f"{label}: large company {context['large_company']} ({context['large_entries']} entries, "
        f"{context['users']['large']}), small company {context['small_company']} ({context['small_entries']} entries), "
        f"rep {context['users']['rep']} ({context['rep_accounts']} accounts), admin {context['users']['admin']}",
        flush=True,
    )
    server, port = start_server(env, args.workers)
    results = {}
    try:
        results[("floor", "/healthz/", "-")] = measure(port, "/healthz/", None, args.clients, args.seconds)
        for group, name, role, template in pages:
            path = template.format(**context)
            figures = measure(port, path, context["sessions"][role], args.clients, args.seconds)
            results[(group, name, role)] = figures
            print(
                f"  {label:<5} {name:<30} {role:<6} p50 {figures.p(0.5) * 1000:8.0f} ms  p95 {figures.p(0.95) * 1000:8.0f} ms"
                f"  queries {statistics.median(figures.queries) if figures.queries else '-'}  statuses {figures.statuses}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results, context


def main() -> None:
    parser = argparse.ArgumentParser(description="Pages at real size against the demo club.")
    parser.add_argument("--pages", default="member", help="member, staff, export or all (comma-separated)")
    parser.add_argument("--only", default="", help="only pages whose name contains this")
    parser.add_argument("--db", default="realsize_pages")
    parser.add_argument("--source", default="realsize_club")
    parser.add_argument("--demo-db", default="pages_demo")
    parser.add_argument("--fresh", action="store_true", help="copy --source again")
    parser.add_argument("--skip-demo", action="store_true", help="measure the real-size club only")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    groups = {"member", "staff", "export"} if args.pages == "all" else set(args.pages.split(","))
    pages = [p for p in PAGES if p[0] in groups and args.only in p[1]]
    if not pages:
        fail("no page matches --pages/--only")
    secret = secrets.token_urlsafe(64)
    urls = ensure_databases(args, secret)
    manage(env_for(urls["real"], secret), "collectstatic", "--noinput", "-v0")
    load_before = os.getloadavg()
    real, context = run_dataset("real", urls["real"], secret, pages, args)
    demo = {} if args.skip_demo else run_dataset("demo", urls["demo"], secret, pages, args)[0]
    load_after = os.getloadavg()

    def ms(value: float) -> str:
        return "-" if value != value else f"{value * 1000:.0f}"

    print()
    print(
        f"pages_bench: {args.clients} clients, gunicorn -w {args.workers}, {args.seconds:.0f} s per page; "
        f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f} (2 vCPUs)"
    )
    print(f"real-size: {args.db} (copy of {args.source}); large company {context['large_entries']} entries")
    print()
    print("| page | who | p50 ms | p95 ms | queries | SQL ms | demo p95 ms | demo queries | p95 ÷ demo | not 200 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for key, figures in real.items():
        _group, name, role = key
        other = demo.get(key)
        ratio = figures.p(0.95) / other.p(0.95) if other and other.latencies else float("nan")
        bad = {s: n for s, n in figures.statuses.items() if s != 200}
        print(
            f"| {name} | {role} | {ms(figures.p(0.5))} | {ms(figures.p(0.95))} | "
            f"{statistics.median(figures.queries) if figures.queries else '-'} | "
            f"{statistics.median(figures.sql_ms) if figures.sql_ms else float('nan'):.0f} | "
            f"{ms(other.p(0.95)) if other else '-'} | "
            f"{statistics.median(other.queries) if other and other.queries else '-'} | "
            f"{'-' if ratio != ratio else f'{ratio:.2f}'} | {bad or ''} |"
        )


if __name__ == "__main__":
    main()
