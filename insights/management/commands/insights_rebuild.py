"""``manage.py insights_rebuild``: rebuild Insights' snapshots from the purchases and the ledger."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import connection

from insights import snapshots


class Command(BaseCommand):
    help = (
        "Recompute every per-company-and-day summary row (insights.CompanyDay) from the purchases and "
        "the ledger, then the company standings of today and of 30, 90 and 365 days ago. Safe to run "
        "at any time and twice (the same rows); the beat tasks keep it up to date afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--incremental", action="store_true", help="Only what was written since the last run (as the beat task)."
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        if connection.vendor != "postgresql":
            self.stdout.write(
                "The per-company summary needs PostgreSQL: on this database the pages read the purchases and "
                "the ledger live; only the company standings are written."
            )
        if options["incremental"]:
            pairs = snapshots.refresh()
            self.stdout.write(f"{pairs} company days recomputed")
        else:
            rows = snapshots.rebuild()
            self.stdout.write(f"{rows} company days written")
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
