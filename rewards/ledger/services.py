"""Writes for the points economy: where a points bucket changes, entry by entry.

The one exception is the set-based CSV import on PostgreSQL (``rewards.purchases.imports``), which
writes a chunk's entries and bucket moves in SQL under the same account locks; the
differential tests (``tests/rewards/test_earn_differential.py``) hold it to the same result.

Every function here runs in one transaction and follows the same order: lock the
account row (``select_for_update``), look for an entry with the same idempotency key,
check the rule, insert one ``LedgerEntry``, and move the account's buckets by that
entry's signed columns with ``F()`` expressions. So for every account, at every commit:

    balance   == sum(entry.points)            >= 0
    pending   == sum(entry.pending_points)    >= 0
    shortfall == sum(entry.shortfall_points)  >= 0

(CHECK constraints are the last guard for ``>= 0``; ``manage.py check_ledger`` verifies
the sums.) A retried call with the same idempotency key changes nothing and returns the
first entry; the same key with different content raises ``LedgerError``. A broken rule
raises ``LedgerError`` with a message a person can read, and nothing is written.

Every function touches one account per transaction and locks just that row; batch jobs
(release, expiry, tiers) take one short transaction per account, so no two account locks
are ever held at once and lock order cannot deadlock. The one move between two accounts,
``points_transfer``, locks both rows in primary-key order (``points_accounts_lock``).

Services elsewhere that hold the account lock across rows of their own keep one order: the
points account row first (``points_account_lock``), then their row, never the other way
round. ``rewards.redemptions.services`` locks the account, then the reward, and moves points with
``points_redeem``/``points_return_redeemed``; campaigns (``campaigns.earn``,
``campaigns.services``) give extra points inside a purchase's earn entry and award
activities and challenges with ``points_award``, locking the account, then the campaign
row whose budget the award uses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, Q, Subquery, Sum, Window
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.currencies import currency_is_known
from core.mail import send_branded_mail
from core.texts import FREE_TEXT, StoredText, free_text, text_registered
from members.languages import person_language
from members.models import Company, CompanyStatus, User
from members.selectors import company_admins
from outbox.events import EventType, event_emit, events_wanted
from outbox.services import outbox_enqueue
from rewards.earn import EarnBonus, EarnContributor, earn_contributors
from rewards.ledger.months import (
    QUALIFYING_MANY_SQL,
    QUALIFYING_SQL,
    account_months_add,
    qualifying_many_params,
    qualifying_points_between,
    qualifying_sql_params,
)
from rewards.models import (
    EntryKind,
    ExpiryReminder,
    LedgerEntry,
    PointsAccount,
    ProgrammeRules,
    Purchase,
    PurchaseLine,
    Redemption,
    Tier,
    TierDowngradeNotice,
)
from rewards.rules import exact_points, whole_points
from rewards.texts import CREDIT_NOTE, EXPIRED, PAID_OFF, POINTS_RETURNED, purchase_memo


class LedgerError(Exception):
    """A points rule was broken; the message is meant for the person who tried."""


# --- Helpers -------------------------------------------------------------------------------


def _lock_account(account_id: int) -> PointsAccount:
    return PointsAccount.objects.select_for_update().get(pk=account_id)


def _add_months(moment: datetime, months: int) -> datetime:
    return moment + relativedelta(months=months)


def _round_points(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _memo(text: StoredText | None) -> dict:
    """An entry's description columns: a registered message key and its JSON parameters,
    never finished words (``core.texts``). Free words — a reason someone typed — are kept as
    typed under ``FREE_TEXT``."""
    if not isinstance(text, StoredText | None):
        raise TypeError("A ledger description is a StoredText (core.texts), never finished words.")
    if text is None or not text.key:
        return {"memo_key": "", "memo_params": {}}
    if not text_registered(text.key) and text.key != FREE_TEXT:
        raise ValueError(f"Ledger text {text.key!r} is not registered (core.texts).")
    params = dict(text.params)
    if text.key == FREE_TEXT:
        params["text"] = str(params.get("text", ""))[:500]
    return {"memo_key": text.key, "memo_params": params}


def _same_or_raise(entry: LedgerEntry, **expected) -> LedgerEntry:
    """Return ``entry`` if it is what this call would have written, else raise."""
    for field, value in expected.items():
        if getattr(entry, field) != value:
            raise LedgerError(
                _("The idempotency key %(key)s was already used for a different movement.")
                % {"key": entry.idempotency_key}
            )
    return entry


def _write(account: PointsAccount, *, key_is_new: bool = False, **fields) -> tuple[LedgerEntry, bool]:
    """Insert one entry and move the locked account's buckets by its columns.

    The caller holds the account lock and has already looked for the key. Another
    transaction can still win the key when it locked a *different* account (a key reused
    across companies): then the insert fails on the unique index, nothing has been
    changed, and the winner is returned with ``created=False`` for the caller to compare.

    ``key_is_new=True`` says no other transaction can hold the key (it names a row this
    transaction created, e.g. ``earn:<id of a purchase inserted just now>``): the insert
    then runs without a savepoint, and a failure aborts the caller's transaction.

    The account row was read under the lock, so its buckets after the ``F()`` update are
    the values read plus the entry's columns: they are set in memory, not re-read.
    """
    key = fields["idempotency_key"]
    # The balance right after this entry: the caller holds the account lock, so no other
    # entry of the account comes in between (shown by the points history as it is).
    fields["balance_after"] = account.balance + fields.get("points", 0)
    if key_is_new:
        entry = LedgerEntry.objects.create(account=account, **fields)
    else:
        try:
            with transaction.atomic():
                entry = LedgerEntry.objects.create(account=account, **fields)
        except IntegrityError as exc:
            winner = LedgerEntry.objects.filter(idempotency_key=key).first()
            if winner is None:
                raise LedgerError(_("This movement conflicts with one already recorded.")) from exc
            return winner, False
    account_months_add(entry)
    if entry.points or entry.pending_points or entry.shortfall_points:
        PointsAccount.objects.filter(pk=account.pk).update(
            balance=F("balance") + entry.points,
            pending=F("pending") + entry.pending_points,
            shortfall=F("shortfall") + entry.shortfall_points,
        )
        account.balance += entry.points
        account.pending += entry.pending_points
        account.shortfall += entry.shortfall_points
    return entry, True


def _record_once(
    lock: Callable[[], PointsAccount],
    *,
    key: str,
    expected: dict,
    columns: Callable[[PointsAccount], dict | None],
    look_up: bool = True,
    savepoint: bool = True,
) -> tuple[LedgerEntry | None, bool]:
    """The ledger's one write sequence; every movement here goes through it.

    In one transaction: ``lock()`` the account row; if an entry with ``key`` exists, return
    it when it is what this call would have written (``expected``'s fields; else
    ``LedgerError``); otherwise ask ``columns(account)`` for the new entry's fields (it
    checks the rule against the locked account and raises ``LedgerError``, or returns None
    to write nothing), insert it and move the account's buckets (``_write``). Returns
    ``(entry, created)``; ``(None, False)`` when ``columns`` chose to write nothing.

    ``look_up=False`` (with ``savepoint=False``) is for a key no other transaction can hold:
    one naming a row the caller's open transaction has just inserted.
    """
    with transaction.atomic(savepoint=savepoint):
        account = lock()
        if look_up:
            existing = LedgerEntry.objects.filter(idempotency_key=key).first()
            if existing is not None:
                return _same_or_raise(existing, account_id=account.pk, **expected), False
        fields = columns(account)
        if fields is None:
            return None, False
        entry, created = _write(account, key_is_new=not look_up, idempotency_key=key, **fields)
        if not created:
            return _same_or_raise(entry, account_id=account.pk, **expected), False
        return entry, True


def _take_back(account: PointsAccount, owed: int) -> dict[str, int]:
    """Columns for taking ``owed`` spendable points back: as much as the balance holds,
    the rest recorded as shortfall. The balance never goes negative."""
    taken = min(account.balance, owed)
    return {"points": -taken, "shortfall_points": owed - taken}


def _audit_staff_entry(entry: LedgerEntry, *, by: User) -> None:
    """The audit trail's row for a staff correction (adjustment or reversal), in the entry's
    transaction. Only these: the ledger's other writes (imports, earn, expiry) are not staff
    decisions, and a signal on every entry would slow a large import down."""
    audit_record(
        instance=entry,
        actor=by,
        changes={
            "account": [None, str(entry.account)],
            "kind": [None, entry.kind],
            "points": [None, entry.points],
            "pending_points": [None, entry.pending_points],
            "memo_key": [None, entry.memo_key],
            "memo_params": [None, entry.memo_params],
            "reverses": [None, entry.reverses_id],
        },
    )


def _require_staff(by: User | None) -> None:
    if by is None or not by.is_staff:
        raise LedgerError(_("Only staff can correct points."))


def points_account_for_company(*, company: Company) -> PointsAccount:
    """The company's points account, created empty on first use (safe under races)."""
    account, _created = PointsAccount.objects.get_or_create(company=company)
    return account


def _lock_account_for_company(company_id: int) -> PointsAccount:
    """Lock the company's account row, creating it empty on first use; one query when it exists.

    The caller is inside ``transaction.atomic``. The tier comes with the row (a join; only
    the account row is locked). Two first purchases of a new company race on the create:
    the loser's insert fails on the UNIQUE company column inside its savepoint, and it
    locks the winner's row instead (on PostgreSQL the insert waits for the winner to commit).
    """
    locked = PointsAccount.objects.select_for_update(of=("self",)).select_related("tier")
    account = locked.filter(company_id=company_id).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            # A row this transaction inserted is as good as locked: others cannot see it yet.
            return PointsAccount.objects.create(company_id=company_id)
    except IntegrityError:
        return locked.get(company_id=company_id)


def points_account_lock(*, company_id: int) -> PointsAccount:
    """Lock the company's points account row (creating it empty on first use) until the
    caller's transaction ends, and return it with its tier.

    For services that must hold the account before they lock rows of their own (a reward's
    stock, a campaign's budget): the account row always comes first. The movement itself
    still goes through a function here (which takes the same lock again, a no-op inside the
    transaction).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("points_account_lock() needs an open transaction.")
    return _lock_account_for_company(company_id)


def points_accounts_lock(*, company_ids: Sequence[int]) -> dict[int, PointsAccount]:
    """Lock the points accounts of ``company_ids`` (created empty on first use) in primary-key
    order until the caller's transaction ends; ``{company id: account}``.

    The one way to hold two account locks at once: every caller takes them in the same
    order, so two moves in opposite directions wait for each other instead of deadlocking.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("points_accounts_lock() needs an open transaction.")
    ids = sorted(set(company_ids))
    existing = dict(PointsAccount.objects.filter(company_id__in=ids).values_list("company_id", "pk"))
    for company_id in ids:
        if company_id not in existing:
            # Created (or found) outside the lock order; a bare insert holds no lock others wait on.
            existing[company_id] = points_account_for_company(company=Company(pk=company_id)).pk
    locked = (
        PointsAccount.objects.select_for_update(of=("self",)).filter(pk__in=sorted(existing.values())).order_by("pk")
    )
    return {account.company_id: account for account in locked}


# --- Earning -------------------------------------------------------------------------------


def purchase_points(
    *, purchase: Purchase, rules: ProgrammeRules, tier: Tier | None, lines: Sequence[PurchaseLine] | None = None
) -> int:
    """The points a purchase earns. Pure; reads the purchase's lines (one query) unless the
    caller passes them as ``lines`` (with their categories loaded).

    The rule is ``rewards.rules``: each line's exact points (amount × category multiplier ×
    points per currency unit × tier multiplier; the purchase's ``net_amount`` when it has no
    lines), summed exactly and rounded once, half up, never below 0. Rounding once per
    purchase means ten lines worth 0.4 points each earn 4 points, not 0.
    """
    if lines is None:
        lines = list(purchase.lines.select_related("category"))
    per_unit = rules.points_per_currency_unit
    tier_multiplier = tier.earn_multiplier if tier else None
    amounts = [(line.amount, line.category.multiplier if line.category else None) for line in lines] or [
        (purchase.net_amount, None)
    ]
    exact = sum(
        (
            exact_points(
                amount=amount, category_multiplier=category, per_unit=per_unit, tier_multiplier=tier_multiplier
            )
            for amount, category in amounts
        ),
        Decimal("0"),
    )
    return whole_points(exact)


def currency_refusal(currency: str, rules: ProgrammeRules) -> str:
    """Why a purchase in ``currency`` cannot earn (one wording for the API, the services and
    both import paths): not a currency code at all, or one the programme has no rate for."""
    if not currency_is_known(currency):
        return _("%(currency)s is not a currency code (ISO 4217, e.g. SEK or EUR).") % {"currency": currency}
    return _(
        "The programme has no earn rate for %(currency)s (it runs in %(currencies)s); staff set one under programme currencies."
    ) % {"currency": currency, "currencies": ", ".join(rules.currencies())}


def points_earn_for_purchase(
    *,
    purchase: Purchase,
    now: datetime | None = None,
    rules: ProgrammeRules | None = None,
    new_lines: Sequence[PurchaseLine] | None = None,
) -> LedgerEntry:
    """Record the points ``purchase`` earns for its company, pending until the return window ends.

    Writes one earn entry (``pending_points = N``, ``available_at = occurred_at + return
    window``, ``expires_at = occurred_at + expiry months``) with key ``earn:<purchase id>``,
    where N is ``purchase_points`` plus the extra points of running campaigns
    (``campaigns.earn``, recorded there as campaign awards and named in the memo);
    a purchase earns at most once (also a partial UNIQUE index). If the window has already
    passed (a late import) the points are released at once, in the same transaction — and
    release is where an outstanding shortfall is paid first, because pending points can
    still be returned. Then the tier is re-evaluated so an upgrade is immediate.

    The account row is locked for the whole transaction. ``rules`` saves a read when the
    caller has them. ``new_lines`` is for a caller that inserted ``purchase`` and its lines
    (all of them, categories attached) in the transaction that is still open: nobody else
    can have earned for that purchase yet, so the idempotency-key read, the savepoint and
    the lines read are skipped; the caller's transaction is the one that rolls back on error.
    """
    now = now or timezone.now()
    if purchase.is_credit_note:
        raise LedgerError(_("A credit note does not earn points; it is a return."))
    rules = rules or ProgrammeRules.current()
    # The earn rate of the purchase's own currency (the club's decision, rewards.models.
    # ProgrammeCurrency); the set-based import stages the same rate per row.
    currency_rules = rules.in_currency(purchase.currency)
    if currency_rules is None:
        raise LedgerError(currency_refusal(purchase.currency, rules))
    rules = currency_rules
    purchase_is_new = new_lines is not None
    contributions: list[tuple[EarnContributor, object, EarnBonus]] = []

    def columns(account: PointsAccount) -> dict:
        lines = list(purchase.lines.select_related("category")) if new_lines is None else list(new_lines)
        points = purchase_points(purchase=purchase, rules=rules, tier=account.tier, lines=lines)
        memo = purchase_memo(ref=purchase.external_id)
        # The earn pipeline (rewards.earn): each registered contributor's explicit prepare
        # step, then its bonus (locking its budget rows after the account's).
        for contributor in earn_contributors():
            prepared = contributor.purchase_prepare(
                company_id=purchase.company_id, occurred_at=purchase.occurred_at, now=now
            )
            bonus = contributor.purchase_bonus(
                prepared, purchase=purchase, lines=lines, account=account, rules=rules, now=now
            )
            contributions.append((contributor, prepared, bonus))
            points += bonus.points
            memo = bonus.memo(memo)
        return {
            "kind": EntryKind.EARN,
            "pending_points": points,
            "purchase": purchase,
            **_memo(memo),
            "created_at": now,
            "available_at": purchase.occurred_at + relativedelta(days=rules.return_window_days),
            "expires_at": _add_months(purchase.occurred_at, rules.expiry_months),
        }

    # A new purchase's caller already holds a transaction that rolls back as a whole on any
    # error, so a savepoint of our own would only cost two round trips.
    with transaction.atomic(savepoint=not purchase_is_new):
        entry, created = _record_once(
            lambda: _lock_account_for_company(purchase.company_id),
            key=f"earn:{purchase.pk}",
            expected={"kind": EntryKind.EARN, "purchase_id": purchase.pk},
            columns=columns,
            look_up=not purchase_is_new,
            savepoint=False,
        )
        if not created:
            return entry
        account = entry.account
        for contributor, prepared, bonus in contributions:
            contributor.purchase_recorded(prepared, bonus=bonus, entry=entry)
        if entry.available_at <= now:
            # A purchase inserted in this transaction cannot have credit notes yet.
            _release(account, entry, now=now, returned=0 if purchase_is_new else None)
        if entry.pending_points:
            _tier_apply(account, now=now, allow_downgrade=False)
    return entry


def _returned_from_pending(earn: LedgerEntry) -> int:
    """Points (≤ 0) already taken off this earn's pending amount by credit notes."""
    return LedgerEntry.objects.filter(
        kind=EntryKind.REVERSAL, purchase__original_id=earn.purchase_id, account_id=earn.account_id
    ).aggregate(total=Coalesce(Sum("pending_points"), 0))["total"]


def _release(account: PointsAccount, earn: LedgerEntry, *, now: datetime, returned: int | None = None) -> LedgerEntry:
    """Move what is left of ``earn`` (after returns) from pending to the balance,
    paying off the shortfall first. The caller holds the account lock; ``returned`` is
    what credit notes took off pending, when the caller knows it (else one query)."""
    if returned is None:
        returned = _returned_from_pending(earn)
    remaining = earn.pending_points + returned
    paid_off = min(remaining, account.shortfall)
    entry, _created = _write(
        account,
        kind=EntryKind.RELEASE,
        points=remaining - paid_off,
        pending_points=-remaining,
        shortfall_points=-paid_off,
        idempotency_key=f"release:{earn.pk}",
        releases=earn,
        purchase_id=earn.purchase_id,
        **_memo(StoredText(PAID_OFF, {"points": paid_off}) if paid_off else None),
        created_at=now,
        expires_at=earn.expires_at,
    )
    if _created:
        event_emit(
            EventType.POINTS_RELEASED,
            company_id=account.company_id,
            occurred_at=now,
            data={
                "entry_id": entry.pk,
                "points": entry.points,
                "shortfall_paid_off": paid_off,
                "purchase_id": earn.purchase_id,
                "earn_entry_id": earn.pk,
                "expires_at": entry.expires_at.isoformat() if entry.expires_at else None,
            },
        )
    return entry


def points_release_pending(*, now: datetime) -> int:
    """Release every earn whose return window has ended by ``now``; returns how many.

    One short transaction per account. Each earn is released at most once (key
    ``release:<earn id>`` and a UNIQUE link), and an earn reversed by staff is never
    released, so running this twice, or concurrently, changes nothing the second time.
    """
    due = (
        LedgerEntry.objects.filter(
            kind=EntryKind.EARN, available_at__lte=now, released_by__isnull=True, reversed_by__isnull=True
        )
        .order_by("account_id", "pk")
        .values_list("account_id", "pk")
    )
    by_account: dict[int, list[int]] = defaultdict(list)
    for account_id, earn_id in due:
        by_account[account_id].append(earn_id)
    released = 0
    for account_id, earn_ids in by_account.items():
        with transaction.atomic():
            account = _lock_account(account_id)
            # Re-read under the lock: a concurrent run may have released them meanwhile.
            earns = LedgerEntry.objects.filter(pk__in=earn_ids, released_by__isnull=True, reversed_by__isnull=True)
            for earn in earns.order_by("pk"):
                _release(account, earn, now=now)
                released += 1
    return released


# --- Leaving the club ----------------------------------------------------------------------


def points_account_close(
    *, company_id: int, key: str, memo: StoredText, by: User, now: datetime | None = None
) -> tuple[LedgerEntry | None, bool]:
    """Take every point a closing company holds off its account: ``(entry, created)``.

    Under the account lock: pending points are released early first (through ``_release``,
    paying off any shortfall, as the nightly job would), so nothing is left to arrive after
    the closing; then one ``close`` entry takes the whole balance (``points = -balance``).
    The account ends with balance and pending 0, so the club's liability drops by exactly
    what the company held. What becomes of the points (forfeited, paid out as an invoice
    credit) is the caller's (``privacy.closing``), said by ``memo``. Returns ``(None,
    False)`` when there is nothing to take. Idempotent by ``key`` (``close:<key>``): a retry
    returns the first entry. The caller holds a transaction, or this opens one.
    """
    _require_staff(by)
    now = now or timezone.now()
    described = _memo(memo)
    with transaction.atomic():
        account = _lock_account_for_company(company_id)
        existing = LedgerEntry.objects.filter(idempotency_key=f"close:{key}").first()
        if existing is not None:
            return _same_or_raise(existing, account_id=account.pk, kind=EntryKind.CLOSE), False
        unreleased = LedgerEntry.objects.filter(
            account=account, kind=EntryKind.EARN, pending_points__gt=0, released_by__isnull=True
        ).filter(reversed_by__isnull=True)
        for earn in unreleased.order_by("pk"):
            _release(account, earn, now=now)
        if account.balance <= 0:
            return None, False
        entry, _created = _write(
            account,
            kind=EntryKind.CLOSE,
            points=-account.balance,
            idempotency_key=f"close:{key}",
            **described,
            created_by=by,
            created_at=now,
        )
        _audit_staff_entry(entry, by=by)
    return entry, True


# --- Spending and corrections -------------------------------------------------------------


def points_redeem(
    *,
    account: PointsAccount,
    points: int,
    key: str,
    by: User | None,
    memo: StoredText | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Spend ``points`` of the account's balance. Refused if the balance is too small.

    Idempotent by ``key`` (stored as ``redeem:<key>``): a retry returns the first entry.
    ``memo`` is a registered text (``rewards.texts``), rendered for each reader.
    """
    if points <= 0:
        raise LedgerError(_("Redeem a positive number of points."))

    def columns(locked: PointsAccount) -> dict:
        if locked.balance < points:
            raise LedgerError(
                _("Not enough points: %(balance)s available, %(points)s needed.")
                % {"balance": locked.balance, "points": points}
            )
        return {"kind": EntryKind.REDEEM, "points": -points, **_memo(memo), "created_by": by, "created_at": now}

    now = now or timezone.now()
    entry, _created = _record_once(
        lambda: _lock_account(account.pk),
        key=f"redeem:{key}",
        expected={"kind": EntryKind.REDEEM, "points": -points, **_memo(memo)},
        columns=columns,
    )
    return entry


def points_adjust(
    *,
    account: PointsAccount,
    points: int,
    reason: str,
    by: User,
    key: str,
    memo: StoredText | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """A staff correction of ``points`` (±) to the balance, with a mandatory reason.

    The entry says the reason as typed, or ``memo`` when the caller words it (a rep's
    goodwill: ``reps.texts``), rendered for each reader.

    Added points expire like earned points (expiry months from now). Taking away more
    than the balance is refused. Idempotent by ``key`` (stored as ``adjust:<key>``).
    """
    reason = reason.strip()
    if not reason:
        raise LedgerError(_("Give a reason for the adjustment."))
    if points == 0:
        raise LedgerError(_("Adjust by a non-zero number of points."))
    _require_staff(by)
    now = now or timezone.now()
    described = _memo(memo or free_text(reason))

    def columns(locked: PointsAccount) -> dict:
        if locked.balance + points < 0:
            raise LedgerError(
                _("The balance is %(balance)s; it cannot be reduced by %(points)s.")
                % {"balance": locked.balance, "points": -points}
            )
        return {
            "kind": EntryKind.ADJUST,
            "points": points,
            **described,
            "created_by": by,
            "created_at": now,
            "expires_at": _add_months(now, ProgrammeRules.current().expiry_months) if points > 0 else None,
        }

    with transaction.atomic():
        entry, created = _record_once(
            lambda: _lock_account(account.pk),
            key=f"adjust:{key}",
            expected={"kind": EntryKind.ADJUST, "points": points, **described},
            columns=columns,
        )
        if created:
            _audit_staff_entry(entry, by=by)
    return entry


def points_award(
    *, company_id: int, points: int, key: str, memo: StoredText, by: User | None = None, now: datetime | None = None
) -> tuple[LedgerEntry, bool]:
    """Give the company ``points`` that do not come from a purchase: an activity, a
    challenge, a referral (``campaigns.services``). Returns ``(entry, created)``.

    One earn entry without a purchase: spendable at once (``points = N``, no pending, no
    return window), expiring ``expiry_months`` from ``now`` like any lot. Such points do not
    count towards tiers (those count purchases). Idempotent by ``key`` (stored as
    ``award:<key>``): a retry returns the first entry with ``created=False``.
    """
    if points <= 0:
        raise LedgerError(_("Award a positive number of points."))
    now = now or timezone.now()
    return _record_once(
        lambda: _lock_account_for_company(company_id),
        key=f"award:{key}",
        expected={"kind": EntryKind.EARN, "points": points, "purchase_id": None},
        columns=lambda _account: {
            "kind": EntryKind.EARN,
            "points": points,
            **_memo(memo),
            "created_by": by,
            "created_at": now,
            "expires_at": _add_months(now, ProgrammeRules.current().expiry_months),
        },
    )


def _first_unspent_expiry(account_id: int) -> datetime | None:
    """When the account's soonest-expiring unspent points expire, by the FIFO of
    ``points_expire`` (debits use up the lots that expire first): the expiry of the first lot,
    in expiry order, that the account's debits have not used up. One query."""
    debits = LedgerEntry.objects.filter(account_id=account_id, points__lt=0).aggregate(
        total=Coalesce(Sum("points"), 0)
    )["total"]
    running = Window(Sum("points"), order_by=[F("expires_at").asc(), F("pk").asc()])
    return (
        LedgerEntry.objects.filter(account_id=account_id, points__gt=0)
        .annotate(running=running)
        .filter(running__gt=-debits)
        .order_by("expires_at", "pk")
        .values_list("expires_at", flat=True)
        .first()
    )


def points_transfer(
    *,
    from_company_id: int,
    to_company_id: int,
    points: int,
    key: str,
    by: User | None,
    memo_out: StoredText,
    memo_in: StoredText,
    now: datetime | None = None,
) -> tuple[LedgerEntry, LedgerEntry, bool]:
    """Move ``points`` of one company's spendable balance to another's: two transfer entries
    (``-N`` on the sender, ``+N`` on the receiver) in one transaction. Returns
    ``(out entry, in entry, created)``.

    Guarantees: both accounts are locked in primary-key order (``points_accounts_lock``), so
    two companies sending to each other at once wait, never deadlock; the sender's balance is
    checked under its lock and never goes negative; idempotent by ``key`` (entries
    ``transfer:<key>:out`` and ``:in``): a retry returns the first pair, the same key for a
    different move raises ``LedgerError``. Who may move points between which companies is the
    caller's rule (``groups.services``); this only keeps the ledger right.

    Expiry: the received points are one lot that expires when the soonest-expiring of the
    sender's unspent points do (FIFO, as ``points_expire`` counts), so a transfer never
    extends the life of points. Transfers do not count towards tiers (tiers count purchases).
    """
    if from_company_id == to_company_id:
        raise LedgerError(_("Points cannot be transferred to the same company."))
    if points <= 0:
        raise LedgerError(_("Transfer a positive number of points."))
    now = now or timezone.now()
    out_key, in_key = f"transfer:{key}:out", f"transfer:{key}:in"
    with transaction.atomic():
        accounts = points_accounts_lock(company_ids=[from_company_id, to_company_id])
        sender, receiver = accounts[from_company_id], accounts[to_company_id]
        existing = {e.idempotency_key: e for e in LedgerEntry.objects.filter(idempotency_key__in=[out_key, in_key])}
        if existing:
            out_entry = _same_or_raise(existing.get(out_key) or existing[in_key], kind=EntryKind.TRANSFER)
            if (
                out_key not in existing
                or in_key not in existing
                or existing[out_key].account_id != sender.pk
                or existing[in_key].account_id != receiver.pk
                or existing[out_key].points != -points
            ):
                raise LedgerError(
                    _("The idempotency key %(key)s was already used for a different movement.")
                    % {"key": out_entry.idempotency_key}
                )
            return existing[out_key], existing[in_key], False
        if sender.balance < points:
            raise LedgerError(
                _("Not enough points: %(balance)s available, %(points)s needed.")
                % {"balance": sender.balance, "points": points}
            )
        expires_at = _first_unspent_expiry(sender.pk) or _add_months(now, ProgrammeRules.current().expiry_months)
        out_entry, _created = _write(
            sender,
            kind=EntryKind.TRANSFER,
            points=-points,
            idempotency_key=out_key,
            **_memo(memo_out),
            created_by=by,
            created_at=now,
        )
        in_entry, _created = _write(
            receiver,
            kind=EntryKind.TRANSFER,
            points=points,
            idempotency_key=in_key,
            **_memo(memo_in),
            created_by=by,
            created_at=now,
            expires_at=expires_at,
        )
    return out_entry, in_entry, True


def _purchase_value_left(earn: LedgerEntry) -> int:
    """What ``earn``'s purchase is still worth to the company after its credit notes."""
    returned = LedgerEntry.objects.filter(
        kind=EntryKind.REVERSAL, purchase__original_id=earn.purchase_id, account_id=earn.account_id
    ).aggregate(
        total=Coalesce(Sum(F("points") + F("pending_points") - F("shortfall_points")), 0),
    )["total"]
    return earn.net_points + returned


def _undo_earn_columns(account: PointsAccount, earn: LedgerEntry, owed: int) -> dict[str, int]:
    """Take ``owed`` points of ``earn`` back: from pending while it is pending, else from the balance."""
    if LedgerEntry.objects.filter(releases=earn).exists():
        return _take_back(account, owed)
    return {"pending_points": -owed}


def entry_reverse(*, entry: LedgerEntry, reason: str, by: User, now: datetime | None = None) -> LedgerEntry:
    """Undo ``entry`` with a reversal entry; each entry can be reversed exactly once.

    * an earn: what its purchase is still worth (after credit notes) is taken back —
      from pending if not yet released (and it is then never released), else from the
      balance, with any part the balance cannot cover recorded as shortfall;
    * a positive adjustment, or an earn without a purchase (``points_award``): taken back
      from the balance the same way;
    * a redeem, an expiry or a negative adjustment: the points are given back as a new
      lot that expires ``expiry_months`` from now.

    Releases and reversals cannot be reversed. Idempotent: key ``reverse:<entry id>`` and
    a UNIQUE ``reverses`` link.
    """
    reason = reason.strip()
    if not reason:
        raise LedgerError(_("Give a reason for the reversal."))
    _require_staff(by)
    if entry.kind in (EntryKind.RELEASE, EntryKind.REVERSAL):
        raise LedgerError(_("This kind of entry cannot be reversed."))
    if entry.kind == EntryKind.REDEEM:
        order = Redemption.objects.filter(redeem_entry=entry).first()
        if order is not None:
            # The order must change state with its points: rejecting it returns them (once).
            raise LedgerError(
                _("These points pay for order %(number)s: reject or cancel the order to return them.")
                % {"number": order.number}
            )
    now = now or timezone.now()

    def columns(account: PointsAccount) -> dict:
        if entry.kind == EntryKind.EARN and entry.purchase_id is not None:
            undo = {**_undo_earn_columns(account, entry, _purchase_value_left(entry)), "purchase_id": entry.purchase_id}
        elif entry.points > 0:
            undo = _take_back(account, entry.points)
        else:
            undo = {"points": -entry.points, "expires_at": _add_months(now, ProgrammeRules.current().expiry_months)}
        return {
            "kind": EntryKind.REVERSAL,
            "reverses": entry,
            **_memo(free_text(reason)),
            "created_by": by,
            "created_at": now,
            **undo,
        }

    with transaction.atomic():
        reversal, created = _record_once(
            lambda: _lock_account(entry.account_id),
            key=f"reverse:{entry.pk}",
            expected={"kind": EntryKind.REVERSAL, "reverses_id": entry.pk},
            columns=columns,
        )
        if created:
            _audit_staff_entry(reversal, by=by)
    return reversal


RETURNED_POINTS_GRACE_DAYS = 30


def points_return_redeemed(
    *, entry: LedgerEntry, memo: StoredText | None = None, by: User | None, now: datetime | None = None
) -> LedgerEntry:
    """Give back the points of a redeem entry (a rejected or cancelled order) as a reversal entry.

    Exactly once: it shares ``entry_reverse``'s key (``reverse:<entry id>``) and UNIQUE
    ``reverses`` link, so whichever of the two runs first, the points come back one time
    and a retry returns that first reversal. Unlike ``entry_reverse`` it does not need a
    staff user: ``rewards.redemptions.services`` decides who may reject or cancel an order (a
    company admin, the member who placed it, staff).

    Expiry: the points come back as a lot that expires ``RETURNED_POINTS_GRACE_DAYS`` from
    now. Expiry is first in, first out over all lots and debits (``points_expire``), so
    from that date on the redeem and its reversal cancel out exactly: the returned points
    expire when the points the order used up would have expired, or at that date if that
    is later. Cancelling an order therefore never extends the life of points by more than
    the grace period (no ordering-and-cancelling to dodge expiry), and points whose
    expiry passed while the order was open are not lost overnight.
    """
    if entry.kind != EntryKind.REDEEM:
        raise LedgerError(_("Only redeemed points can be returned."))
    memo = memo or StoredText(POINTS_RETURNED)
    now = now or timezone.now()
    reversal, _created = _record_once(
        lambda: _lock_account(entry.account_id),
        key=f"reverse:{entry.pk}",  # entry_reverse's key: the points come back once, whoever runs first
        expected={"kind": EntryKind.REVERSAL, "reverses_id": entry.pk},
        columns=lambda _account: {
            "kind": EntryKind.REVERSAL,
            "points": -entry.points,
            "expires_at": now + relativedelta(days=RETURNED_POINTS_GRACE_DAYS),
            "reverses": entry,
            **_memo(memo),
            "created_by": by,
            "created_at": now,
        },
    )
    return reversal


def purchase_return(*, credit_note: Purchase, now: datetime | None = None) -> LedgerEntry:
    """Take back the points a credited purchase earned, in proportion to the credit note.

    ``owed = round_half_up(earned × |credit amount| / purchase amount)``, capped at what
    the purchase is still worth after earlier credit notes (so credits adding up to the
    whole purchase take back exactly what it earned). While the purchase's points are
    pending they come off pending; once released they come off the balance, and what
    the balance cannot cover is recorded on the same entry as shortfall, paid first
    from later earnings. The balance never goes negative. Idempotent: key
    ``return:<credit note id>``.
    """
    if not credit_note.is_credit_note:
        raise LedgerError(_("Only a credit note can return a purchase."))
    original = credit_note.original
    if original.company_id != credit_note.company_id:
        raise LedgerError(_("A credit note must belong to the same company as the purchase it credits."))
    now = now or timezone.now()

    def columns(account: PointsAccount) -> dict:
        earn = LedgerEntry.objects.filter(kind=EntryKind.EARN, purchase=original).first()
        if earn is None:
            raise LedgerError(_("Purchase %(ref)s has not earned points yet.") % {"ref": original.external_id})
        fields: dict = {}
        if not LedgerEntry.objects.filter(reverses=earn).exists():
            left = _purchase_value_left(earn)
            if original.net_amount > 0:
                share = Decimal(earn.net_points) * -credit_note.net_amount / original.net_amount
                owed = min(left, _round_points(share))
            else:
                owed = left
            if owed > 0:
                fields = _undo_earn_columns(account, earn, owed)
        memo = StoredText(CREDIT_NOTE, {"ref": credit_note.external_id, "original": original.external_id})
        return {"kind": EntryKind.REVERSAL, "purchase": credit_note, **_memo(memo), "created_at": now, **fields}

    entry, _created = _record_once(
        lambda: _lock_account_for_company(original.company_id),
        key=f"return:{credit_note.pk}",
        expected={"kind": EntryKind.REVERSAL, "purchase_id": credit_note.pk},
        columns=columns,
    )
    return entry


# --- Expiry ----------------------------------------------------------------------------------


def lots_after(now: datetime) -> Q:
    """Entries that are lots (add spendable points) still unexpired at ``now``; relative to a
    points account as ``entries__…``. Σ their points is read from the partial index
    ``rewards_entry_account_lots`` alone."""
    return Q(points__gt=0, expires_at__gt=now)


def points_expired_not_written_off(*, balance: int, unexpired_lots: int) -> int:
    """What FIFO expiry owes at a moment, as ``points_expire`` defines it (Σ lots due − Σ all
    debits), from the account's ``balance`` and Σ its lots still unexpired then.

    Every lot has an expiry (a CHECK) and the balance is Σ all entries' points, so
    Σ lots due + Σ debits = balance − Σ unexpired lots: one index range instead of every
    entry of the account. May be negative (debits ahead of expiry); callers take max(0, …).
    """
    return balance - unexpired_lots


def unexpired_lots_subquery(account_id, now: datetime):
    """Σ points of the lots of ``account_id`` (a value or an ``OuterRef``) unexpired at ``now``."""
    return (
        LedgerEntry.objects.filter(lots_after(now), account_id=account_id)
        .order_by()
        .values("account_id")
        .annotate(total=Sum("points"))
        .values("total")
    )


def points_unexpired_lots(*, account_id: int, now: datetime) -> int:
    """Σ points of the account's lots that expire after ``now`` (one index-only read)."""
    return LedgerEntry.objects.filter(lots_after(now), account_id=account_id).aggregate(
        total=Coalesce(Sum("points"), 0)
    )["total"]


def points_due_to_expire(*, account_id: int, now: datetime, balance: int | None = None) -> int:
    """Points of the account that FIFO expiry says are expired at ``now`` (see ``points_expire``).
    ``balance`` is the account's, when the caller holds its row (else one query more)."""
    if balance is None:
        balance = PointsAccount.objects.values_list("balance", flat=True).get(pk=account_id)
    unexpired = points_unexpired_lots(account_id=account_id, now=now)
    return max(0, points_expired_not_written_off(balance=balance, unexpired_lots=unexpired))


def points_expire(*, now: datetime) -> int:
    """Write one expire entry per account holding points that are expired at ``now``.

    Algorithm (FIFO by expiry date). Every entry that adds spendable points (``points >
    0``: a release, a positive adjustment, a refund) is a *lot* with an ``expires_at``
    (for released points, the earn's date: purchase date + expiry months). Every entry
    that removes points (redeem, expire, negative adjustment, take-back) is a *debit*,
    and debits use up the lots that expire soonest first. So the points expired at
    ``now`` are

        max(0, Σ lots with expires_at ≤ now − Σ all debits ever), capped at the balance.

    Past expiries are debits too, so points never expire twice and a later run only
    expires what became due since. This equals exact FIFO when lots arrive in order of
    their expiry date; when a lot arrives late (points released after the return window
    while a later-expiring lot was already spent), it can only expire *later* than exact
    FIFO would say, never earlier.

    One short transaction per account; key ``expire:<account id>:<local date>`` makes
    this idempotent per account and day. Returns the number of entries written.
    """
    # Accounts whose balance is more than their unexpired lots (points_expired_not_written_off).
    candidates = (
        PointsAccount.objects.filter(balance__gt=0)
        .annotate(unexpired=Coalesce(Subquery(unexpired_lots_subquery(OuterRef("pk"), now)), 0))
        .filter(balance__gt=F("unexpired"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    day = timezone.localdate(now).isoformat()
    written = 0
    memo = _memo(StoredText(EXPIRED, {"day": day}))

    def columns(account: PointsAccount) -> dict | None:
        expired = min(account.balance, points_due_to_expire(account_id=account.pk, now=now, balance=account.balance))
        if expired <= 0:
            return None
        event_emit(
            EventType.POINTS_EXPIRED,
            company_id=account.company_id,
            occurred_at=now,
            data={"points": expired, "day": day, "balance": account.balance - expired},
        )
        return {"kind": EntryKind.EXPIRE, "points": -expired, **memo, "created_at": now}

    for account_id in list(candidates):
        _entry, created = _record_once(
            lambda account_id=account_id: _lock_account(account_id),
            key=f"expire:{account_id}:{day}",
            expected={"kind": EntryKind.EXPIRE},
            columns=columns,
        )
        written += int(created)
    return written


# --- Tiers -------------------------------------------------------------------------------------


def qualifying_points(*, account: PointsAccount, now: datetime) -> int:
    """Net points earned from purchases made in the 12 months up to ``now``.

    Earns count with their full amount (pending or not); credit notes and staff reversals
    of earns count negatively, by the date of the purchase or credit note they belong to.
    One query: the whole months from the account's months (``rewards.ledger.months``), the
    two partial months at the window's ends from its entries.
    """
    return qualifying_points_between(
        account_id=account.pk, company_id=account.company_id, start=now - relativedelta(months=12), end=now
    )


def _tier_rank(tier: Tier | None) -> int:
    return -1 if tier is None else tier.qualifying_points


# The tier the account's qualifying points reach, in one statement. Raw SQL on purpose: this
# runs after every earn, and composing the same query with the ORM costs more CPU (~4 ms on
# the benchmark machine) than the rest of a ping request. Same rule as ``qualifying_points``.
_TARGET_TIER_SQL = (
    f"SELECT tier.id FROM {Tier._meta.db_table} tier WHERE tier.qualifying_points <= "
    + QUALIFYING_SQL
    + " ORDER BY tier.qualifying_points DESC LIMIT 1"
)


def _target_tier_id(*, account: PointsAccount, now: datetime) -> int | None:
    params = qualifying_sql_params(
        account_id=account.pk, company_id=account.company_id, start=now - relativedelta(months=12), end=now
    )
    with connection.cursor() as cursor:
        cursor.execute(_TARGET_TIER_SQL, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _tier_apply(account: PointsAccount, *, now: datetime, allow_downgrade: bool) -> Tier | None:
    """Move the locked account to the tier its qualifying points reach (see ``tier_evaluate``).

    One query finds that tier; a change (rare) costs a read of the new tier and a write.
    """
    target_id = _target_tier_id(account=account, now=now)
    if target_id == account.tier_id:
        return account.tier
    target = Tier.objects.get(pk=target_id) if target_id is not None else None
    if _tier_rank(target) > _tier_rank(account.tier) or allow_downgrade:
        if events_wanted(EventType.TIER_CHANGED):
            event_emit(
                EventType.TIER_CHANGED,
                company_id=account.company_id,
                occurred_at=now,
                data={
                    "from": _tier_data(account.tier),
                    "to": _tier_data(target),
                    "direction": "up" if _tier_rank(target) > _tier_rank(account.tier) else "down",
                },
            )
        account.tier = target
        account.tier_changed_at = now
        account.save(update_fields=["tier", "tier_changed_at"])
    return account.tier


# ``_TARGET_TIER_SQL`` for many accounts (PostgreSQL): each account of ``%(accounts)s`` whose
# qualifying points (``QUALIFYING_MANY_SQL``) reach a higher tier than it has, with that tier.
_TIERS_TO_RISE_SQL = f"""
SELECT a.id, a.company_id, a.tier_id, target.id
FROM ({QUALIFYING_MANY_SQL}) q
JOIN {PointsAccount._meta.db_table} a ON a.id = q.account_id
LEFT JOIN {Tier._meta.db_table} current_tier ON current_tier.id = a.tier_id
CROSS JOIN LATERAL (
    SELECT tier.id, tier.qualifying_points FROM {Tier._meta.db_table} tier
    WHERE tier.qualifying_points <= q.points ORDER BY tier.qualifying_points DESC LIMIT 1
) target
WHERE target.qualifying_points > COALESCE(current_tier.qualifying_points, -1)
ORDER BY a.id
"""


def tiers_raise_locked(*, account_ids: Sequence[int], now: datetime) -> int:
    """``_tier_apply(allow_downgrade=False)`` for many accounts whose row locks the caller
    holds (the set-based import's chunk, after its earns): each account rises to the highest
    tier its qualifying points reach — never down — with the same ``tier.changed`` event and
    ``tier_changed_at``. One statement finds them, one moves them, whatever their number.
    PostgreSQL. Returns how many rose."""
    if not account_ids:
        return 0
    params = qualifying_many_params(account_ids=sorted(account_ids), start=now - relativedelta(months=12), end=now)
    with connection.cursor() as cursor:
        cursor.execute(_TIERS_TO_RISE_SQL, params)
        rising = cursor.fetchall()
        if not rising:
            return 0
        cursor.execute(
            f"""UPDATE {PointsAccount._meta.db_table} a SET tier_id = r.tier_id, tier_changed_at = %s
            FROM unnest(%s::bigint[], %s::bigint[]) AS r(account_id, tier_id) WHERE a.id = r.account_id""",
            [now, [account_id for account_id, *_rest in rising], [target for *_rest, target in rising]],
        )
    if events_wanted(EventType.TIER_CHANGED):
        tiers = Tier.objects.in_bulk()
        for _account_id, company_id, tier_id, target_id in rising:
            event_emit(
                EventType.TIER_CHANGED,
                company_id=company_id,
                occurred_at=now,
                data={"from": _tier_data(tiers.get(tier_id)), "to": _tier_data(tiers[target_id]), "direction": "up"},
            )
    return len(rising)


def _tier_data(tier: Tier | None) -> dict | None:
    return {"id": tier.pk, "name": tier.name, "qualifying_points": tier.qualifying_points} if tier else None


def tier_evaluate(*, account: PointsAccount, now: datetime, allow_downgrade: bool) -> Tier | None:
    """Put the account in the highest tier its qualifying points reach.

    An upgrade happens whenever this runs (and after every earn). A downgrade happens
    only with ``allow_downgrade=True``, which the yearly evaluation passes. The account
    row is locked, so this cannot race an earn. Returns the account's tier afterwards.
    """
    with transaction.atomic():
        account = _lock_account(account.pk)
        return _tier_apply(account, now=now, allow_downgrade=allow_downgrade)


def tiers_evaluate_all(*, now: datetime, allow_downgrade: bool) -> int:
    """Run ``tier_evaluate`` for every account, one transaction each; returns how many changed tier."""
    changed = 0
    for account in PointsAccount.objects.order_by("pk").only("pk", "tier"):
        before = account.tier_id
        after = tier_evaluate(account=account, now=now, allow_downgrade=allow_downgrade)
        changed += int(before != (after.pk if after else None))
    return changed


# --- Notices: expiry reminders and tier downgrade notices ---------------------------------------
# Each notice is recorded (a row with a UNIQUE key) before its task is queued, in the same
# transaction, and the task is queued through the outbox (``outbox_enqueue``, recorded in that
# transaction too, so a broker outage cannot lose it): a second or concurrent run of
# a job finds the row (``get_or_create`` waits for, then sees, a concurrent insert of the same
# key) and queues nothing. The send task marks the row sent under a row lock, so a task
# delivered twice notifies once. Expiry reminders are notifications (``rewards.ledger.notices``: in the
# portal, and e-mailed by the notifications service); tier downgrade notices are e-mails.

EXPIRY_REMINDER_DAYS = 30


def expiry_reminders_schedule(*, now: datetime) -> int:
    """Record and queue one reminder e-mail per account with points expiring in the next
    ``EXPIRY_REMINDER_DAYS`` days (local dates today … today + 30) not yet reminded of.

    A lot is normally reminded of on the day it enters the window, 30 days before it
    expires; a missed run only makes reminders late, never lost. One ``ExpiryReminder`` per
    account and expiry day (UNIQUE); an account with several new days gets one e-mail
    listing them. Suspended companies are skipped (and reminded if reactivated in time).
    Returns the number of e-mails queued. Idempotent: a second run queues nothing.
    """
    from rewards.ledger.selectors import points_expiring_by_account  # selectors import this module
    from rewards.ledger.tasks import send_expiry_reminder  # lazy: the tasks import this module

    today = timezone.localdate(now)
    zone = timezone.get_current_timezone()
    until = datetime.combine(today + relativedelta(days=EXPIRY_REMINDER_DAYS + 1), datetime.min.time(), tzinfo=zone)
    expiring = points_expiring_by_account(now=now, until=until)
    if not expiring:
        return 0
    active = set(
        PointsAccount.objects.filter(pk__in=expiring, company__status=CompanyStatus.ACTIVE).values_list("pk", flat=True)
    )
    reminded = set(
        ExpiryReminder.objects.filter(account_id__in=active, expires_on__gte=today).values_list(
            "account_id", "expires_on"
        )
    )
    queued = 0
    for account_id in sorted(active):
        new_days = [item for item in expiring[account_id] if (account_id, item.on) not in reminded]
        if not new_days:
            continue
        with transaction.atomic():
            created_ids = []
            for item in new_days:
                reminder, created = ExpiryReminder.objects.get_or_create(
                    account_id=account_id, expires_on=item.on, defaults={"points": item.points, "created_at": now}
                )
                if created:
                    created_ids.append(reminder.pk)
            if created_ids:
                outbox_enqueue(send_expiry_reminder, created_ids)
                queued += 1
    return queued


def expiry_reminder_send(*, reminder_ids: list[int], now: datetime | None = None) -> int:
    """Tell the company's contacts (the reminders ``reminder_ids`` are one account's) which
    points expire when — in the portal, and by e-mail for those who want expiry e-mails —
    through ``notifications.services.notifications_send``, and mark the reminders sent.
    Reminders already sent are left out, and the notice's key (the first reminder's id)
    is idempotent, so a repeated task notifies nobody twice. Returns the notices written."""
    from rewards.ledger.notices import expiry_notify  # lazy: notices import the selectors, which import this module

    now = now or timezone.now()
    with transaction.atomic():
        reminders = list(
            ExpiryReminder.objects.select_for_update(of=("self",))
            .select_related("account__company")
            .filter(pk__in=reminder_ids, sent_at__isnull=True)
            .order_by("expires_on")
        )
        if not reminders:
            return 0
        company = reminders[0].account.company
        reminders = [reminder for reminder in reminders if reminder.account.company_id == company.pk]
        written = expiry_notify(
            company=company,
            reminder_key=f"expiry:{min(reminder.pk for reminder in reminders)}",
            items=[(reminder.expires_on, reminder.points) for reminder in reminders],
        )
        ExpiryReminder.objects.filter(pk__in=[reminder.pk for reminder in reminders]).update(sent_at=now)
    return written


def tier_downgrade_notices_schedule(*, now: datetime, days_ahead: int) -> int:
    """From ``days_ahead`` days (local dates) before the next yearly evaluation, record and queue one
    notice per company whose recorded purchases will not keep its tier at the evaluation
    (``rewards.ledger.selectors.tier_downgrades_expected``), for its company admins.

    Once per company and evaluation (``TierDowngradeNotice`` UNIQUE on account and
    evaluation date); a company that becomes at risk later in the window is told then.
    Returns the number of e-mails queued. Idempotent: a second run queues nothing.
    """
    from rewards.ledger.selectors import (
        next_tier_evaluation,
        tier_downgrades_expected,
    )  # lazy: selectors import this module
    from rewards.ledger.tasks import send_tier_downgrade_notice  # lazy: the tasks import this module

    evaluation_on = timezone.localdate(next_tier_evaluation(now=now))
    if (evaluation_on - timezone.localdate(now)).days > days_ahead:
        return 0
    outlooks = tier_downgrades_expected(now=now)
    noticed = set(TierDowngradeNotice.objects.filter(evaluation_on=evaluation_on).values_list("account_id", flat=True))
    active = set(
        PointsAccount.objects.filter(
            pk__in=[outlook.account_id for outlook in outlooks], company__status=CompanyStatus.ACTIVE
        ).values_list("pk", flat=True)
    )
    queued = 0
    for outlook in outlooks:
        if outlook.account_id in noticed or outlook.account_id not in active:
            continue
        with transaction.atomic():
            notice, created = TierDowngradeNotice.objects.get_or_create(
                account_id=outlook.account_id,
                evaluation_on=evaluation_on,
                defaults={
                    "tier": outlook.tier,
                    "tier_after": outlook.tier_at_evaluation,
                    "points_needed": outlook.points_to_keep_tier,
                    "created_at": now,
                },
            )
            if created:
                outbox_enqueue(send_tier_downgrade_notice, notice.pk)
                queued += 1
    return queued


def tier_downgrade_notice_send(*, notice_id: int, now: datetime | None = None) -> int:
    """E-mail the notice to the company's admins who accept notifications, in each one's
    language, and mark it sent; a notice already sent mails nothing. Returns e-mails sent."""
    now = now or timezone.now()
    with transaction.atomic():
        notice = (
            TierDowngradeNotice.objects.select_for_update(of=("self",))
            .select_related("account__company", "tier", "tier_after")
            .filter(pk=notice_id, sent_at__isnull=True)
            .first()
        )
        if notice is None:
            return 0
        context = {
            "company": notice.account.company,
            "tier": notice.tier,
            "tier_after": notice.tier_after,
            "points_needed": notice.points_needed,
            "evaluation_on": notice.evaluation_on,
            "dashboard_url": settings.SITE_URL + reverse("dashboard"),
        }
        recipients = company_admins(company_id=notice.account.company_id, reachable_by_email=True)
        for user in recipients:
            send_branded_mail(
                template="rewards/email/tier_downgrade_notice",
                to=user.email,
                context={**context, "user": user},
                # Each admin in their own language (profile, else the company's country).
                language=person_language(user, company=notice.account.company),
            )
        notice.sent_at = now
        notice.save(update_fields=["sent_at"])
    return len(recipients)
