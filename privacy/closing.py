"""A company leaving the club: closing it (``company_close``) and reopening it
(``company_reopen``). The export of its data is ``privacy.company_export``.

**Who.** Staff holding ``privacy.close_company`` (Club admins) for a company in their scope
(``members.selectors.staff_company_q``); anyone else gets ``PrivacyError`` and nothing
changes, whichever page calls. Sales reps do not close their accounts: leaving the club
settles money (the club's liability) and closes people's log-ins, a club decision.

**Closing**, in one transaction, locks in the ledger's order (the points account row, then
the company row, then each open order's rows):

1. every open order is cancelled with its points, stock and codes returned
   (``rewards.redemptions.services.redemptions_cancel_for_closing``), so no points stay
   reserved for goods the club would still have to send;
2. the points are settled through the ledger's service (``points_account_close``: pending
   points released early, then one ``close`` entry takes the whole balance) by the club's
   rule (``ProgrammeRules.closing_rule``): forfeited, or paid out at the point value as an
   ``InvoiceCredit`` the ERP fetches like any other; the liability drops by exactly what the
   company held and ``check_ledger`` stays clean;
3. status closed, every contact's log-in closed and their sessions ended, open invitations
   revoked (``members.services.company_access_close``);
4. a ``CompanyClosure`` row (one open per company: closing twice closes once — a second
   call is refused with a message and changes nothing), an audit-trail row, the
   ``company.closed`` event for webhooks, and an e-mail to the company's admins in their
   language, queued through the outbox.

**Reopening** sets the company active again and, when staff ask for it, gives the people
whose log-in the closing closed their log-in back. The points are not restored: a staff
correction (``points_adjust``) does that, deliberately.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from auditlog.models import LogEntry as AuditEntry
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.mail import send_branded_mail
from core.texts import StoredText
from members.languages import person_language
from members.models import Company, CompanyStatus, Membership, MembershipRole, User
from members.selectors import staff_company_q
from members.services import company_access_close, company_access_reopen
from outbox.events import EventType, event_emit
from outbox.services import outbox_enqueue
from privacy.models import CompanyClosure
from privacy.services import PrivacyError
from privacy.sessions import sessions_of
from rewards.ledger.selectors import points_value
from rewards.ledger.services import points_account_close, points_account_lock
from rewards.models import OPEN_STATUSES, ClosingRule, PointsAccount, ProgrammeRules, Redemption
from rewards.redemptions.credits import invoice_credit_for_closing
from rewards.redemptions.services import redemptions_cancel_for_closing
from rewards.texts import CLOSED_CREDITED, CLOSED_FORFEITED

CLOSE_PERMISSION = "privacy.close_company"


def may_close(*, user: User, company: Company) -> bool:
    """Whether ``user`` may export, close and reopen ``company`` (permission and scope)."""
    return bool(
        user.is_active
        and user.is_staff
        and user.has_perm(CLOSE_PERMISSION)
        and Company.objects.filter(staff_company_q(user=user), pk=company.pk).exists()
    )


@dataclass(frozen=True)
class ClosingPreview:
    """What closing the company would do now, for the confirmation page."""

    status: str
    rule: str
    rule_label: str
    balance: int
    pending: int
    points_value: Decimal
    currency: str
    open_orders: int
    contacts: int
    open_invitations: int

    @property
    def points(self) -> int:
        return self.balance + self.pending

    @property
    def is_closed(self) -> bool:
        return self.status == CompanyStatus.CLOSED


def closing_preview(*, company: Company) -> ClosingPreview:
    """Figures for the confirmation page: the points the closing would take (balance and
    pending) and their money value, the orders it would cancel, the log-ins it would close.
    A handful of queries, whatever the company's size."""
    rules = ProgrammeRules.current()
    worth = rules.for_company(company)  # paid out in the company's own currency
    account = PointsAccount.objects.filter(company=company).first()
    balance, pending = (account.balance, account.pending) if account else (0, 0)
    return ClosingPreview(
        status=company.status,
        rule=rules.closing_rule,
        rule_label=str(ClosingRule(rules.closing_rule).label),
        balance=balance,
        pending=pending,
        points_value=points_value(points=balance + pending, rules=worth),
        currency=worth.currency,
        open_orders=Redemption.objects.filter(company=company, status__in=OPEN_STATUSES).count(),
        contacts=User.objects.filter(membership__company=company, is_active=True, is_staff=False).count(),
        open_invitations=company.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).count(),
    )


def _require(*, by: User, company: Company) -> None:
    if not may_close(user=by, company=company):
        raise PrivacyError(_("You may not close or reopen this company."))


def company_close(*, company: Company, by: User, now: datetime | None = None) -> CompanyClosure:
    """Close ``company`` (see the module docstring): open orders cancelled, points settled by
    the club's rule as ledger entries, log-ins closed, invitations revoked. Refused (with a
    message, nothing changed) for a company already closed or by someone without the
    permission or outside their scope. Returns the closure."""
    _require(by=by, company=company)
    now = now or timezone.now()
    rule = ProgrammeRules.current().closing_rule
    with transaction.atomic():
        points_account_lock(company_id=company.pk)  # the ledger's first lock, always
        company = Company.objects.select_for_update().get(pk=company.pk)
        if company.status == CompanyStatus.CLOSED:
            raise PrivacyError(_("%(company)s is already closed.") % {"company": company.name})
        orders = redemptions_cancel_for_closing(company_id=company.pk, by=by, now=now)
        closure = CompanyClosure.objects.create(company=company, closed_at=now, closed_by=by, rule=rule)
        memo = StoredText(CLOSED_CREDITED if rule == ClosingRule.CREDIT else CLOSED_FORFEITED, {})
        entry, _created = points_account_close(
            company_id=company.pk, key=f"closure:{closure.pk}", memo=memo, by=by, now=now
        )
        credit = None
        if entry is not None and rule == ClosingRule.CREDIT:
            credit = invoice_credit_for_closing(entry=entry, company_id=company.pk, now=now)
        people, invitations = company_access_close(company=company, now=now)
        for person in User.objects.filter(pk__in=people).order_by("pk"):
            for session in sessions_of(user=person):
                session.delete()
        closure.points = -entry.points if entry is not None else 0
        closure.closing_entry = entry
        closure.invoice_credit = credit
        closure.orders_cancelled = orders
        closure.invitations_revoked = invitations
        closure.contacts = people
        closure.save()
        audit_record(
            instance=company,
            actor=by,
            action=AuditEntry.Action.UPDATE,
            changes={
                "status": [CompanyStatus.ACTIVE, CompanyStatus.CLOSED],
                "closing_rule": [None, rule],
                "points": [None, closure.points],
                "orders_cancelled": [None, orders],
                "contacts_deactivated": [None, len(people)],
            },
        )
        event_emit(
            EventType.COMPANY_CLOSED,
            company_id=company.pk,
            occurred_at=now,
            data={
                "status": CompanyStatus.CLOSED,
                "closing_rule": rule,
                "points": closure.points,
                "invoice_credit_id": credit.pk if credit else None,
                "orders_cancelled": orders,
            },
        )
        from privacy.tasks import send_company_closed_email  # the task module imports this one

        outbox_enqueue(send_company_closed_email, closure.pk)
    return closure


def company_reopen(
    *, company: Company, by: User, reactivate_contacts: bool, now: datetime | None = None
) -> CompanyClosure:
    """Reopen a closed company: active again, and with ``reactivate_contacts`` the people
    whose log-in the closing closed get it back. Points are not restored (a staff correction
    does that). Refused with a message for a company that is not closed."""
    _require(by=by, company=company)
    now = now or timezone.now()
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=company.pk)
        closure = CompanyClosure.objects.select_for_update().filter(company=company, reopened_at__isnull=True).first()
        if company.status != CompanyStatus.CLOSED or closure is None:
            raise PrivacyError(_("%(company)s is not closed; there is nothing to reopen.") % {"company": company.name})
        reactivated = company_access_reopen(company=company, reactivate=closure.contacts if reactivate_contacts else [])
        closure.reopened_at = now
        closure.reopened_by = by
        closure.contacts_reactivated = reactivated
        closure.save(update_fields=["reopened_at", "reopened_by", "contacts_reactivated"])
        audit_record(
            instance=company,
            actor=by,
            action=AuditEntry.Action.UPDATE,
            changes={
                "status": [CompanyStatus.CLOSED, CompanyStatus.ACTIVE],
                "contacts_reactivated": [None, reactivated],
            },
        )
        event_emit(
            EventType.COMPANY_REOPENED,
            company_id=company.pk,
            occurred_at=now,
            data={"status": CompanyStatus.ACTIVE, "contacts_reactivated": reactivated},
        )
    return closure


def company_closed_email_send(*, closure_id: int, now: datetime | None = None) -> int:
    """E-mail the closed company's admins (those whose log-in the closing closed), each in
    their language, at most once: ``emailed_at`` is set under the closure's row lock, so a
    task delivered twice sends nothing the second time. Returns how many e-mails went out."""
    with transaction.atomic():
        closure = (
            CompanyClosure.objects.select_for_update(of=("self",))
            .select_related("company", "invoice_credit")
            .filter(pk=closure_id, emailed_at__isnull=True)
            .first()
        )
        if closure is None:
            return 0
        admins = User.objects.filter(
            pk__in=closure.contacts,
            membership__in=Membership.objects.filter(company=closure.company, role=MembershipRole.ADMIN),
        ).select_related("membership__company")
        sent = 0
        for admin in admins.order_by("pk"):
            send_branded_mail(
                template="privacy/email/company_closed",
                to=admin.email,
                context={"closure": closure, "company": closure.company, "credit": closure.invoice_credit},
                language=person_language(admin),
            )
            sent += 1
        closure.emailed_at = now or timezone.now()
        closure.save(update_fields=["emailed_at"])
    return sent
