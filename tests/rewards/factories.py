"""Factories for the points economy."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import factory

from rewards.models import PointsAccount, ProductCategory, Purchase, PurchaseLine, Tier
from tests.factories import CompanyFactory

# A fixed moment, so dates in the tests read plainly.
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


class ProductCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductCategory

    name = factory.Sequence(lambda n: f"Category {n}")
    code = factory.Sequence(lambda n: f"CAT{n}")
    multiplier = Decimal("1")


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier

    name = factory.Sequence(lambda n: f"Tier {n}")
    qualifying_points = factory.Sequence(lambda n: 1000 * (n + 1))
    earn_multiplier = Decimal("1")


class PointsAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PointsAccount

    company = factory.SubFactory(CompanyFactory)


class PurchaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Purchase

    company = factory.SubFactory(CompanyFactory)
    source = "erp"
    external_id = factory.Sequence(lambda n: f"ORDER-{n}")
    occurred_at = NOW
    net_amount = Decimal("1000.00")
    currency = "SEK"


class CreditNoteFactory(PurchaseFactory):
    """A credit note for the whole of ``original`` unless ``net_amount`` is given."""

    external_id = factory.Sequence(lambda n: f"CREDIT-{n}")
    original = factory.SubFactory(PurchaseFactory)
    company = factory.SelfAttribute("original.company")
    net_amount = factory.LazyAttribute(lambda o: -o.original.net_amount)


class PurchaseLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PurchaseLine

    purchase = factory.SubFactory(PurchaseFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    category = None
    amount = Decimal("100.00")


# --- The reward catalogue ----------------------------------------------------------------------


class RewardCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "rewards.RewardCategory"

    name = factory.Sequence(lambda n: f"Shelf {n}")
    slug = factory.Sequence(lambda n: f"shelf-{n}")


class RewardFactory(factory.django.DjangoModelFactory):
    """A physical reward worth 500 SEK for 10 000 points, unlimited, always available."""

    class Meta:
        model = "rewards.Reward"

    sku = factory.Sequence(lambda n: f"RW-{n:04d}")
    title = factory.Sequence(lambda n: f"Reward {n}")
    summary = "Something nice for the team."
    kind = "physical"
    points_cost = 10_000
    value = Decimal("500.00")
    currency = "SEK"
    stock = None


class VoucherRewardFactory(RewardFactory):
    kind = "voucher"
    title = factory.Sequence(lambda n: f"Gift card {n}")


class VoucherCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "rewards.VoucherCode"

    reward = factory.SubFactory(VoucherRewardFactory)
    code = factory.Sequence(lambda n: f"CODE-{n:06d}")
