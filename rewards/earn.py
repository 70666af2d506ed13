"""The earn pipeline: where other apps add points to what a purchase earns.

rewards owns the earn — per purchase (``rewards.ledger.services.points_earn_for_purchase``, the
path of every API purchase and of the CSV import's per-row rows) and per import chunk
(``rewards.purchases.imports``, set-based on PostgreSQL) — and imports no app above it. An app that
gives extra points for purchases (campaigns) implements ``EarnContributor`` and registers
it once at start-up, in its ``AppConfig.ready``::

    earn_contributor_register(CampaignEarn())

The pipeline calls every registered contributor, in registration order, at fixed steps:

Per purchase, all inside the earn's transaction, after the account row is locked:
  1. ``purchase_prepare`` — the contributor's explicit side effects before the bonus (a
     campaign whose start has come is started). Returns what it read, for the next steps.
  2. ``purchase_bonus`` — the extra points: no side effects but locking the rows whose
     budgets the points come from (after the account: the global lock order).
  3. ``purchase_recorded`` — after the earn entry is written: record the bonus against it,
     move budgets, queue follow-ups (a referral's reward) through the outbox.

Per set-based import chunk (PostgreSQL), the chunk's accounts locked:
  1. ``import_chunk_prepare`` — before the chunk's transaction (start due campaigns).
  2. ``import_bonus`` — fill ``IMPORT_BONUS_TABLE`` (line → campaign, points, name) for the
     chunk's new rows; return the accounts whose rows must take the per-purchase path.
  3. ``import_recorded`` — after the earns are written: record awards, budgets, follow-ups.

Explaining: ``stacking_example`` — the contributor's rule worked through for members'
"How points work" page, or None.

A contributor's bonus is part of the purchase's earn entry (pending through the return
window, taken back in proportion by a credit note, counting towards the tier).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from core.texts import StoredText


class EarnBonus(Protocol):
    """What one contributor adds to one purchase."""

    @property
    def points(self) -> int: ...

    def memo(self, base: StoredText) -> StoredText:
        """The earn entry's memo (a ``rewards.texts.PURCHASE`` text) with this bonus named:
        each campaign's points and name added to its ``campaigns`` parameter."""
        ...


class EarnContributor(Protocol):
    def purchase_prepare(self, *, company_id: int, occurred_at: datetime, now: datetime) -> Any: ...

    def purchase_bonus(self, prepared: Any, *, purchase, lines, account, rules, now: datetime) -> EarnBonus: ...

    def purchase_recorded(self, prepared: Any, *, bonus: EarnBonus, entry) -> None: ...

    def import_chunk_prepare(self, *, now: datetime) -> None: ...

    def import_bonus(self, cursor, accounts: Sequence[tuple], *, now: datetime) -> set[int]: ...

    def import_recorded(self, cursor, *, now: datetime) -> None: ...

    def stacking_example(self, facts: dict) -> Any: ...


# The set-based import's temporary tables a contributor reads and writes: the chunk's staged
# rows (line, company_external_id, source, external_id, occurred_at, net_amount, category_id),
# its new purchases once recorded (line, account_id, purchase_id), and the bonus table a
# contributor fills (line, campaign_id, points, campaign: its name), which the import adds to
# each row's earn and names in its memo's parameters.
IMPORT_STAGING_TABLE = "purchase_import_staging"
IMPORT_NEW_TABLE = "purchase_import_new"
IMPORT_BONUS_TABLE = "purchase_import_campaign"

_contributors: list[EarnContributor] = []


def earn_contributor_register(contributor: EarnContributor) -> None:
    """Add ``contributor`` to the pipeline (once per class: a second ``ready()`` in tests
    replaces the first)."""
    _contributors[:] = [known for known in _contributors if type(known) is not type(contributor)]
    _contributors.append(contributor)


def earn_contributors() -> tuple[EarnContributor, ...]:
    """The registered contributors, in registration order."""
    return tuple(_contributors)
