"""Request and response shapes of the integration API (pydantic, via django-ninja)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AwareDatetime, Field, WithJsonSchema

from members.models import Country

Money = Annotated[Decimal, Field(max_digits=13, decimal_places=2, allow_inf_nan=False)]


class ErrorItem(Schema):
    loc: list[str | int] = Field(description="Where the problem is, e.g. ['body', 'lines', 0, 'amount'].")
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: list[ErrorItem]


class MessageOut(Schema):
    detail: str


# --- Companies ------------------------------------------------------------------------------


class CompanyIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    country: Country = Field(description="ISO 3166 code: SE or NL.")
    org_number: str = Field(
        min_length=1, max_length=20, description="Sweden: NNNNNN-NNNN (check digit verified). Netherlands: 8 digits."
    )
    street_address: str = Field("", max_length=200)
    postal_code: str = Field("", max_length=20)
    city: str = Field("", max_length=100)


class CompanyOut(Schema):
    external_id: str
    name: str
    country: str
    org_number: str
    street_address: str
    postal_code: str
    city: str
    status: str


# --- Purchases ------------------------------------------------------------------------------


class PurchaseLineIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    amount: Money
    category: str | None = Field(None, max_length=40, description="Product category code; decides the multiplier.")


class PurchaseIn(Schema):
    external_id: str = Field(min_length=1, max_length=100, description="Unique per API client's source.")
    company: str = Field(min_length=1, max_length=64, description="The company's external id.")
    occurred_at: AwareDatetime = Field(description="When the purchase was made, with a time zone.")
    net_amount: Money = Field(description="≥ 0 for a purchase; ≤ 0 for a credit note.")
    currency: str | None = Field(
        None, pattern=r"^[A-Z]{3}$", description="ISO 4217; the programme's currency when left out."
    )
    lines: list[PurchaseLineIn] = Field(default_factory=list, max_length=1000)
    original_external_id: str | None = Field(
        None,
        max_length=100,
        description="For a credit note or return: the external id of the purchase it credits.",
    )


class PurchaseOut(Schema):
    id: int
    external_id: str
    source: str
    company: str
    kind: Literal["purchase", "credit_note"]
    net_amount: Decimal
    currency: str
    occurred_at: datetime
    points: int = Field(description="Points earned (negative: taken back by a credit note).")
    available_at: datetime | None = Field(description="When earned points stop being pending.")


class PurchaseConflictOut(Schema):
    detail: str
    fields: list[str] = Field(description="The fields that differ from the purchase already recorded.")
    purchase: PurchaseOut


def _inlined_json_schema(model: type[Schema]) -> dict:
    """``model``'s JSON schema with its ``$defs`` inlined, to document a field we validate by hand."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    return resolve(schema)


class PurchaseBatchIn(Schema):
    # Items are validated one by one so a bad item is reported without rejecting the batch.
    items: Annotated[
        list[Any],
        Field(min_length=1, max_length=1000),
        WithJsonSchema({"type": "array", "items": _inlined_json_schema(PurchaseIn), "minItems": 1, "maxItems": 1000}),
    ]


class PurchaseBatchItemOut(Schema):
    index: int
    external_id: str | None
    status: Literal["created", "duplicate", "conflict", "invalid"]
    purchase: PurchaseOut | None = None
    detail: str | None = None
    errors: list[ErrorItem] = Field(default_factory=list)


class PurchaseBatchOut(Schema):
    created: int
    duplicate: int
    conflict: int
    invalid: int
    items: list[PurchaseBatchItemOut]


# --- Points ---------------------------------------------------------------------------------


class DatedPointsOut(Schema):
    on: date
    points: int


class TierOut(Schema):
    name: str
    qualifying_points: int


class BalanceOut(Schema):
    company: str
    balance: int
    balance_value: Decimal
    currency: str
    pending: int
    pending_value: Decimal
    pending_releases: list[DatedPointsOut]
    shortfall: int
    expiring_soon: list[DatedPointsOut] = Field(description="Points expiring in the next 60 days, by date.")
    expiring_soon_total: int
    tier: TierOut | None
    qualifying_points: int
    next_tier: TierOut | None
    points_to_next_tier: int | None


class LedgerEntryOut(Schema):
    id: int
    created_at: datetime
    kind: str
    points: int = Field(description="Change to the spendable balance.")
    pending_points: int
    shortfall_points: int
    net_points: int
    memo: str
    purchase_external_id: str | None
    available_at: datetime | None
    expires_at: datetime | None


class LedgerPageOut(Schema):
    items: list[LedgerEntryOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page; null on the last page.")


class PingOut(Schema):
    client: str
    source: str


# --- Redemptions to fulfil ---------------------------------------------------------------------


class DeliveryAddressOut(Schema):
    name: str
    street: str
    postal_code: str
    city: str
    country: str
    phone: str


class RedemptionOut(Schema):
    id: int
    number: str = Field(description="The order number the member sees, e.g. R-01042.")
    status: Literal["requested", "awaiting_approval", "approved", "fulfilled", "rejected", "cancelled"]
    company: str | None = Field(description="The company's external id.")
    company_name: str
    reward_sku: str = Field(description="The warehouse's article number.")
    reward_title: str
    kind: Literal["physical", "voucher", "experience", "donation"]
    quantity: int
    points: int
    requested_at: datetime
    fulfilled_at: datetime | None
    delivery: DeliveryAddressOut | None = Field(description="For physical rewards: where to send it.")
    note: str = Field(description="The member's note to the club.")
    tracking_reference: str
    fulfilment_note: str


class RedemptionPageOut(Schema):
    items: list[RedemptionOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class FulfilIn(Schema):
    tracking_reference: str = Field("", max_length=200, description="The courier's tracking number or link.")
    note: str = Field("", max_length=1000, description="Shown to the member on the order page.")
