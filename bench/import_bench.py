"""Benchmark: CSV purchase import vs raw COPY on PostgreSQL (not a test; ``make bench`` runs it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_bench.py
        [--rows 1000000] [--companies 10000] [-v]

Creates a scratch database (``clubportal_bench_import``), migrates it, creates the
companies and a generated CSV file (streamed to a temporary directory), then times
``rewards.imports.purchase_import_run`` — the function the Celery task calls — and, in
the same run, a raw ``COPY`` of the same file into a bare table. Prints rows/s for both,
the ratio (target ≥ 25 % of raw COPY) and the peak memory of this process (ru_maxrss,
target < 500 MB), runs ``check_ledger``, and drops the scratch database.
Without a PostgreSQL ``DATABASE_URL`` it says so and exits 0.
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
SCRATCH_DB = "clubportal_bench_import"


def _admin_url(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _recreate(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(_admin_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {SCRATCH_DB}")


def _write_csv(path: Path, *, rows: int, companies: int, now: datetime) -> None:
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
            writer.writerow(
                [
                    f"C{rng.randrange(companies):05d}",
                    "erp",
                    f"ORD-{n:08d}",
                    occurred.isoformat(timespec="seconds"),
                    f"{rng.randrange(1, 2_000_000) / 100:.2f}",
                    "SEK",
                    "TOOLS" if n % 5 == 0 else "",
                    "",
                ]
            )


def _raw_copy_seconds(path: Path) -> float:
    """COPY the same file into a bare typed table (no keys, no indexes) in one transaction."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """CREATE UNLOGGED TABLE IF NOT EXISTS bench_raw_purchases (
                company_external_id text, source text, external_id text, occurred_at timestamptz,
                net_amount numeric(13, 2), currency text, category_code text, original_external_id text)"""
        )
        cursor.execute("TRUNCATE bench_raw_purchases")
    connection.close()
    raw = connection.cursor().cursor.connection
    started = time.perf_counter()
    copy_sql = "COPY bench_raw_purchases FROM STDIN WITH (FORMAT csv, HEADER true)"
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
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("import_bench: set DATABASE_URL to a PostgreSQL server (any database on it); skipped.")
        return 0
    _recreate(url)
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
            logging.getLogger("rewards.imports").setLevel(logging.DEBUG)
        from django.core.management import call_command
        from django.db import connection

        from members.models import Company
        from rewards.imports import purchase_import_run
        from rewards.models import LedgerEntry, ProductCategory, ProgrammeRules, PurchaseImport
        from rewards.selectors import ledger_mismatches

        call_command("migrate", verbosity=0, interactive=False)
        ProgrammeRules.current()
        ProductCategory.objects.create(name="Tools", code="TOOLS", multiplier="1.5")
        Company.objects.bulk_create(
            [
                Company(name=f"Company {n}", org_number=f"BENCH-{n:05d}", external_id=f"C{n:05d}")
                for n in range(args.companies)
            ],
            batch_size=2000,
        )
        now = datetime.now(UTC)
        path = workdir / "purchases.csv"
        started = time.perf_counter()
        _write_csv(path, rows=args.rows, companies=args.companies, now=now)
        print(f"generated {args.rows} rows for {args.companies} companies in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

        purchase_import = PurchaseImport.objects.create(file=path.name, original_name=path.name)
        started = time.perf_counter()
        done = purchase_import_run(import_id=purchase_import.pk)
        import_seconds = time.perf_counter() - started
        assert done.status == "done" and done.rows_created == args.rows, (done.status, done.error_message)

        copy_seconds = _raw_copy_seconds(path)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        entries = LedgerEntry.objects.count()
        mismatches = ledger_mismatches()

        import_rate = args.rows / import_seconds
        copy_rate = args.rows / copy_seconds
        ratio = import_rate / copy_rate
        print(f"import:   {import_seconds:6.2f} s  {import_rate:10,.0f} rows/s  ({entries:,} ledger entries)")
        print(f"raw COPY: {copy_seconds:6.2f} s  {copy_rate:10,.0f} rows/s")
        print(f"ratio:    {ratio:6.1%}  (target >= 25 %: {'met' if ratio >= 0.25 else 'MISSED'})")
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
