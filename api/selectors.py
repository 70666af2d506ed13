"""Reads for the integration API."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q

from members.models import Company
from rewards.models import InvoiceCredit, LedgerEntry, Redemption

LEDGER_PAGE_MAX = 500


class InvalidCursor(ValueError):
    pass


def company_by_external_id(external_id: str) -> Company | None:
    return Company.objects.filter(external_id=external_id).first()


def _cursor_encode(entry: LedgerEntry) -> str:
    raw = json.dumps([entry.created_at.isoformat(), entry.pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Ids are bigints; anything outside would make the database refuse the query.
_ID_MAX = 2**63 - 1


def _valid_id(pk) -> bool:
    return type(pk) is int and 1 <= pk <= _ID_MAX  # not a bool, not a float


def _cursor_payload(cursor: str):
    """The JSON inside ``cursor``; ``InvalidCursor`` for anything that is not base64 of JSON."""
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, TypeError, UnicodeError, RecursionError) as exc:
        raise InvalidCursor("This cursor is not one the API gave out.") from exc


def _cursor_decode(cursor: str) -> tuple[datetime, int]:
    """The position in ``cursor``. A crafted one (not base64, not JSON, a string where a
    number goes, an id past the bigint range, a date that leaves the calendar when moved to
    UTC) raises ``InvalidCursor``, never reaches the database."""
    payload = _cursor_payload(cursor)
    try:
        created_at, pk = payload
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None or not _valid_id(pk):
            raise ValueError
        moment = moment.astimezone(UTC)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidCursor("This cursor is not one the API gave out.") from exc
    return moment, pk


@dataclass(frozen=True)
class LedgerPage:
    entries: list[LedgerEntry]
    next_cursor: str | None


def ledger_page(*, company: Company, cursor: str | None, limit: int) -> LedgerPage:
    """One page of the company's ledger, newest first, after ``cursor``. One query.

    Keyset pagination on (created_at, id), the ledger's own ordering: the cursor names the
    last entry of the previous page and the next page starts strictly after it. Entries
    written meanwhile sort before the cursor (they are newer), so paging on never repeats
    or skips an entry. The cursor is opaque to clients (base64 of the position).
    """
    entries = (
        LedgerEntry.objects.filter(account__company=company).select_related("purchase").order_by("-created_at", "-pk")
    )
    if cursor:
        created_at, pk = _cursor_decode(cursor)
        entries = entries.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk))
    rows = list(entries[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    return LedgerPage(entries=rows, next_cursor=_cursor_encode(rows[-1]) if has_more else None)


# --- Redemptions to fulfil ---------------------------------------------------------------------

REDEMPTION_PAGE_MAX = 500


@dataclass(frozen=True)
class RedemptionPage:
    redemptions: list
    next_cursor: str | None


def _id_cursor_encode(pk: int, marker: str = "r") -> str:
    return base64.urlsafe_b64encode(json.dumps([marker, pk]).encode()).decode().rstrip("=")


def _id_cursor_decode(cursor: str, marker: str = "r") -> int:
    payload = _cursor_payload(cursor)
    try:
        found, pk = payload
        if found != marker or not _valid_id(pk):
            raise ValueError
    except (ValueError, TypeError) as exc:
        raise InvalidCursor("This cursor is not one the API gave out.") from exc
    return pk


def redemptions_page(*, statuses, cursor: str | None, limit: int, visible: Q | None = None) -> RedemptionPage:
    """One page of redemptions in ``statuses``, oldest first (the order they should be
    fulfilled in), after ``cursor``. One query.

    Keyset pagination on the id: a redemption that leaves the list (fulfilled meanwhile)
    never shifts the next page, and new ones arrive at the end. ``visible`` narrows the
    redemptions (an API client limited to its companies).
    """
    redemptions = (
        Redemption.objects.filter(visible or Q(), status__in=statuses)
        .select_related("company", "reward")
        .order_by("pk")
    )
    if cursor:
        redemptions = redemptions.filter(pk__gt=_id_cursor_decode(cursor))
    rows = list(redemptions[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    return RedemptionPage(redemptions=rows, next_cursor=_id_cursor_encode(rows[-1].pk) if has_more else None)


# --- Invoice credits -----------------------------------------------------------------------------

INVOICE_CREDIT_PAGE_MAX = 500


@dataclass(frozen=True)
class InvoiceCreditPage:
    credits: list
    next_cursor: str | None


def invoice_credits_page(*, statuses, cursor: str | None, limit: int, visible: Q | None = None) -> InvoiceCreditPage:
    """One page of invoice credits in ``statuses``, oldest first, after ``cursor``. One query.

    Keyset pagination on the id (marker ``c``, so a redemptions cursor is refused here):
    applying a credit while paging never shifts the next page. ``visible`` narrows the
    credits (an API client limited to its companies).
    """
    credits = (
        InvoiceCredit.objects.filter(visible or Q(), status__in=statuses)
        .select_related("company", "redemption")
        .order_by("pk")
    )
    if cursor:
        credits = credits.filter(pk__gt=_id_cursor_decode(cursor, "c"))
    rows = list(credits[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    return InvoiceCreditPage(credits=rows, next_cursor=_id_cursor_encode(rows[-1].pk, "c") if has_more else None)
