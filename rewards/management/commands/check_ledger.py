"""``manage.py check_ledger``: verify every account's cached buckets against its entries."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from rewards.ledger.months import account_months_mismatches
from rewards.ledger.selectors import balance_after_mismatches, ledger_mismatches


class Command(BaseCommand):
    help = (
        "Verify for every points account that balance == sum(entry.points) (spendable points only), "
        "pending == sum(entry.pending_points) and shortfall == sum(entry.shortfall_points). "
        "Also that each entry's balance_after is the running sum of its account's points (by id), "
        "and that the per-account months (rewards.AccountMonth) equal their entries' sums. "
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
        wrong = balance_after_mismatches()
        for row in wrong:
            self.stdout.write(
                f"entry {row['pk']} (account {row['account_id']}): balance_after {row['balance_after']} "
                f"!= {row['running']}"
            )
        if wrong:
            raise CommandError(f"{len(wrong)}+ entries have a wrong balance_after.")
        months = account_months_mismatches()
        for row in months:
            self.stdout.write(
                f"account {row['account_id']} month {row['month']:%Y-%m}: (qualifying, earned, spent) "
                f"{tuple(row['stored'])} != {tuple(row['expected'])}"
            )
        if months:
            raise CommandError(
                f"{len(months)}+ account months do not match their entries (manage.py rebuild_account_months)."
            )
        self.stdout.write(self.style.SUCCESS("Every account matches its ledger entries."))
