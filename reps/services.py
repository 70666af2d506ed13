"""Writes for the rep workspace: staff notes, goodwill budgets and goodwill points.

``goodwill_award`` is the only way a rep gives goodwill points. In one transaction it
locks the company's points account row, then the rep's budget row for the month — the
global lock order (docs/architecture.md, "Locks"), so it cannot deadlock with a purchase,
an order or another gift. Under the budget lock it checks what is left, writes
the ledger adjustment by the rep, moves the budget's ``awarded`` and records the award, so
concurrent gifts by one rep never exceed the budget (a CHECK constraint is the last guard).
Idempotent by the form's key. A broken rule raises ``RepsError``; nothing is written then.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.formatting import format_number
from core.texts import StoredText
from members.models import Company, CompanyStatus, User
from members.selectors import company_contacts, is_club_admin, is_sales_rep
from notifications.models import NotificationKind
from notifications.services import notifications_send
from rewards.ledger.notices import points_with_value, points_with_value_param
from rewards.ledger.services import LedgerError, points_account_lock, points_adjust
from rewards.models import ProgrammeRules

from . import texts
from .models import GoodwillAward, GoodwillBudget, StaffNote

NOTE_MAX_LENGTH = 5000


class RepsError(Exception):
    """A workspace rule was broken; the message is meant for the person who tried."""


def month_of(moment: datetime | date) -> date:
    """The first day of ``moment``'s month, in the club's time zone."""
    day = timezone.localdate(moment) if isinstance(moment, datetime) else moment
    return day.replace(day=1)


# --- Staff notes ------------------------------------------------------------------------------


def staff_note_add(*, company: Company, author: User, body: str) -> StaffNote:
    """A private note about ``company`` by its rep or a club admin."""
    body = (body or "").strip()
    if not body:
        raise RepsError(_("Write the note before saving it."))
    if len(body) > NOTE_MAX_LENGTH:
        raise RepsError(_("A note can be at most %(limit)s characters.") % {"limit": NOTE_MAX_LENGTH})
    if not (company.sales_rep_id == author.pk or is_club_admin(author)):
        raise RepsError(_("Only the account's sales rep and club admins can write notes about it."))
    return StaffNote.objects.create(company=company, author=author, body=body)


# --- Goodwill budgets -----------------------------------------------------------------------------


def goodwill_budget_set(*, rep: User, month: date, points: int, by: User) -> GoodwillBudget:
    """Set ``rep``'s goodwill budget for ``month`` (club admins). Refused below what the rep
    has already given that month. Locks the budget row, as gifts do."""
    if not is_club_admin(by):
        raise RepsError(_("Only club admins set goodwill budgets."))
    if not is_sales_rep(rep):
        raise RepsError(_("%(person)s is not a sales rep.") % {"person": rep})
    if points < 0:
        raise RepsError(_("A budget cannot be negative."))
    month = month_of(month)
    with transaction.atomic():
        budget = _lock_budget(rep=rep, month=month, carry_over=False)
        if budget is None:
            try:
                with transaction.atomic():
                    return GoodwillBudget.objects.create(
                        rep=rep, month=month, points=points, updated_by=by, updated_at=timezone.now()
                    )
            except IntegrityError:
                budget = _lock_budget(rep=rep, month=month, carry_over=False)
        if points < budget.awarded:
            raise RepsError(
                _("%(rep)s has already given %(awarded)s points this month; the budget cannot be lower.")
                % {"rep": rep, "awarded": budget.awarded}
            )
        budget.points, budget.updated_by, budget.updated_at = points, by, timezone.now()
        budget.save(update_fields=["points", "updated_by", "updated_at"])
        return budget


def _lock_budget(*, rep: User, month: date, carry_over: bool = True) -> GoodwillBudget | None:
    """Lock ``rep``'s budget row for ``month``; the caller is inside ``transaction.atomic``.

    Without a row for the month, one is created with the points of the rep's latest earlier
    budget (budgets carry over until a club admin changes them) when ``carry_over``; None
    when there is nothing to carry over. Two first gifts of the month race on the UNIQUE
    (rep, month) insert; the loser locks the winner's row.
    """
    locked = GoodwillBudget.objects.select_for_update()
    budget = locked.filter(rep=rep, month=month).first()
    if budget is not None or not carry_over:
        return budget
    previous = GoodwillBudget.objects.filter(rep=rep, month__lt=month).order_by("-month").first()
    if previous is None:
        return None
    try:
        with transaction.atomic():
            GoodwillBudget.objects.create(
                rep=rep, month=month, points=previous.points, updated_by=previous.updated_by, updated_at=timezone.now()
            )
    except IntegrityError:
        pass
    return locked.get(rep=rep, month=month)


# --- Goodwill points -----------------------------------------------------------------------------


def goodwill_award(
    *, rep: User, company: Company, points: int, reason: str, key: str, now: datetime | None = None
) -> GoodwillAward:
    """Give ``points`` goodwill points from ``rep``'s budget this month to ``company``.

    Refused (``RepsError``, nothing written) unless ``rep`` is a sales rep and the company's
    assigned rep, the company is active, ``points`` is positive, a reason is given, and the
    rep's budget for the month has that much left. The points become a ledger adjustment by
    the rep (``rewards.ledger.services.points_adjust``; they expire like earned points) and the
    company's contacts are told in the portal and by e-mail. A retry with the same ``key``
    returns the first award.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise RepsError(_("Say why you are giving these points; the company sees the reason."))
    if len(reason) > GoodwillAward._meta.get_field("reason").max_length:
        raise RepsError(_("Keep the reason to 300 characters."))
    if not isinstance(points, int) or points <= 0:
        raise RepsError(_("Give a positive number of points."))
    if not is_sales_rep(rep) or company.sales_rep_id != rep.pk:
        raise RepsError(_("%(company)s is not one of your accounts.") % {"company": company})
    if company.status != CompanyStatus.ACTIVE:
        raise RepsError(_("%(company)s is suspended.") % {"company": company})
    now = now or timezone.now()
    with transaction.atomic():
        existing = GoodwillAward.objects.filter(key=key).first()
        if existing is not None:
            if (existing.rep_id, existing.company_id, existing.points) != (rep.pk, company.pk, points):
                raise RepsError(_("This form was already used for another gift; reload the page."))
            return existing
        # The global lock order (docs/architecture.md, "Locks"): the points account first,
        # then the row of the budget its movement uses.
        account = points_account_lock(company_id=company.pk)
        budget = _lock_budget(rep=rep, month=month_of(now))
        if budget is None:
            raise RepsError(_("You have no goodwill budget this month. Ask a club admin to set one."))
        if budget.awarded + points > budget.points:
            raise RepsError(
                _("Only %(left)s of your %(budget)s goodwill points are left this month.")
                % {
                    "left": points_with_value(budget.left, ProgrammeRules.current()),
                    "budget": format_number(budget.points),
                }
            )
        try:
            entry = points_adjust(
                account=account,
                points=points,
                reason=reason,
                # Worded for each reader when shown; the rep's reason stays as typed.
                memo=StoredText(texts.GOODWILL, {"rep": str(rep), "reason": reason}),
                by=rep,
                key=f"goodwill:{key}",
                now=now,
            )
        except LedgerError as exc:
            raise RepsError(str(exc)) from exc
        GoodwillBudget.objects.filter(pk=budget.pk).update(awarded=F("awarded") + points)
        award = GoodwillAward.objects.create(
            rep=rep, company=company, budget=budget, points=points, reason=reason, entry=entry, key=key, created_at=now
        )
        _goodwill_notify(award)
    return award


def _goodwill_notify(award: GoodwillAward) -> None:
    rules = ProgrammeRules.current().for_company(award.company_id)
    notifications_send(
        users=company_contacts(company_id=award.company_id),
        kind=NotificationKind.POINTS,
        key=f"goodwill:{award.pk}",
        title=StoredText(
            texts.GOODWILL_NOTICE, {"rep": str(award.rep), "points": points_with_value_param(award.points, rules)}
        ),
        body=StoredText(texts.GOODWILL_NOTICE_BODY, {"reason": award.reason}),
        url="/points/history/",
        now=award.created_at,
    )
