"""Benchmark (not a test): the Insights reads on a club of a given size, in process, on
PostgreSQL, without and with the two purchase indexes (``rewards`` migration 0009).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<your database> \\
        .venv/bin/python bench/insights_bench.py

Migrates the database DATABASE_URL names (use a scratch one: it is filled with a bench
club and left so; a second run reuses it), seeds
BENCH_COMPANIES companies (default 2 000) with BENCH_PURCHASES purchases (200 000) spread
over three years (1 in 25 a credit note), a survey answer for one company in three and a
points account with one earn and one redemption per company; then times each read as a
club admin sees it (mean and max of BENCH_REPEAT runs, default 3, after one warm-up) and
its query count, first without the two purchase indexes of ``rewards`` migration 0009
(dropped in a transaction that is rolled back), then with them.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubportal.settings.local")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

COMPANIES = int(os.environ.get("BENCH_COMPANIES", "2000"))
PURCHASES = int(os.environ.get("BENCH_PURCHASES", "200000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
SOURCE = "bench-insights"
# The two purchase indexes of rewards/migrations/0009_purchase_read_indexes.py.
INDEXES = ["rewards_purchase_period", "rewards_purchase_company_time"]


def seed() -> None:
    from campaigns.models import Activity, ActivityCompletion, ActivityKind, CompletionStatus
    from members.models import Company
    from rewards.models import EntryKind, LedgerEntry, PointsAccount, Purchase

    if Purchase.objects.filter(source=SOURCE).count() >= PURCHASES:
        print("bench club already seeded")
        return
    rng = random.Random(15)
    now = timezone.now()
    companies = Company.objects.bulk_create(
        [
            Company(
                name=f"Bench {index:05d} AB",
                org_number=f"B{index:09d}",
                country="SE" if index % 3 else "NL",
                created_at=now - timedelta(days=rng.randint(30, 1200)),
            )
            for index in range(COMPANIES)
        ],
        batch_size=2000,
    )
    batch = []
    originals: dict[int, Purchase] = {}
    for index in range(PURCHASES):
        company = companies[index % COMPANIES]
        batch.append(
            Purchase(
                company=company,
                source=SOURCE,
                external_id=f"p{index}",
                occurred_at=now - timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60)),
                net_amount=Decimal(rng.randint(200, 20000)),
            )
        )
        if len(batch) == 5000:
            for purchase in Purchase.objects.bulk_create(batch):
                originals.setdefault(purchase.company_id, purchase)
            batch = []
    if batch:
        for purchase in Purchase.objects.bulk_create(batch):
            originals.setdefault(purchase.company_id, purchase)
    credits = [
        Purchase(
            company_id=original.company_id,
            source=SOURCE,
            external_id=f"c{original.pk}-{n}",
            occurred_at=original.occurred_at + timedelta(days=3),
            net_amount=-Decimal(100),
            original=original,
        )
        for n, original in enumerate(list(originals.values()) * (PURCHASES // 25 // max(len(originals), 1) or 1))
    ]
    Purchase.objects.bulk_create(credits, batch_size=5000)
    survey = Activity.objects.create(kind=ActivityKind.SURVEY, title="Bench survey", points=10)
    ActivityCompletion.objects.bulk_create(
        [
            ActivityCompletion(
                activity=survey,
                company=company,
                scope_key=f"company:{company.pk}",
                status=CompletionStatus.SUBMITTED,
                score=rng.randint(0, 10),
                created_at=now - timedelta(days=rng.randint(1, 300)),
            )
            for company in companies[::3]
        ],
        batch_size=2000,
    )
    accounts = PointsAccount.objects.bulk_create(
        [PointsAccount(company=company, balance=700) for company in companies], batch_size=2000
    )
    entries = []
    for account in accounts:
        earned = now - timedelta(days=rng.randint(30, 700))
        entries.append(
            LedgerEntry(
                account=account,
                kind=EntryKind.EARN,
                points=1000,
                created_at=earned,
                expires_at=earned + timedelta(days=730),
                idempotency_key=f"bench-earn-{account.pk}",
            )
        )
        entries.append(
            LedgerEntry(
                account=account,
                kind=EntryKind.REDEEM,
                points=-300,
                created_at=earned + timedelta(days=10),
                idempotency_key=f"bench-redeem-{account.pk}",
            )
        )
    LedgerEntry.objects.bulk_create(entries, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {COMPANIES} companies, {PURCHASES + len(credits)} purchases, {len(entries)} ledger entries")


def reads(admin):
    from insights.behaviour import at_risk_accounts, satisfaction_grid
    from insights.cohorts import cohort_grid
    from insights.lifetime import lifetime_values, segment_movement
    from insights.periods import MONTH, YEAR, Period
    from insights.selectors import overview, segment_summary
    from rewards.models import ProgrammeRules

    rules = ProgrammeRules.current()
    today = timezone.localdate()
    return {
        "overview, month": lambda: overview(period=Period.containing(MONTH, today), user=admin, rules=rules),
        "overview, year": lambda: overview(period=Period.containing(YEAR, today), user=admin, rules=rules),
        "segments": lambda: segment_summary(user=admin),
        "segment movement (90 days)": lambda: segment_movement(user=admin, days=90),
        "satisfaction grid": lambda: satisfaction_grid(user=admin),
        "at risk": lambda: at_risk_accounts(user=admin, rules=rules),
        "cohorts": lambda: cohort_grid(user=admin),
        "lifetime value": lambda: lifetime_values(user=admin),
    }


def measure(label: str, admin) -> dict[str, float]:
    print(f"\n{label}")
    results = {}
    for name, read in reads(admin).items():
        read()  # warm-up
        times = []
        for _ in range(REPEAT):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                read()
                times.append((time.perf_counter() - start) * 1000)
        results[name] = statistics.mean(times)
        print(f"  {name:<28} mean {statistics.mean(times):7.0f} ms  max {max(times):7.0f} ms  {len(queries)} queries")
    return results


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at a PostgreSQL database.")
    call_command("migrate", verbosity=0)
    seed()
    from tests.factories import StaffFactory

    admin = StaffFactory(group="Club admins", email=f"bench-admin-{time.time_ns()}@example.com")
    try:
        # Without the indexes: dropped inside a transaction that is rolled back afterwards
        # (PostgreSQL's DDL is transactional: the indexes come back without a rebuild).
        with transaction.atomic():
            with connection.cursor() as cursor:
                for name in INDEXES:
                    cursor.execute(f"DROP INDEX IF EXISTS {name}")
            before = measure("without the purchase indexes", admin)
            transaction.set_rollback(True)
        after = measure("with the purchase indexes (as migrated)", admin)
        print("\nchange")
        for name in before:
            print(f"  {name:<28} {before[name]:7.0f} → {after[name]:7.0f} ms")
    finally:
        admin.delete()


if __name__ == "__main__":
    main()
