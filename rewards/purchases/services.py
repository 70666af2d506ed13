"""Purchase ingestion: the one way a purchase from the ERP enters the ledger.

Shared by the integration API (``api/``) and the CSV import. Callers parse and type-check
their input, then call ``purchase_record`` once per purchase and map its outcome:

* ``(purchase, True)``  — recorded now, together with its earn (or, for a credit note, the
  return of the credited points), in one transaction;
* ``(purchase, False)`` — the same (source, external id) was already recorded *with the same
  content*: a retry or a re-imported row. Nothing is written; report it as a duplicate;
* ``PurchaseConflict``  — the same (source, external id) was already recorded with
  *different* content. Nothing is written; ``.fields`` names what differs (API: 409);
* ``PurchaseInvalid``   — the purchase breaks a rule (unknown category, currency the
  programme does not run in, unknown or foreign original purchase, wrong sign, ...).
  Nothing is written; ``.field`` names the input field when there is one (API: 422).

Both errors derive from ``IngestError`` and carry a message meant for the integrator.

Idempotency rests on the UNIQUE (source, external_id) constraint of ``Purchase``: two
concurrent calls for the same purchase both try the insert, one wins, and the loser's
insert fails (on PostgreSQL it waits for the winner to commit first), rolls back its
savepoint and returns the winner's purchase — or raises ``PurchaseConflict`` if the bodies
differ. "Same content" means the fields stored on the purchase and its lines: company,
occurred_at, net_amount, currency, credited purchase, and the lines as a multiset of
(sku, category code, amount).

Speed: a new purchase costs a fixed number of queries whatever the number of lines (lines
are bulk-inserted; categories are looked up in one query). The CSV import can call this
per row; a row it has seen before costs one query plus one for its lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.db import DataError, IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.currencies import currency_is_known
from members.models import Company, CompanyStatus
from outbox.events import EventType, event_emit
from outbox.services import outbox_enqueue
from rewards.bounds import POINTS_MAX, money_problem, occurred_at_problem, points_problem
from rewards.ledger.services import LedgerError, currency_refusal, points_earn_for_purchase, purchase_return
from rewards.ledger.tasks import notify_purchase_points
from rewards.models import EntryKind, LedgerEntry, ProductCategory, ProgrammeRules, Purchase, PurchaseLine

CENT = Decimal("0.01")


class IngestError(Exception):
    """A purchase could not be recorded; ``message`` is meant for the integrator."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class PurchaseInvalid(IngestError):
    """The purchase breaks a rule; nothing was written."""


class PurchaseConflict(IngestError):
    """(source, external id) is already recorded with different content; nothing was written."""

    def __init__(self, message: str, *, purchase: Purchase, fields: list[str]):
        super().__init__(message)
        self.purchase = purchase
        self.fields = fields


@dataclass(frozen=True)
class PurchaseLineInput:
    sku: str
    amount: Decimal
    category_code: str | None = None


def _amount(value: Decimal, field: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise PurchaseInvalid(_("Give an amount as a decimal number."), field=field)
    problem = money_problem(value)  # first: quantizing a huge number would raise
    if problem:
        raise PurchaseInvalid(problem, field=field)
    if value != value.quantize(CENT):
        raise PurchaseInvalid(_("Give the amount with at most two decimals."), field=field)
    return value.quantize(CENT)


def _fingerprint_lines(lines: Sequence[tuple[str, str | None, Decimal]]) -> list[tuple[str, str, Decimal]]:
    return sorted((sku, code or "", amount.quantize(CENT)) for sku, code, amount in lines)


def _stored_fingerprint(purchase: Purchase) -> dict:
    lines = purchase.lines.values_list("sku", "category__code", "amount")
    return {
        "company": purchase.company_id,
        "occurred_at": purchase.occurred_at,
        "net_amount": purchase.net_amount.quantize(CENT),
        "currency": purchase.currency,
        "original_external_id": purchase.original.external_id if purchase.original_id else None,
        "lines": _fingerprint_lines(list(lines)),
    }


def _same_or_conflict(existing: Purchase, wanted: dict) -> Purchase:
    stored = _stored_fingerprint(existing)
    differing = [name for name, value in wanted.items() if stored[name] != value]
    if differing:
        raise PurchaseConflict(
            _(
                "Purchase %(ref)s from source %(source)s was already recorded with a different %(fields)s. "
                "A purchase cannot be changed: send a credit note for it, or use a new external id."
            )
            % {"ref": existing.external_id, "source": existing.source, "fields": ", ".join(differing)},
            purchase=existing,
            fields=differing,
        )
    return existing


def purchase_record(
    *,
    company: Company,
    source: str,
    external_id: str,
    occurred_at: datetime,
    net_amount: Decimal,
    currency: str,
    lines: Sequence[PurchaseLineInput],
    original_external_id: str | None = None,
    now: datetime | None = None,
    notify: bool = True,
) -> tuple[Purchase, bool]:
    """Record a purchase (or a credit note, with ``original_external_id``) and its points.

    Returns ``(purchase, created)``. The purchase, its lines and its ledger entry (earn, or
    the return of a credit note via ``rewards.ledger.services.purchase_return``) are written in
    one transaction, so a purchase never exists without its points. Idempotent by
    (source, external_id), also under concurrency; see the module docstring for the
    outcomes. A credit note's original is looked up under the same source.

    A new purchase that earned points tells the company's contacts once the transaction has
    committed (``rewards.ledger.notices``, from a task); ``notify=False`` is for callers that report
    many purchases at once (the CSV import, an API batch), one notice per company.
    """
    purchase, created, _entry = purchase_record_with_entry(
        company=company,
        source=source,
        external_id=external_id,
        occurred_at=occurred_at,
        net_amount=net_amount,
        currency=currency,
        lines=lines,
        original_external_id=original_external_id,
        now=now,
        notify=notify,
    )
    return purchase, created


def purchase_record_with_entry(
    *,
    company: Company,
    source: str,
    external_id: str,
    occurred_at: datetime,
    net_amount: Decimal,
    currency: str,
    lines: Sequence[PurchaseLineInput],
    original_external_id: str | None = None,
    now: datetime | None = None,
    notify: bool = True,
) -> tuple[Purchase, bool, LedgerEntry | None]:
    """``purchase_record``, also returning the ledger entry it wrote (None when nothing was
    written), which saves the API a query to report the points."""
    external_id = (external_id or "").strip()
    if not external_id:
        raise PurchaseInvalid(_("Give the purchase's external id."), field="external_id")
    if len(external_id) > Purchase._meta.get_field("external_id").max_length:
        raise PurchaseInvalid(_("The external id is too long."), field="external_id")
    if timezone.is_naive(occurred_at):
        raise PurchaseInvalid(_("Give the time with a time zone, e.g. 2026-06-15T12:00:00+02:00."), field="occurred_at")
    problem = occurred_at_problem(occurred_at, now=now or timezone.now())
    if problem:
        raise PurchaseInvalid(problem, field="occurred_at")
    net_amount = _amount(net_amount, "net_amount")
    line_items = [
        (line.sku.strip(), (line.category_code or "").strip() or None, _amount(line.amount, f"lines.{index}.amount"))
        for index, line in enumerate(lines)
    ]
    for index, (sku, _code, _line_amount) in enumerate(line_items):
        if not sku or len(sku) > PurchaseLine._meta.get_field("sku").max_length:
            raise PurchaseInvalid(_("Give a SKU of at most 64 characters."), field=f"lines.{index}.sku")
    original_external_id = (original_external_id or "").strip() or None
    currency = (currency or "").strip().upper()
    wanted = {
        "company": company.pk,
        "occurred_at": occurred_at,
        "net_amount": net_amount,
        "currency": currency,
        "original_external_id": original_external_id,
        "lines": _fingerprint_lines(line_items),
    }

    # Fast path for a retry: no failed insert, no rule checks.
    existing = Purchase.objects.filter(source=source, external_id=external_id).select_related("original").first()
    if existing is not None:
        return _same_or_conflict(existing, wanted), False, None

    if company.status == CompanyStatus.CLOSED:
        raise PurchaseInvalid(closed_company_refusal(company), field="company")
    if currency != company.purchase_currency:
        if not currency_is_known(currency):
            raise PurchaseInvalid(currency_refusal(currency, ProgrammeRules.current()), field="currency")
        raise PurchaseInvalid(currency_mismatch(company, currency), field="currency")

    codes = {code for _sku, code, _amount in line_items if code}
    categories = (
        {category.code: category for category in ProductCategory.objects.filter(code__in=codes)} if codes else {}
    )
    for index, (_sku, code, _line_amount) in enumerate(line_items):
        if code and code not in categories:
            raise PurchaseInvalid(
                _("Unknown product category %(code)s.") % {"code": code}, field=f"lines.{index}.category"
            )
    original = None
    if original_external_id is not None:
        original = Purchase.objects.filter(source=source, external_id=original_external_id).first()
        if original is None:
            raise PurchaseInvalid(
                _("No purchase %(ref)s from source %(source)s to credit.")
                % {"ref": original_external_id, "source": source},
                field="original_external_id",
            )
        if original.company_id != company.pk:
            raise PurchaseInvalid(
                _("Purchase %(ref)s belongs to another company.") % {"ref": original_external_id},
                field="original_external_id",
            )
        if original.currency != currency:
            raise PurchaseInvalid(
                _("Purchase %(ref)s is in %(original)s; its credit note must be too.")
                % {"ref": original_external_id, "original": original.currency},
                field="currency",
            )
        if original.is_credit_note:
            raise PurchaseInvalid(_("A credit note cannot credit another credit note."), field="original_external_id")
        if net_amount > 0:
            raise PurchaseInvalid(_("A credit note has a negative (or zero) net amount."), field="net_amount")
    elif net_amount < 0:
        raise PurchaseInvalid(
            _("A purchase cannot have a negative net amount; send a credit note with original_external_id."),
            field="net_amount",
        )

    try:
        with transaction.atomic():
            if original is not None:
                _check_credit_within_original(original, net_amount)
            purchase = Purchase.objects.create(
                company=company,
                source=source,
                external_id=external_id,
                occurred_at=occurred_at,
                net_amount=net_amount,
                currency=currency,
                original=original,
            )
            new_lines = PurchaseLine.objects.bulk_create(
                PurchaseLine(purchase=purchase, sku=sku, category=categories.get(code) if code else None, amount=amount)
                for sku, code, amount in line_items
            )
            if original is None:
                entry = points_earn_for_purchase(purchase=purchase, now=now, new_lines=new_lines)
            else:
                entry = purchase_return(credit_note=purchase, now=now)
            problem = points_problem(entry.net_points)
            if problem:
                raise PurchaseInvalid(problem, field="net_amount")  # rolls the purchase back
            # Read again under the account lock the entry took: a closing holds the same lock
            # while it settles the points and marks the company closed, so a purchase that
            # raced it sees the committed status here and rolls back instead of landing points
            # on a settled account.
            if Company.objects.filter(pk=company.pk, status=CompanyStatus.CLOSED).exists():
                raise PurchaseInvalid(closed_company_refusal(company), field="company")
            if entry.kind == EntryKind.EARN and entry.net_points > 0:
                event_emit(
                    EventType.PURCHASE_EARNED,
                    company_id=company.pk,
                    data=purchase_earned_data(
                        purchase_id=purchase.pk,
                        source=source,
                        external_id=external_id,
                        occurred_at=purchase.occurred_at,
                        net_amount=net_amount,
                        currency=currency,
                        entry_id=entry.pk,
                        points=entry.net_points,
                        available_at=entry.available_at,
                        expires_at=entry.expires_at,
                    ),
                )
    except DataError as exc:
        # A points figure (this purchase's or the account's total) does not fit its column:
        # the programme's rules make this purchase worth more than the ledger can hold.
        raise PurchaseInvalid(
            _("This purchase would earn more points than the ledger can hold: at most %(max)s per purchase.")
            % {"max": POINTS_MAX},
            field="net_amount",
        ) from exc
    except IntegrityError:
        # Lost the race for (source, external_id) to a concurrent call, which has committed
        # by now (PostgreSQL makes our insert wait for it): return its purchase.
        existing = Purchase.objects.filter(source=source, external_id=external_id).select_related("original").first()
        if existing is None:
            raise
        return _same_or_conflict(existing, wanted), False, None
    except LedgerError as exc:
        # The earn checks the programme has a rate for the currency (saving a query here on
        # every purchase); name the field.
        field = "currency" if ProgrammeRules.current().in_currency(currency) is None else None
        raise PurchaseInvalid(str(exc), field=field) from exc
    if notify and entry.kind == EntryKind.EARN and entry.net_points > 0:
        _notify_points_after_commit(purchase, entry)
    return purchase, True, entry


def _check_credit_within_original(original: Purchase, net_amount: Decimal) -> None:
    """Refuse a credit note that, with the credit notes already recorded against ``original``,
    would credit more than the purchase's amount. The original's row is locked first, so two
    credit notes of one purchase recorded at once are checked one after the other (the
    second sees the first)."""
    original = Purchase.objects.select_for_update().get(pk=original.pk)
    earlier = Purchase.objects.filter(original=original).aggregate(total=Sum("net_amount"))["total"] or Decimal("0.00")
    if -(earlier + net_amount) > original.net_amount:
        raise PurchaseInvalid(
            _(
                "This credit note (%(amount)s %(currency)s) and the earlier ones (%(earlier)s %(currency)s) "
                "exceed the purchase %(ref)s (%(original)s %(currency)s) they credit."
            )
            % {
                "amount": net_amount.quantize(CENT),
                "earlier": earlier.quantize(CENT),
                "ref": original.external_id,
                "original": original.net_amount,
                "currency": original.currency,
            },
            field="net_amount",
        )


def closed_company_refusal(company: Company) -> str:
    """Why a purchase or credit note for a company that has left the club is refused (API,
    services and imports): its points were settled when it closed, and reopening it
    (``privacy.closing``) is the way back."""
    return _("Company %(company)s has left the club; it records no new purchases or returns.") % {
        "company": company.external_id or company.name,
    }


def currency_mismatch(company: Company, currency: str) -> str:
    """Why a purchase in ``currency`` is refused for ``company`` (API, services and imports)."""
    return _("Company %(company)s buys in %(expected)s, not %(currency)s.") % {
        "company": company.external_id or company.name,
        "expected": company.purchase_currency,
        "currency": currency,
    }


def purchase_earned_data(
    *,
    purchase_id: int,
    source: str,
    external_id: str,
    occurred_at: datetime,
    net_amount: Decimal,
    currency: str,
    entry_id: int,
    points: int,
    available_at: datetime | None,
    expires_at: datetime | None,
) -> dict:
    """The ``purchase.earned`` event's data, the same from the API and the CSV import."""
    return {
        "purchase": {
            "id": purchase_id,
            "source": source,
            "external_id": external_id,
            "occurred_at": occurred_at.astimezone(UTC).isoformat(),
            "net_amount": str(net_amount),
            "currency": currency,
        },
        "entry_id": entry_id,
        "points": points,
        "available_at": available_at.astimezone(UTC).isoformat() if available_at else None,
        "expires_at": expires_at.astimezone(UTC).isoformat() if expires_at else None,
    }


def _notify_points_after_commit(purchase: Purchase, entry: LedgerEntry) -> None:
    """Queue the "points arrived" notice for after the commit; the task gets everything it
    says, so it reads nothing about the purchase. Through the outbox: recorded in this transaction."""
    outbox_enqueue(
        notify_purchase_points,
        company_id=purchase.company_id,
        purchase_id=purchase.pk,
        external_id=purchase.external_id,
        points=entry.net_points,
        available_at=entry.available_at.isoformat() if entry.available_at else None,
    )


def purchase_points_entry(purchase: Purchase) -> LedgerEntry | None:
    """The entry a recorded purchase wrote: its earn, or a credit note's reversal. One query."""
    kind = EntryKind.REVERSAL if purchase.is_credit_note else EntryKind.EARN
    return LedgerEntry.objects.filter(purchase=purchase, kind=kind, reverses__isnull=True).first()
