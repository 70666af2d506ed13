"""A Hypothesis state machine over the ledger, checked against a small in-memory model.

Rules: earn, release (time passes), redeem, replay a redeem key, return part of a
purchase, staff reversal, expire (time passes). After every step: the account's
balance, pending and shortfall equal the model's, every bucket equals the sum of its
entry column, and the balance is never negative. Each example runs in a transaction
that is rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from rewards.ledger.months import account_months_mismatches
from rewards.ledger.selectors import account_summary, ledger_mismatches, next_tier_evaluation
from rewards.ledger.services import (
    LedgerError,
    entry_reverse,
    points_account_for_company,
    points_due_to_expire,
    points_earn_for_purchase,
    points_expire,
    points_redeem,
    points_release_pending,
    purchase_return,
    qualifying_points,
)
from rewards.models import EntryKind, LedgerEntry, PointsAccount
from tests.factories import CompanyFactory, StaffFactory

from .factories import NOW, CreditNoteFactory, PurchaseFactory


@dataclass
class ModelEarn:
    entry: object
    purchase: object
    amount: int
    left: int
    available_at: datetime
    expires_at: datetime
    released: bool = False
    reversed: bool = False


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.staff = StaffFactory()
        self.account = points_account_for_company(company=CompanyFactory())
        self.clock = NOW
        self.balance = self.pending = self.shortfall = 0
        self.lots: list[tuple[datetime, int]] = []  # (expires_at, points) credited to the balance
        self.debits = 0  # points ever taken off the balance
        self.expired_days: set = set()
        self.earns: list[ModelEarn] = []
        self.redeems: list[tuple[str, int, object]] = []  # (key, points, entry)
        self.reversed_redeems: set[int] = set()
        self.counter = 0

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _take_back(self, owed: int) -> None:
        taken = min(self.balance, owed)
        self.balance -= taken
        self.debits += taken
        self.shortfall += owed - taken

    # --- rules ----------------------------------------------------------------------------

    @rule(amount=st.integers(min_value=1, max_value=500))
    def earn(self, amount):
        purchase = PurchaseFactory(company=self.account.company, net_amount=Decimal(amount), occurred_at=self.clock)
        entry = points_earn_for_purchase(purchase=purchase, now=self.clock)
        self.pending += amount
        self.earns.append(
            ModelEarn(
                entry, purchase, amount, amount, self.clock + timedelta(days=14), self.clock + relativedelta(months=24)
            )
        )

    @rule(days=st.sampled_from([0, 7, 14, 30]))
    def release(self, days):
        self.clock += timedelta(days=days)
        points_release_pending(now=self.clock)
        for earn in self.earns:
            if earn.released or earn.reversed or earn.available_at > self.clock:
                continue
            paid_off = min(earn.left, self.shortfall)
            self.shortfall -= paid_off
            self.pending -= earn.left
            self.balance += earn.left - paid_off
            if earn.left - paid_off:
                self.lots.append((earn.expires_at, earn.left - paid_off))
            earn.released = True

    @rule(points=st.integers(min_value=1, max_value=400) | st.just("all"))
    def redeem(self, points):
        if points == "all":  # spending everything is common, and what makes a later return run short
            if not self.balance:
                return
            points = self.balance
        self.counter += 1
        key = f"k{self.counter}"
        if points > self.balance:
            with pytest.raises(LedgerError):
                points_redeem(account=self.account, points=points, key=key, by=None, now=self.clock)
            return
        entry = points_redeem(account=self.account, points=points, key=key, by=None, now=self.clock)
        self.balance -= points
        self.debits += points
        self.redeems.append((key, points, entry))

    @precondition(lambda self: self.redeems)
    @rule(data=st.data())
    def replay_redeem(self, data):
        key, points, entry = data.draw(st.sampled_from(self.redeems))
        assert points_redeem(account=self.account, points=points, key=key, by=None, now=self.clock).pk == entry.pk
        with pytest.raises(LedgerError):
            points_redeem(account=self.account, points=points + 1, key=key, by=None, now=self.clock)

    @precondition(lambda self: self.earns)
    @rule(data=st.data(), share=st.sampled_from(["0.25", "0.5", "1"]))
    def credit_note(self, data, share):
        earn = data.draw(st.sampled_from(self.earns))
        credit = (earn.purchase.net_amount * Decimal(share)).quantize(Decimal("0.01"))
        note = CreditNoteFactory(original=earn.purchase, net_amount=-credit, occurred_at=self.clock)
        purchase_return(credit_note=note, now=self.clock)
        if earn.reversed:
            return
        owed = min(
            earn.left,
            int((Decimal(earn.amount) * credit / earn.purchase.net_amount).quantize(Decimal("1"), ROUND_HALF_UP)),
        )
        earn.left -= owed
        if earn.released:
            self._take_back(owed)
        else:
            self.pending -= owed

    @precondition(lambda self: self.earns or self.redeems)
    @rule(data=st.data())
    def staff_reverse(self, data):
        choices = [("earn", e) for e in self.earns] + [("redeem", r) for r in self.redeems]
        kind, target = data.draw(st.sampled_from(choices))
        entry = target.entry if kind == "earn" else target[2]
        reversal = entry_reverse(entry=entry, reason="test", by=self.staff, now=self.clock)
        assert entry_reverse(entry=entry, reason="test", by=self.staff).pk == reversal.pk, "exactly once"
        if kind == "earn":
            if target.reversed:
                return
            target.reversed = True
            owed, target.left = target.left, 0
            if target.released:
                self._take_back(owed)
            else:
                self.pending -= owed
        elif entry.pk not in self.reversed_redeems:
            self.reversed_redeems.add(entry.pk)
            self.balance += target[1]
            self.lots.append((self.clock + relativedelta(months=24), target[1]))

    @rule(months=st.integers(min_value=0, max_value=14))
    def expire(self, months):
        self.clock += relativedelta(months=months)
        points_expire(now=self.clock)
        day = timezone.localdate(self.clock)
        if day in self.expired_days:
            return
        due = sum(points for expires_at, points in self.lots if expires_at <= self.clock)
        expired = min(self.balance, max(0, due - self.debits))
        if expired > 0:
            self.balance -= expired
            self.debits += expired
            self.expired_days.add(day)

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def buckets_match_model_and_entries(self):
        account = PointsAccount.objects.get(pk=self.account.pk)
        assert (account.balance, account.pending, account.shortfall) == (self.balance, self.pending, self.shortfall)
        assert account.balance >= 0
        assert ledger_mismatches() == []

    @invariant()
    def account_months_match_entries(self):
        """The per-account months equal their entries, and the tier rule's 12 months read from
        them (whole months plus the partial ends) equal the sum over the entries."""
        assert account_months_mismatches() == []
        for now in (self.clock, next_tier_evaluation(now=self.clock)):
            from_entries = LedgerEntry.objects.filter(
                account=self.account,
                kind__in=[EntryKind.EARN, EntryKind.REVERSAL],
                purchase__occurred_at__gt=now - relativedelta(months=12),
                purchase__occurred_at__lte=now,
            ).aggregate(total=Coalesce(Sum(F("points") + F("pending_points") - F("shortfall_points")), 0))["total"]
            assert qualifying_points(account=self.account, now=now) == from_entries

    @invariant()
    def summary_reads_pending_and_expiry_as_the_model(self):
        """The dashboard's index reads (pending earns walked newest first, in batches of two
        here; expiry from the balance and the unexpired lots) agree with the model."""
        by_day: dict = {}
        for earn in self.earns:
            if not (earn.released or earn.reversed) and earn.left:
                day = timezone.localdate(earn.available_at)
                by_day[day] = by_day.get(day, 0) + earn.left
        summary = account_summary(company=self.account.company, now=self.clock)
        assert [(item.on, item.points) for item in summary.pending_releases] == sorted(by_day.items())
        due = sum(points for expires_at, points in self.lots if expires_at <= self.clock)
        assert points_due_to_expire(account_id=self.account.pk, now=self.clock) == max(0, due - self.debits)
        owed, expiring = due - self.debits, {}
        if owed > 0:
            expiring[timezone.localdate(self.clock)] = owed
        until = self.clock + timedelta(days=60)
        for expires_at, points in sorted(lot for lot in self.lots if self.clock < lot[0] <= until):
            now_owed = owed + points
            if max(0, now_owed) > max(0, owed):
                day = timezone.localdate(expires_at)
                expiring[day] = expiring.get(day, 0) + max(0, now_owed) - max(0, owed)
            owed = now_owed
        assert [(item.on, item.points) for item in summary.expiring] == sorted(expiring.items())


@pytest.mark.django_db
def test_ledger_state_machine(rules, monkeypatch):
    monkeypatch.setattr("rewards.ledger.selectors.PENDING_WALK_BATCH", 2)
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        ),
    )
