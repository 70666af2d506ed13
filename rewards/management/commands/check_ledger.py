"""``manage.py check_ledger``: verify every account's cached buckets against its entries."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from rewards.ledger.selectors import ledger_mismatches


class Command(BaseCommand):
    help = (
        "Verify for every points account that balance == sum(entry.points) (spendable points only), "
        "pending == sum(entry.pending_points) and shortfall == sum(entry.shortfall_points). "
        "Prints each mismatch and exits non-zero if there is any."
    )

    def handle(self, *args, **options):
        mismatches = ledger_mismatches()
        for row in mismatches:
            self.stdout.write(
                f"account {row['pk']} (company {row['company_id']}): "
                f"balance {row['balance']} != {row['entry_points']} | "
                f"pending {row['pending']} != {row['entry_pending']} | "
                f"shortfall {row['shortfall']} != {row['entry_shortfall']}"
            )
        if mismatches:
            raise CommandError(f"{len(mismatches)} account(s) do not match their ledger entries.")
        self.stdout.write(self.style.SUCCESS("Every account matches its ledger entries."))
