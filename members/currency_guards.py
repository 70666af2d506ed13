"""What may hold up a change of a company's currency.

A company buys, earns and is invoiced in its currency (``Company.purchase_currency``). An app
above members may hold something in that currency that the change would strand: rewards'
open orders of money (a gift card, a credit on the invoice), which are approved and fulfilled
only in the currency the company buys in. members imports no such app, so each one registers
a guard once at start-up, in its ``AppConfig.ready``::

    company_currency_guard_register("rewards.money_orders", open_money_orders_refusal)

A guard is called as ``guard(company=…, old="SEK", new="EUR")`` and returns why the change
may not happen (a message for staff, shown on the currency field) or None.

Staff change a currency in the company admin (``members.admin.CompanyAdminForm``), which asks
``company_currency_change_refusal``. The API's company upsert cannot change one: it sends no
currency, and keeps the one a company buys in when the ERP changes its country
(``members.services.company_upsert``).
"""

from __future__ import annotations

from collections.abc import Callable

from core.db import LockWaitTimeout, bounded_lock_wait, busy_message

from .models import Company

CurrencyGuard = Callable[..., str | None]

_guards: dict[str, CurrencyGuard] = {}


def company_currency_guard_register(name: str, guard: CurrencyGuard) -> None:
    """Let a higher app hold up a currency change (once per ``name``; a second ``ready()`` in
    tests replaces the first)."""
    _guards[name] = guard


def company_currency_change_refusal(*, company: Company, currency: str) -> str | None:
    """Why ``company`` (as stored) may not move to ``currency`` (the one it would buy in after
    the change), or None; every registered guard is asked, their reasons joined. Nothing is
    asked when the currency stays.

    A guard may lock rows so that what it counted holds until the change is saved (rewards
    locks the company's points account, the ledger's first lock, so no order slips in): call
    this inside the transaction that saves the change (the admin's change view is one) and
    before locking the company row. Without an outer transaction the locks end with this call.
    The wait for those locks is bounded (``core.db.bounded_lock_wait``: an import may hold the
    account); past it the answer is "busy, try again", and the change is not saved.
    """
    old = company.purchase_currency
    if not company.pk or currency == old:
        return None
    try:
        with bounded_lock_wait():
            reasons = [
                reason for guard in _guards.values() if (reason := guard(company=company, old=old, new=currency))
            ]
    except LockWaitTimeout:
        return busy_message()
    return " ".join(reasons) or None
