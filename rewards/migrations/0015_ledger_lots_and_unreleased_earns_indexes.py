"""The ledger's FIFO expiry and pending-release reads stop reading every entry of an account:
a partial index of its lots by expiry (with their points) replaces the plain (account,
expires_at) index, and a partial index of its earns by release date, newest first.

Built and dropped without locking writes on PostgreSQL (``core.migration_operations``), so the
migration is not atomic.
"""

from django.db import migrations, models

from core.migration_operations import AddIndexWithoutLocking, RemoveIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("rewards", "0014_ledger_entry_kinds_transfer_and_close"),
    ]

    operations = [
        AddIndexWithoutLocking(
            model_name="ledgerentry",
            index=models.Index(
                condition=models.Q(("points__gt", 0)),
                fields=["account", "expires_at", "points"],
                name="rewards_entry_account_lots",
            ),
        ),
        AddIndexWithoutLocking(
            model_name="ledgerentry",
            index=models.Index(
                condition=models.Q(("available_at__isnull", False), ("kind", "earn")),
                fields=["account", "-available_at", "-id"],
                name="rewards_entry_account_earns",
            ),
        ),
        RemoveIndexWithoutLocking(
            model_name="ledgerentry",
            name="rewards_entry_account_expires",
        ),
    ]
