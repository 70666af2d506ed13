"""Invoice credits: points turned into money off a company's next invoice.

A credit is made in the transaction that spends the points — a fulfilled order of an
invoice-credit reward (``invoice_credit_for_redemption``, called by the redemption
services) or the payout of a closing company's points (``invoice_credit_for_closing``,
called by ``privacy.closing``) — so there is never a credit without its ledger entry, nor
the reverse. The ERP lists the open credits through the API and marks each one applied
(``invoice_credit_apply``: under the credit's row lock, idempotent). Each step announces an
event (``invoice_credit.created``, ``invoice_credit.applied``) for the webhooks.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Company
from outbox.events import EventType, event_emit
from rewards.ledger.selectors import points_value
from rewards.models import (
    InvoiceCredit,
    InvoiceCreditSource,
    InvoiceCreditStatus,
    LedgerEntry,
    ProgrammeRules,
    Redemption,
)

CENT = Decimal("0.01")


class InvoiceCreditError(Exception):
    """A rule about invoice credits was broken; the message is for the person or integrator."""


def _announce(credit: InvoiceCredit, event_type: str) -> None:
    event_emit(
        event_type,
        company_id=credit.company_id,
        occurred_at=credit.applied_at if event_type == EventType.INVOICE_CREDIT_APPLIED else credit.created_at,
        data={"invoice_credit": invoice_credit_data(credit)},
    )


def invoice_credit_data(credit: InvoiceCredit) -> dict:
    """The structured shape integrators read, in the API and in webhook payloads (version 1)."""
    return {
        "id": credit.pk,
        "number": credit.number,
        "company_id": credit.company_id,
        "source": credit.source,
        "redemption_id": credit.redemption_id,
        "points": credit.points,
        "amount": str(credit.amount),
        "currency": credit.currency,
        "status": credit.status,
        "created_at": credit.created_at.isoformat(),
        "applied_at": credit.applied_at.isoformat() if credit.applied_at else None,
        "invoice_reference": credit.invoice_reference,
    }


def invoice_credit_currency_refusal(redemption: Redemption, *, invoiced_in: str) -> str:
    """Why an invoice-credit order in another currency than the company's gets no credit
    (here and in ``rewards.redemptions.services``, which refuses it before it writes)."""
    return _(
        "Order %(number)s would credit %(currency)s on an invoice in %(own)s; no credit is made. "
        "Reject the order to give the points back."
    ) % {"number": redemption.number, "currency": redemption.currency, "own": invoiced_in}


def invoice_credit_for_redemption(*, redemption: Redemption, now: datetime) -> InvoiceCredit:
    """The credit an invoice-credit order earns once fulfilled: the reward's money value ×
    quantity, in the reward's currency. The caller holds the redemption's row lock in the
    transaction that fulfils it; a second call returns the first credit (UNIQUE link).

    Raises ``InvoiceCreditError`` when that currency is not the one the company is invoiced
    in (``Company.purchase_currency``): the ERP is never asked for 1 000 SEK off a EUR
    invoice. The catalogue and ``redemption_request`` keep such orders out; this is the last
    guard (an order placed before they did)."""
    existing = InvoiceCredit.objects.filter(redemption=redemption).first()
    if existing is not None:
        return existing
    invoiced_in = Company.objects.only("currency", "country").get(pk=redemption.company_id).purchase_currency
    if redemption.currency != invoiced_in:
        raise InvoiceCreditError(invoice_credit_currency_refusal(redemption, invoiced_in=invoiced_in))
    credit = InvoiceCredit.objects.create(
        company_id=redemption.company_id,
        source=InvoiceCreditSource.REDEMPTION,
        redemption=redemption,
        points=redemption.points_total,
        amount=(redemption.value_each * redemption.quantity).quantize(CENT, rounding=ROUND_HALF_UP),
        currency=redemption.currency,
        created_at=now,
    )
    _announce(credit, EventType.INVOICE_CREDIT_CREATED)
    return credit


def invoice_credit_for_closing(*, entry: LedgerEntry, company_id: int, now: datetime) -> InvoiceCredit:
    """The payout of a closing company's points: what the closing entry took, at the
    programme's point value in the company's own currency (the invoice it goes on is in that
    currency; its base-currency value when the club has no terms for it). Called in the
    closing's transaction; a second call for the same entry returns the first credit (UNIQUE
    link)."""
    existing = InvoiceCredit.objects.filter(closing_entry=entry).first()
    if existing is not None:
        return existing
    rules = ProgrammeRules.current().for_company(company_id)
    points = -entry.points
    credit = InvoiceCredit.objects.create(
        company_id=company_id,
        source=InvoiceCreditSource.CLOSING,
        closing_entry=entry,
        points=points,
        amount=points_value(points=points, rules=rules),  # what the confirmation page showed
        currency=rules.currency,
        created_at=now,
    )
    _announce(credit, EventType.INVOICE_CREDIT_CREATED)
    return credit


def invoice_credit_apply(
    *, credit: InvoiceCredit, invoice_reference: str, actor_label: str, now: datetime | None = None
) -> tuple[InvoiceCredit, bool]:
    """The ERP put ``credit`` on invoice ``invoice_reference``. Returns ``(credit, changed)``.

    Locks the credit's row; an applied credit is returned unchanged with ``changed=False``
    (the API's retry), whatever reference the retry names. The amount never changes.
    """
    invoice_reference = invoice_reference.strip()
    if not invoice_reference:
        raise InvoiceCreditError(_("Name the invoice the credit was put on."))
    if len(invoice_reference) > 100 or "\x00" in invoice_reference:
        raise InvoiceCreditError(_("The invoice reference is at most 100 characters of text."))
    now = now or timezone.now()
    with transaction.atomic():
        locked = InvoiceCredit.objects.select_for_update().get(pk=credit.pk)
        if locked.status == InvoiceCreditStatus.APPLIED:
            return locked, False
        locked.status = InvoiceCreditStatus.APPLIED
        locked.applied_at = now
        locked.invoice_reference = invoice_reference
        locked.applied_by = actor_label[:100]
        locked.save(update_fields=["status", "applied_at", "invoice_reference", "applied_by"])
        _announce(locked, EventType.INVOICE_CREDIT_APPLIED)
    return locked, True
