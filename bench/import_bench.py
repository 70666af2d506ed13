"""Benchmark: CSV purchase import vs raw COPY on PostgreSQL (not a test; ``make bench`` runs it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_bench.py
        [--rows 1000000] [--companies 10000] [--routed] [--club realsize_club] [-v]

Creates a scratch database (``clubportal_bench_import``), migrates it, creates the
companies and a generated CSV file (streamed to a temporary directory), then times
``rewards.purchases.imports.purchase_import_run`` — the function the Celery task calls — and, in
the same run, a raw ``COPY`` of the same file into a bare table. Prints rows/s for both,
their ratio, the import's share of the floor below (issue 20's target: ≥ 25 %) and the peak memory of this process (ru_maxrss,
target < 500 MB), runs ``check_ledger``, and drops the scratch database. It also prints
the *floor*: a ``COPY`` of the same file into a table with only a primary key and the
idempotency key ``UNIQUE (source, external_id)``, which bounds what any import that adds
nothing on a second run can reach. And it prints the *longest account-lock hold*: the
longest time any transaction of the import held points-account row locks (from its first
account lock to its commit, as measured by ``purchase_import_run(lock_hold=...)``) — how long
a single-purchase API post for one of the file's companies could have had to wait. With
``--routed`` a tier that every company reaches with its first purchase exists, so the rows of
each account's first chunk go one by one through the services (the case that held locks for
minutes before the import recorded them in short transactions).
With ``--club DB`` the scratch database is a copy of ``DB`` (``bench/realsize_club.py``'s
club: 10 000 companies, 6 million ledger entries, tiers) and the file is for its active
companies, in their own currencies: the import's speed on top of a club at real size, to
compare with a run on an empty one (issue 20: within 1.5×).
The "points arrived" notices the import leaves to tasks after it (one per company that
earned, ``COMPANIES_PER_NOTICES_TASK`` companies per task:
``rewards.ledger.tasks.notify_purchases_points``) run in this process, as the local settings
run tasks; they are a worker's job, not the import's, so their time (in all, and the longest
task's) is printed apart and not counted in the import's. ``--no-notices`` leaves them out.
``BENCH_DB`` names the scratch database (default ``clubportal_bench_import``), so that
engineers sharing a server do not drop each other's. Without a PostgreSQL ``DATABASE_URL``
it says so and exits 0.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SCRATCH_DB = os.environ.get("BENCH_DB", "clubportal_bench_import")


def _admin_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _recreate(url: str, *, drop_only: bool = False, template: str = "") -> None:
    import psycopg

    with psycopg.connect(_admin_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {SCRATCH_DB}" + (f" TEMPLATE {template}" if template else ""))


def _write_csv(path: Path, *, rows: int, companies: list[tuple[str, str]], now: datetime) -> None:
    """One purchase per row over the last 30 days (about half are past the 14-day return
    window, so they are released at once: two ledger rows); every fifth row has a category."""
    rng = random.Random(42)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            [
                "company_external_id",
                "source",
                "external_id",
                "occurred_at",
                "net_amount",
                "currency",
                "category_code",
                "original_external_id",
            ]
        )
        for n in range(rows):
            occurred = now - timedelta(seconds=rng.randrange(30 * 86400))
            external_id, currency = companies[rng.randrange(len(companies))]
            writer.writerow(
                [
                    external_id,
                    "erp",
                    f"ORD-{n:08d}",
                    occurred.isoformat(timespec="seconds"),
                    f"{rng.randrange(1, 2_000_000) / 100:.2f}",
                    currency,
                    "TOOLS" if n % 5 == 0 else "",
                    "",
                ]
            )


COLUMNS = """company_external_id text, source text, external_id text, occurred_at timestamptz,
    net_amount numeric(13, 2), currency text, category_code text, original_external_id text"""

# The baseline: a bare table (no keys, no indexes), as durable as the import's own
# tables (logged, unlike the UNLOGGED table runs 1-5 used).
BARE_TABLE = f"CREATE TABLE bench_bare_purchases ({COLUMNS})"
# The floor of any import for which "importing the same file again adds nothing": the same
# rows with nothing but a primary key and the idempotency key UNIQUE (source, external_id).
KEYED_TABLE = f"""CREATE TABLE bench_keyed_purchases (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, {COLUMNS}, UNIQUE (source, external_id))"""


def _copy_seconds(path: Path, create_table: str) -> float:
    """COPY the whole file into a new table made by ``create_table``, in one transaction."""
    from django.db import connection

    table = create_table.split()[2]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(create_table)
    connection.close()
    raw = connection.cursor().cursor.connection
    started = time.perf_counter()
    names = "company_external_id, source, external_id, occurred_at, net_amount, currency, category_code, original_external_id"
    copy_sql = f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, HEADER true)"
    with raw.cursor() as cursor, path.open("rb") as handle, cursor.copy(copy_sql) as copy:
        while block := handle.read(1 << 20):
            copy.write(block)
    raw.commit()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("-v", "--verbose", action="store_true", help="log each statement's duration")
    parser.add_argument(
        "--routed", action="store_true", help="add a tier every company reaches: first chunks go row by row"
    )
    parser.add_argument("--no-notices", action="store_true", help="do not run the notices task after the import")
    parser.add_argument("--club", default="", help="import on top of a copy of this database (bench/realsize_club.py)")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("import_bench: set DATABASE_URL to a PostgreSQL server (any database on it); skipped.")
        return 0
    _recreate(url, template=args.club)
    workdir = Path(tempfile.mkdtemp(prefix="clubportal-import-bench-"))
    os.environ["DATABASE_URL"] = _admin_url(url, SCRATCH_DB)
    os.environ["MEDIA_ROOT"] = str(workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubportal.settings.local")
    sys.path.insert(0, str(ROOT))
    try:
        import django

        django.setup()
        if args.verbose:
            logging.basicConfig(level=logging.WARNING, format="%(message)s")
            logging.getLogger("rewards.purchases.imports").setLevel(logging.DEBUG)
        from django.core.management import call_command
        from django.db import connection

        from core.currencies import currency_for_country
        from members.models import Company, CompanyStatus
        from rewards.ledger.selectors import ledger_mismatches
        from rewards.models import LedgerEntry, ProductCategory, ProgrammeRules, PurchaseImport, Tier
        from rewards.purchases.imports import ACCOUNT_LOCK_BOUND_SECONDS, purchase_import_run

        call_command("migrate", verbosity=0, interactive=False)
        ProgrammeRules.current()
        ProductCategory.objects.get_or_create(code="TOOLS", defaults={"name": "Tools", "multiplier": "1.5"})
        if args.routed:
            Tier.objects.create(name="Member", qualifying_points=1, earn_multiplier="1")
        if not args.club:
            Company.objects.bulk_create(
                [
                    Company(name=f"Company {n}", org_number=f"BENCH-{n:05d}", external_id=f"C{n:05d}")
                    for n in range(args.companies)
                ],
                batch_size=2000,
            )
        # Each company's own currency: the one it buys in, else its country's (as the import reads it).
        companies = [
            (external_id, currency or currency_for_country(country))
            for external_id, currency, country in Company.objects.filter(status=CompanyStatus.ACTIVE)
            .exclude(external_id="")
            .order_by("pk")
            .values_list("external_id", "currency", "country")[: args.companies]
        ]
        ledger_before = LedgerEntry.objects.count()
        now = datetime.now(UTC)
        path = workdir / "purchases.csv"
        started = time.perf_counter()
        _write_csv(path, rows=args.rows, companies=companies, now=now)
        print(
            f"generated {args.rows} rows for {len(companies)} companies in {time.perf_counter() - started:.1f} s"
            + (f" on a copy of {args.club} ({ledger_before:,} ledger entries)" if args.club else "")
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

        from rewards.ledger import tasks as ledger_tasks

        notices = {"seconds": 0.0, "companies": 0, "tasks": 0, "longest": 0.0}
        notify = ledger_tasks.purchases_points_notify

        def notify_timed(**kwargs):
            notices["companies"] += len(kwargs["earned"])
            notices["tasks"] += 1
            if args.no_notices:
                return 0
            started = time.perf_counter()
            try:
                return notify(**kwargs)
            finally:
                took = time.perf_counter() - started
                notices["seconds"] += took
                notices["longest"] = max(notices["longest"], took)

        ledger_tasks.purchases_points_notify = notify_timed
        purchase_import = PurchaseImport.objects.create(file=path.name, original_name=path.name)
        started = time.perf_counter()
        holds: list[float] = []
        done = purchase_import_run(import_id=purchase_import.pk, lock_hold=holds.append)
        import_seconds = time.perf_counter() - started - notices["seconds"]
        assert done.status == "done" and done.rows_created == args.rows, (done.status, done.error_message)

        copy_seconds = _copy_seconds(path, BARE_TABLE)
        keyed_seconds = _copy_seconds(path, KEYED_TABLE)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        entries = LedgerEntry.objects.count() - ledger_before
        mismatches = ledger_mismatches()

        import_rate = args.rows / import_seconds
        copy_rate = args.rows / copy_seconds
        ratio = import_rate / copy_rate
        print(f"import:   {import_seconds:6.2f} s  {import_rate:10,.0f} rows/s  ({entries:,} ledger entries written)")
        print(
            f"notices tasks after the import (a worker's job, not counted above): {notices['companies']} companies "
            f"in {notices['tasks']} tasks, "
            + (
                "not run (--no-notices)"
                if args.no_notices
                else f"{notices['seconds']:.2f} s in all, the longest task {notices['longest']:.2f} s"
            )
        )
        print(f"raw COPY: {copy_seconds:6.2f} s  {copy_rate:10,.0f} rows/s  (bare table, no keys)")
        print(f"ratio:    {ratio:6.1%}  of raw COPY")
        print(
            f"floor:    {keyed_seconds:6.2f} s  {args.rows / keyed_seconds:10,.0f} rows/s  "
            f"= {copy_seconds / keyed_seconds:.1%} of raw COPY: COPY into a table with only a primary key "
            "and UNIQUE (source, external_id), the best any idempotent import can do"
        )
        floor_ratio = keyed_seconds / import_seconds
        print(
            f"import at {floor_ratio:6.1%} of the floor (target >= 25 %: {'met' if floor_ratio >= 0.25 else 'MISSED'})"
        )
        holds.sort()
        print(
            f"account locks: longest hold {holds[-1]:.3f} s, 99th percentile {holds[int(len(holds) * 0.99)]:.3f} s, "
            f"median {holds[len(holds) // 2]:.3f} s over {len(holds)} transactions "
            f"(bound {ACCOUNT_LOCK_BOUND_SECONDS:.0f} s: {'met' if holds[-1] <= ACCOUNT_LOCK_BOUND_SECONDS else 'MISSED'})"
        )
        print(f"peak RSS: {peak_mb:6.0f} MB  (target < 500 MB: {'met' if peak_mb < 500 else 'MISSED'})")
        print(f"check_ledger: {'ok' if not mismatches else f'{len(mismatches)} MISMATCHES'}")
        print(f"load average at the end: {' '.join(f'{load:.1f}' for load in os.getloadavg())} ({os.cpu_count()} CPUs)")
        connection.close()
        return 1 if mismatches else 0
    finally:
        _recreate(url, drop_only=True)
        for leftover in sorted(workdir.rglob("*"), reverse=True):
            leftover.unlink() if leftover.is_file() else leftover.rmdir()
        workdir.rmdir()


if __name__ == "__main__":
    sys.exit(main())
