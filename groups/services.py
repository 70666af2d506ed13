"""Writes for company groups: points transfers between branches and the pooled balance.

``transfer_request`` is the one way points move between two branches; ``transfer_approve``
and ``transfer_reject`` decide one that waits. Each runs in one transaction and keeps the
global lock order: the two points accounts first, in primary-key order
(``rewards.ledger.services.points_accounts_lock``, taken again inside ``points_transfer``,
a no-op then), then the transfer row. A refused transfer raises ``GroupError`` with a
message for the person and changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core.texts import StoredText
from members.models import Company, CompanyStatus, User
from members.selectors import company_admins
from notifications.models import NotificationKind
from notifications.services import notifications_send
from rewards.bounds import POINTS_MAX
from rewards.ledger.notices import points_with_value, points_with_value_param
from rewards.ledger.services import LedgerError, points_accounts_lock, points_transfer
from rewards.models import LedgerEntry, ProgrammeRules

from .models import CompanyGroup, CompanyGroupAdmin, CompanyGroupMember, PointsMode, PointsTransfer, TransferStatus
from .texts import (
    POOL_IN,
    POOL_OUT,
    TRANSFER_APPROVAL,
    TRANSFER_APPROVAL_BODY,
    TRANSFER_APPROVED,
    TRANSFER_APPROVED_BODY,
    TRANSFER_IN,
    TRANSFER_OUT,
    TRANSFER_RECEIVED,
    TRANSFER_RECEIVED_BODY,
    TRANSFER_REJECTED,
    TRANSFER_REJECTED_BODY,
)

KEY_MAX_LENGTH = 64


class GroupError(Exception):
    """A group rule was broken; the message is meant for the person who tried."""


# --- Who may do what -------------------------------------------------------------------


def group_of(*, company_id: int) -> CompanyGroup | None:
    member = CompanyGroupMember.objects.select_related("group").filter(company_id=company_id).first()
    return member.group if member else None


def is_group_admin(*, user: User, group: CompanyGroup) -> bool:
    return CompanyGroupAdmin.objects.filter(group=group, user=user, user__is_active=True).exists()


def _may_send_from(*, user: User, group: CompanyGroup, company_id: int) -> bool:
    """A group admin sends from any branch; a company admin from their own branch."""
    if is_group_admin(user=user, group=group):
        return True
    membership = getattr(user, "membership", None)
    return bool(membership and membership.is_admin and membership.company_id == company_id)


def _transfer_number(transfer: PointsTransfer) -> str:
    return f"T-{transfer.pk}"


# --- Transfers ---------------------------------------------------------------------------


def transfer_request(
    *,
    by: User,
    from_company: Company,
    to_company: Company,
    points: int,
    key: str,
    note: str = "",
    now: datetime | None = None,
) -> tuple[PointsTransfer, bool]:
    """Ask to move ``points`` from one branch to another of the same group; returns
    ``(transfer, created)``.

    Guarantees: both companies are branches of one group that keeps points per branch;
    ``by`` is a group admin or an admin of the sending branch; the amount is 1 to
    ``POINTS_MAX`` and within the sender's balance (checked under the account locks).
    Above the group's approval threshold, unless ``by`` is a group admin, the transfer
    waits for approval (nothing reserved; the group admins are asked); otherwise both ledger
    entries are written now. Idempotent by ``key``: a retry returns the first transfer, the
    same key with other content is refused.
    """
    now = now or timezone.now()
    key = (key or "").strip()
    note = (note or "").replace("\x00", "").strip()[:200]
    if not key or len(key) > KEY_MAX_LENGTH or "\x00" in key:
        raise GroupError(_("This form has expired. Open the transfer page again."))
    existing = PointsTransfer.objects.filter(key=key).first()
    if existing is not None:
        return _same_transfer_or_raise(existing, from_company=from_company, to_company=to_company, points=points), False
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise GroupError(_("Transfer a positive number of points."))
    if points > POINTS_MAX:
        raise GroupError(
            _("A transfer is at most %(max)s points.") % {"max": number_format(POINTS_MAX, force_grouping=True)}
        )
    if from_company.pk == to_company.pk:
        raise GroupError(_("Choose another branch: points cannot be transferred to the same company."))
    group = group_of(company_id=from_company.pk)
    if group is None:
        raise GroupError(_("%(company)s is not in a company group.") % {"company": from_company.name})
    if not CompanyGroupMember.objects.filter(group=group, company=to_company).exists():
        raise GroupError(
            _("%(company)s is not a branch of %(group)s: points move only within the group.")
            % {"company": to_company.name, "group": group.name}
        )
    if group.points_mode != PointsMode.TRANSFERS:
        raise GroupError(_("%(group)s pools its points: there is nothing to transfer.") % {"group": group.name})
    if not _may_send_from(user=by, group=group, company_id=from_company.pk):
        raise GroupError(
            _("Only a group admin or an admin of %(company)s can send its points.") % {"company": from_company.name}
        )
    for company in (from_company, to_company):
        if company.status != CompanyStatus.ACTIVE:
            raise GroupError(_("%(company)s is not active.") % {"company": company.name})
    needs_approval = (
        group.approval_threshold is not None
        and points > group.approval_threshold
        and not is_group_admin(user=by, group=group)
    )
    try:
        with transaction.atomic():
            accounts = points_accounts_lock(company_ids=[from_company.pk, to_company.pk])
            balance = accounts[from_company.pk].balance
            if balance < points:
                raise GroupError(
                    _("Not enough points: %(company)s has %(balance)s, the transfer needs %(points)s.")
                    % {"company": from_company.name, "balance": _points(balance), "points": _points(points)}
                )
            transfer = PointsTransfer.objects.create(
                group=group,
                from_company=from_company,
                to_company=to_company,
                points=points,
                key=key,
                note=note,
                requested_by=by,
                requested_at=now,
                status=TransferStatus.AWAITING_APPROVAL,
            )
            if needs_approval:
                _ask_group_admins(transfer, now=now)
            else:
                _complete(transfer, by=by, now=now)
    except IntegrityError:
        # Another request with the same key won the race: hand back its transfer.
        existing = PointsTransfer.objects.filter(key=key).first()
        if existing is None:
            raise
        return _same_transfer_or_raise(existing, from_company=from_company, to_company=to_company, points=points), False
    except LedgerError as exc:
        raise GroupError(str(exc)) from exc
    return transfer, True


def transfer_approve(*, transfer: PointsTransfer, by: User, now: datetime | None = None) -> PointsTransfer:
    """A group admin approves a waiting transfer: the sender's balance is checked now, under
    the account locks, and both entries are written. Approving an approved transfer returns it
    unchanged; a rejected one cannot be approved."""
    now = now or timezone.now()
    _require_group_admin(by, transfer.group)
    try:
        with transaction.atomic():
            accounts = points_accounts_lock(company_ids=[transfer.from_company_id, transfer.to_company_id])
            locked = (
                PointsTransfer.objects.select_for_update()
                .select_related("from_company", "to_company", "group")
                .get(pk=transfer.pk)
            )
            if locked.status == TransferStatus.DONE:
                return locked
            if locked.status != TransferStatus.AWAITING_APPROVAL:
                raise GroupError(_("This transfer was already rejected."))
            balance = accounts[locked.from_company_id].balance
            if balance < locked.points:
                raise GroupError(
                    _(
                        "Not enough points: %(company)s has %(balance)s now, the transfer needs %(points)s. Reject it, or wait."
                    )
                    % {
                        "company": locked.from_company.name,
                        "balance": _points(balance),
                        "points": _points(locked.points),
                    }
                )
            locked.decided_by = by
            locked.decided_at = now
            _complete(locked, by=by, now=now)
    except LedgerError as exc:
        raise GroupError(str(exc)) from exc
    return locked


def transfer_reject(
    *, transfer: PointsTransfer, by: User, comment: str = "", now: datetime | None = None
) -> PointsTransfer:
    """A group admin rejects a waiting transfer: no points move. Rejecting twice returns the
    first result; a transfer already made cannot be rejected."""
    now = now or timezone.now()
    _require_group_admin(by, transfer.group)
    comment = (comment or "").replace("\x00", "").strip()[:500]
    with transaction.atomic():
        points_accounts_lock(company_ids=[transfer.from_company_id, transfer.to_company_id])
        locked = (
            PointsTransfer.objects.select_for_update().select_related("from_company", "to_company").get(pk=transfer.pk)
        )
        if locked.status == TransferStatus.REJECTED:
            return locked
        if locked.status != TransferStatus.AWAITING_APPROVAL:
            raise GroupError(_("This transfer was already made."))
        locked.status = TransferStatus.REJECTED
        locked.decided_by = by
        locked.decided_at = now
        locked.decision_comment = comment
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
        _notify(
            users=[locked.requested_by],
            transfer=locked,
            key=f"transfer:{locked.pk}:rejected",
            title=TRANSFER_REJECTED,
            body=TRANSFER_REJECTED_BODY,
            extra={"comment": comment},
            url=reverse("groups:transfers"),
        )
    return locked


def _same_transfer_or_raise(existing: PointsTransfer, *, from_company, to_company, points) -> PointsTransfer:
    if (existing.from_company_id, existing.to_company_id, existing.points) != (from_company.pk, to_company.pk, points):
        raise GroupError(_("This form was already used for another transfer. Open the transfer page again."))
    return existing


def _require_group_admin(user: User, group: CompanyGroup) -> None:
    if not is_group_admin(user=user, group=group):
        raise GroupError(_("Only a group admin of %(group)s can decide transfers.") % {"group": group.name})


def _points(points: int) -> str:
    return points_with_value(points, ProgrammeRules.current())


def _complete(transfer: PointsTransfer, *, by: User, now: datetime) -> None:
    """Write the two entries and mark the transfer done (the caller holds the account locks);
    the receiving branch's admins are told, each in their language."""
    number = _transfer_number(transfer)
    out_entry, in_entry, _created = points_transfer(
        from_company_id=transfer.from_company_id,
        to_company_id=transfer.to_company_id,
        points=transfer.points,
        key=f"group:{transfer.pk}",
        by=transfer.requested_by,
        memo_out=StoredText(TRANSFER_OUT, {"number": number, "company": transfer.to_company.name}),
        memo_in=StoredText(TRANSFER_IN, {"number": number, "company": transfer.from_company.name}),
        now=now,
    )
    transfer.status = TransferStatus.DONE
    transfer.out_entry = out_entry
    transfer.in_entry = in_entry
    transfer.save(update_fields=["status", "out_entry", "in_entry", "decided_by", "decided_at"])
    _notify(
        users=company_admins(company_id=transfer.to_company_id),
        transfer=transfer,
        key=f"transfer:{transfer.pk}:received",
        kind=NotificationKind.POINTS,
        title=TRANSFER_RECEIVED,
        body=TRANSFER_RECEIVED_BODY,
        url=reverse("rewards:history"),
    )
    if transfer.decided_by_id and transfer.decided_by_id != transfer.requested_by_id:
        _notify(
            users=[transfer.requested_by],
            transfer=transfer,
            key=f"transfer:{transfer.pk}:approved",
            title=TRANSFER_APPROVED,
            body=TRANSFER_APPROVED_BODY,
            url=reverse("groups:transfers"),
        )


def _ask_group_admins(transfer: PointsTransfer, *, now: datetime) -> None:
    admins = [
        role.user
        for role in CompanyGroupAdmin.objects.filter(group_id=transfer.group_id).select_related("user")
        if role.user_id != transfer.requested_by_id
    ]
    _notify(
        users=admins,
        transfer=transfer,
        key=f"transfer:{transfer.pk}:approval",
        kind=NotificationKind.APPROVAL,
        title=TRANSFER_APPROVAL,
        body=TRANSFER_APPROVAL_BODY,
        url=reverse("groups:approvals"),
        now=now,
    )


def _notify(*, users, transfer, key, title, body, url, kind=NotificationKind.POINTS, extra=None, now=None) -> None:
    """Tell ``users`` about ``transfer``: ``title`` and ``body`` are keys of ``groups.texts``."""
    params = {
        "number": _transfer_number(transfer),
        "sender": transfer.from_company.name,
        "receiver": transfer.to_company.name,
        "points": points_with_value_param(transfer.points, ProgrammeRules.current()),
        **(extra or {}),
    }
    notifications_send(
        users=users,
        kind=kind,
        key=key,
        title=StoredText(title, params),
        body=StoredText(body, params),
        url=url,
        now=now,
    )


# --- Pooled groups -------------------------------------------------------------------------


def group_pool_sweep(*, company_id: int, now: datetime | None = None) -> LedgerEntry | None:
    """Move a pooled group's branch's spendable points into the group's pool (the pool
    holder's account): a transfer pair written by ``points_transfer``, so the ledger and
    ``check_ledger`` see an ordinary move. Does nothing for a company outside a pooled group,
    for the pool holder itself, or for a zero balance. Safe to run twice or concurrently:
    the key names the branch's newest entry, and the balance is read under the locks.
    Returns the pool's entry, if one was written."""
    now = now or timezone.now()
    group = group_of(company_id=company_id)
    if group is None or not group.is_pooled or group.pool_company_id in (None, company_id):
        return None
    with transaction.atomic():
        accounts = points_accounts_lock(company_ids=[company_id, group.pool_company_id])
        branch = accounts[company_id]
        if branch.balance <= 0:
            return None
        newest = LedgerEntry.objects.filter(account=branch).order_by("-pk").values_list("pk", flat=True).first()
        company_name = Company.objects.filter(pk=company_id).values_list("name", flat=True).first()
        _out, in_entry, _created = points_transfer(
            from_company_id=company_id,
            to_company_id=group.pool_company_id,
            points=branch.balance,
            key=f"pool:{branch.pk}:{newest}",
            by=None,
            memo_out=StoredText(POOL_OUT, {"group": group.name}),
            memo_in=StoredText(POOL_IN, {"company": company_name}),
            now=now,
        )
    return in_entry
