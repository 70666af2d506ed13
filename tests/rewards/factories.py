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
