"""``manage.py rebuild_account_activity``: recompute every company's purchase figures."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from reps.activity import account_activity_rebuild


class Command(BaseCommand):
    help = (
        "Recompute every company's purchase figures for the rep workspace (latest purchase, "
        "net amounts of the last 90 days and the 90 before, trend) from the purchases. "
        "The nightly job does the same; run it after restoring or editing purchases by hand."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        count = account_activity_rebuild()
        self.stdout.write(self.style.SUCCESS(f"Recomputed {count} companies in {time.monotonic() - started:.1f} s."))
