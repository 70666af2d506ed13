"""Small given-steps shared by the points tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from core.texts import free_text
from rewards.ledger.months import account_months_mismatches
from rewards.ledger.selectors import balance_after_mismatches, ledger_mismatches
from rewards.ledger.services import points_earn_for_purchase, points_redeem, points_release_pending
from rewards.models import LedgerEntry, PointsAccount

from .factories import PurchaseFactory


def earn(company, amount: str | int, *, at: datetime, release: bool = False) -> LedgerEntry:
    """A purchase of ``amount`` SEK at ``at`` earning its points; released too if asked."""
    purchase = PurchaseFactory(company=company, net_amount=Decimal(str(amount)), occurred_at=at)
    entry = points_earn_for_purchase(purchase=purchase, now=at)
    if release:
        points_release_pending(now=at + timedelta(days=14))
    return entry


def redeem(account: PointsAccount, points: int, *, key: str, at: datetime | None = None) -> LedgerEntry:
    return points_redeem(account=account, points=points, key=key, by=None, memo=free_text("gift card"), now=at)


def fresh(account: PointsAccount) -> PointsAccount:
    return PointsAccount.objects.get(pk=account.pk)


def assert_ledger_consistent() -> None:
    assert ledger_mismatches() == []
    assert balance_after_mismatches() == []
    assert account_months_mismatches() == []


# --- Redemptions ------------------------------------------------------------------------------


def give_points(account: PointsAccount, points: int) -> None:
    """Put ``points`` on the account's balance through the ledger (a staff adjustment)."""
    from rewards.ledger.services import points_adjust
    from tests.factories import StaffFactory

    points_adjust(
        account=account,
        points=points,
        reason="Test balance",
        by=StaffFactory(),
        key=f"give:{account.pk}:{points}:{LedgerEntry.objects.count()}",
    )


def delivery_address():
    from rewards.redemptions.services import DeliveryAddress

    return DeliveryAddress(
        name="Bygg AB, Anna", street="Industrigatan 1", postal_code="411 01", city="Göteborg", country="SE"
    )


def request_redemption(membership, reward, *, quantity: int = 1, key: str | None = None, **kwargs):
    """``redemption_request`` with a fresh key and, for physical rewards, a delivery address."""
    from uuid import uuid4

    from rewards.redemptions.services import redemption_request

    if reward.needs_delivery_address:
        kwargs.setdefault("delivery", delivery_address())
    redemption, _created = redemption_request(
        reward=reward, membership=membership, quantity=quantity, request_key=key or uuid4().hex, **kwargs
    )
    return redemption
