"""The points ledger: accounts, append-only entries, the earn per purchase, release, expiry,
tiers, staff corrections and the points notices. The bottom of rewards: it imports no other
rewards sub-package (import-linter contract)."""
