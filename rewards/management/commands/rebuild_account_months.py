"""``manage.py rebuild_account_months``: rewrite every account's months from its entries."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from rewards.ledger.months import account_months_rebuild


class Command(BaseCommand):
    help = (
        "Rewrite the per-account monthly sums (rewards.AccountMonth: qualifying points, earned, spent) "
        "from the ledger entries, a batch of accounts per transaction under their locks, so the site keeps "
        "writing meanwhile. A repair for what check_ledger reports; safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="Accounts per transaction (default 500).")

    def handle(self, *args, batch: int, **options):
        started = time.monotonic()
        written = account_months_rebuild(batch=max(1, batch))
        self.stdout.write(
            self.style.SUCCESS(f"{written} account months written in {time.monotonic() - started:.1f} s.")
        )
