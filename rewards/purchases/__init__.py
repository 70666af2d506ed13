"""Purchases in: one purchase (API, ``services``), CSV files set-based (``imports``), their
admin and tasks. Built on the ledger only."""
