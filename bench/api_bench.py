"""Benchmark (not a test): single-purchase API posts against a trivial authenticated endpoint,
then batches (``POST /api/v1/purchases/batch``) and a bulk job (``POST /api/v1/imports``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/api_bench.py

Creates a scratch PostgreSQL database (``clubportal_bench_api``) on the server DATABASE_URL
points at, migrates it, seeds companies and an API client, and starts gunicorn with the
production settings on a free loopback port. Then 16 client threads (http.client, one
connection each, reconnecting when the server closes it) call ``GET /api/v1/ping`` (only
authenticates) and post unique single purchases to ``POST /api/v1/purchases``, each for
BENCH_SECONDS in total, alternating in four rounds so changing background load hits both alike. Prints throughput and latency for both and the ratio
(target: purchases ≥ 50 % of ping). Stops gunicorn and drops the scratch database at the end,
also on failure.

The server runs as production does: with a Redis broker (BENCH_REDIS_URL, default
redis://127.0.0.1:6379/15, emptied before and after), so the "points arrived" notice a
purchase queues goes to the broker instead of running inside the request. No worker
consumes it during the run.

Then batches: BENCH_BATCH_CLIENTS (2) threads post batches of BENCH_BATCH_SIZE (1 000) new
purchases for BENCH_SECONDS / 2; and one bulk job: a CSV of BENCH_BULK_ROWS (100 000) purchases
posted to ``/api/v1/imports`` and followed with ``GET`` until done, run by a Celery worker
(``-c 1``) started for it. Each prints purchases per second.

Environment: BENCH_GUNICORN_TIMEOUT (300 s), BENCH_DB (scratch database name, default clubportal_bench_api), BENCH_SECONDS (default 20), BENCH_CLIENTS (16), BENCH_WORKERS (gunicorn -w, 2),
BENCH_COMPANIES (200), BENCH_REDIS_URL, BENCH_KEEP_DB=1 to keep the database for a look
afterwards.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
SCRATCH_DB = os.environ.get("BENCH_DB", "clubportal_bench_api")
CELERY = ROOT / ".venv" / "bin" / "celery"
BATCH_CLIENTS = int(os.environ.get("BENCH_BATCH_CLIENTS", "2"))
BATCH_SIZE = int(os.environ.get("BENCH_BATCH_SIZE", "1000"))
BULK_ROWS = int(os.environ.get("BENCH_BULK_ROWS", "100000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
COMPANIES = int(os.environ.get("BENCH_COMPANIES", "200"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
MAX_REQUESTS_PER_CLIENT = 1_000_000  # a bound besides time
WARM_UP_SECONDS = 2.0
ROUNDS = 4

SEED = """
from members.models import Company
from rewards.models import ProgrammeRules
from api.services import api_client_create

ProgrammeRules.current()
Company.objects.bulk_create(
    Company(name=f"Bench {{n}} AB", org_number=f"55{{n:04d}}-0000", external_id=f"BENCH-{{n}}")
    for n in range({companies})
)
_client, token = api_client_create(name="Benchmark", source="bench", created_by=None)
print("TOKEN", token)
"""


def fail(message: str) -> None:
    print(f"api_bench: {message}", file=sys.stderr)
    sys.exit(1)


def database_urls() -> tuple[str, str]:
    """(admin URL on the same server, scratch database URL)."""
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        fail("set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    scratch = urlunsplit(("postgres", parts.netloc, f"/{SCRATCH_DB}", parts.query, ""))
    return admin, scratch


def recreate_database(admin_url: str, *, create: bool) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(SCRATCH_DB)))
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(SCRATCH_DB)))


def empty_redis() -> None:
    """Empty the scratch Redis database (queued tasks, cache); fail clearly if Redis is down."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.RedisError as exc:
        fail(f"Redis at {REDIS_URL} is not reachable ({exc}); start it or set BENCH_REDIS_URL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DEBUG")}
    env.update(
        DJANGO_SETTINGS_MODULE="clubportal.settings.production",
        DATABASE_URL=database_url,
        # Persistent connections, as a production deployment would run.
        DATABASE_CONN_MAX_AGE="60",
        SECRET_KEY=secrets.token_urlsafe(64),
        SITE_URL="https://bench.invalid",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        EMAIL_URL="memorymail://",
        REDIS_URL=REDIS_URL,
    )
    return env


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    def merge(self, other: Result) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count


def drive(port: int, token: str, seconds: float, make_request) -> tuple[Result, float]:
    """CLIENTS threads, one keep-alive connection each, for ``seconds``; returns (result, elapsed)."""
    result = Result()
    lock = threading.Lock()
    start_barrier = threading.Barrier(CLIENTS + 1)
    deadline_holder: list[float] = []

    def client(number: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        errors = 0
        start_barrier.wait()
        deadline = deadline_holder[0]
        for sequence in range(MAX_REQUESTS_PER_CLIENT):
            if time.perf_counter() >= deadline:
                break
            method, path, body = make_request(number, sequence)
            headers = {"Authorization": f"Bearer {token}", "Host": "127.0.0.1"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            began = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                continue
            latencies.append(time.perf_counter() - began)
            statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()
        with lock:
            result.latencies.extend(latencies)
            result.errors += errors
            for status, count in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + count

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline_holder.append(began + seconds)
    start_barrier.wait()
    for thread in threads:
        thread.join()
    return result, time.perf_counter() - began


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))] if ordered else float("nan")


def report(name: str, result: Result, elapsed: float, expected_status: int) -> float:
    ok = result.statuses.get(expected_status, 0)
    throughput = ok / elapsed
    print(
        f"{name:<26} {throughput:8.1f} req/s   p50 {percentile(result.latencies, 0.50) * 1000:7.1f} ms"
        f"   p95 {percentile(result.latencies, 0.95) * 1000:7.1f} ms   requests {sum(result.statuses.values())}"
        f"   statuses {dict(sorted(result.statuses.items()))}   connection errors {result.errors}"
    )
    return throughput


def run_batches(port: int, token: str, run: str, occurred_at: str) -> None:
    """BATCH_CLIENTS threads posting batches of BATCH_SIZE new purchases for SECONDS / 2."""
    created = [0] * BATCH_CLIENTS
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.perf_counter() + SECONDS / 2

    def client(number: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        sequence = 0
        while time.perf_counter() < deadline:
            items = [
                {
                    "external_id": f"{run}-batch-{number}-{sequence}-{index}",
                    "company": f"BENCH-{(number * 7919 + sequence * BATCH_SIZE + index) % COMPANIES}",
                    "occurred_at": occurred_at,
                    "net_amount": f"{100 + index % 900}.50",
                    "currency": "SEK",
                    "lines": [{"sku": "SKU-1", "amount": f"{100 + index % 900}.50"}],
                }
                for index in range(BATCH_SIZE)
            ]
            sequence += 1
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Host": "127.0.0.1"}
            conn.request("POST", "/api/v1/purchases/batch", body=json.dumps({"items": items}), headers=headers)
            response = conn.getresponse()
            body = response.read()
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
            if response.status == 200:
                created[number] += json.loads(body)["created"]
        conn.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(BATCH_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    print(
        f"{'POST /purchases/batch':<26} {sum(created) / elapsed:8.1f} purchases/s   "
        f"({BATCH_CLIENTS} clients, {BATCH_SIZE} a batch, {sum(created)} created in {elapsed:.1f} s, statuses {statuses})",
        flush=True,
    )


def run_bulk(port: int, token: str, run: str, occurred_at: str) -> None:
    """One CSV of BULK_ROWS purchases posted as a job, followed until done."""
    rows = "".join(
        f"BENCH-{(n * 7919) % COMPANIES},bench,{run}-bulk-{n},{occurred_at},{100 + n % 900}.50,SEK\n"
        for n in range(BULK_ROWS)
    )
    content = ("company_external_id,source,external_id,occurred_at,net_amount,currency\n" + rows).encode()
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="format"\r\n\r\ncsv\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="bulk.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Idempotency-Key": f"{run}-bulk",
        "Host": "127.0.0.1",
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    began = time.perf_counter()
    conn.request("POST", "/api/v1/imports", body=body, headers=headers)
    response = conn.getresponse()
    answer = json.loads(response.read())
    accepted = time.perf_counter() - began
    if response.status != 202:
        fail(f"POST /api/v1/imports answered {response.status}: {answer}")
    job = answer
    while job["status"] in ("queued", "running"):
        time.sleep(1)
        conn.request("GET", f"/api/v1/imports/{answer['id']}", headers={"Authorization": f"Bearer {token}"})
        job = json.loads(conn.getresponse().read())
    elapsed = time.perf_counter() - began
    conn.close()
    print(
        f"{'POST /imports (bulk CSV)':<26} {job['rows_created'] / elapsed:8.1f} purchases/s   "
        f"({BULK_ROWS} rows: {job['rows_created']} created, {job['rows_failed']} failed, status {job['status']}; "
        f"202 after {accepted:.1f} s, done after {elapsed:.1f} s)",
        flush=True,
    )


def wait_until_up(port: int, token: str, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            fail(f"gunicorn exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/ping", headers={"Authorization": f"Bearer {token}"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    fail("gunicorn did not answer within 60 s")


def main() -> None:
    admin_url, scratch_url = database_urls()
    port = free_port()
    env = server_env(scratch_url, port)
    server: subprocess.Popen | None = None
    try:
        print(f"Creating scratch database {SCRATCH_DB} and migrating (takes a minute)...", flush=True)
        recreate_database(admin_url, create=True)
        empty_redis()
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        seeded = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", SEED.format(companies=COMPANIES)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        token = next(line.split()[1] for line in seeded.stdout.splitlines() if line.startswith("TOKEN "))

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
                # A batch of 1 000 or a large file may take longer than gunicorn's default 30 s
                # on a loaded machine; production's reverse proxy sets its own limit.
                "--timeout",
                os.environ.get("BENCH_GUNICORN_TIMEOUT", "300"),
            ],
            cwd=ROOT,
            env=env,
        )
        wait_until_up(port, token, server)

        run = uuid.uuid4().hex[:8]
        occurred_at = (datetime.now(UTC) - timedelta(days=1)).isoformat()

        def ping(_number: int, _sequence: int):
            return "GET", "/api/v1/ping", None

        def purchase(number: int, sequence: int):
            body = {
                "external_id": f"{run}-{number}-{sequence}",
                "company": f"BENCH-{(number * 7919 + sequence) % COMPANIES}",
                "occurred_at": occurred_at,
                "net_amount": f"{100 + sequence % 900}.50",
                "currency": "SEK",
                "lines": [{"sku": "SKU-1", "amount": f"{100 + sequence % 900}.50"}],
            }
            return "POST", "/api/v1/purchases", json.dumps(body)

        def warm_purchase(number: int, sequence: int):
            return purchase(number + 1000, sequence)

        print(
            f"{CLIENTS} clients, gunicorn -w {WORKERS} (sync), {SECONDS:.0f} s per endpoint in {ROUNDS} "
            f"alternating rounds after {WARM_UP_SECONDS:.0f} s warm-up each, {COMPANIES} companies",
            flush=True,
        )
        drive(port, token, WARM_UP_SECONDS, ping)
        drive(port, token, WARM_UP_SECONDS, warm_purchase)
        # Alternate the two endpoints in rounds, so a change in background load on the
        # machine affects both alike.
        ping_result, purchase_result = Result(), Result()
        ping_elapsed = purchase_elapsed = 0.0
        for round_number in range(ROUNDS):
            result, elapsed = drive(port, token, SECONDS / ROUNDS, ping)
            ping_result.merge(result)
            ping_elapsed += elapsed
            result, elapsed = drive(
                port, token, SECONDS / ROUNDS, lambda n, seq, r=round_number: purchase(n, seq + r * 10_000_000)
            )
            purchase_result.merge(result)
            purchase_elapsed += elapsed

        ping_rate = report("GET /api/v1/ping", ping_result, ping_elapsed, 200)
        purchase_rate = report("POST /api/v1/purchases", purchase_result, purchase_elapsed, 201)
        ratio = purchase_rate / ping_rate if ping_rate else 0.0
        verdict = "met" if ratio >= 0.5 else "MISSED"
        print(f"ratio purchases/ping: {ratio:.0%} (target ≥ 50 %: {verdict})", flush=True)

        run_batches(port, token, run, occurred_at)
        worker = subprocess.Popen(
            [CELERY, "-A", "clubportal", "worker", "-c", "1", "--loglevel", "WARNING", "--without-heartbeat"],
            cwd=ROOT,
            env=env,
        )
        try:
            run_bulk(port, token, run, occurred_at)
        finally:
            worker.terminate()
            worker.wait(timeout=60)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if os.environ.get("BENCH_KEEP_DB") != "1":
            recreate_database(admin_url, create=False)
            empty_redis()


if __name__ == "__main__":
    main()
