"""Request and response shapes of the integration API (pydantic, via django-ninja).

Every string that comes in — body fields, batch items, path and query parameters — is a
``Text``: bounded in length and refusing control characters (NUL above all, which
PostgreSQL cannot store) and unpaired surrogates (which cannot be encoded) with a 422
that names the field. Money, points and dates carry the bounds of ``rewards.bounds``,
stated in the OpenAPI document.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from members.models import Country
from rewards.bounds import MONEY_MAX, MONEY_MIN, OCCURRED_AT_EARLIEST, OCCURRED_AT_MAX_AHEAD, occurred_at_problem

# C0 and C1 control characters, DEL, and unpaired surrogates. A multi-line text (a note)
# keeps tab, line feed and carriage return.
_FORBIDDEN_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_FORBIDDEN_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# The same rule for the OpenAPI document (JSON Schema regexes; surrogates cannot be written there).
_PATTERN_SINGLE_LINE = r"^[^\x00-\x1f\x7f-\x9f]*$"
_PATTERN_MULTI_LINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"


def _refuse_control_characters(forbidden: re.Pattern):
    def check(value: str) -> str:
        if forbidden.search(value):
            raise PydanticCustomError(
                "control_characters", "Control characters (such as NUL) and invalid characters are not allowed."
            )
        return value

    return check


def Text(*, max_length: int, min_length: int = 0, multiline: bool = False) -> Any:
    """A string of ``min_length`` to ``max_length`` characters without control characters
    (tab and line breaks allowed when ``multiline``). Use it for every string input."""
    forbidden, pattern = (
        (_FORBIDDEN_MULTI_LINE, _PATTERN_MULTI_LINE) if multiline else (_FORBIDDEN_SINGLE_LINE, _PATTERN_SINGLE_LINE)
    )
    return Annotated[
        str,
        Field(min_length=min_length, max_length=max_length, json_schema_extra={"pattern": pattern}),
        AfterValidator(_refuse_control_characters(forbidden)),
    ]


# A company's external id, as in the path of /companies/{external_id} and in a purchase.
CompanyRef = Text(min_length=1, max_length=64)
# What an amount sent as a string may look like: ASCII digits, an optional minus sign and a
# point (the bounds and the two decimals are the Decimal's checks after it).
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _plain_decimal_text(value: Any) -> Any:
    """Refuse an amount string that is not written as the document says, before ``Decimal``
    reads it: ``Decimal`` also reads Arabic-Indic and full-width digits ("١٠٠" is 100),
    underscores, exponents and spaces, which the CSV import refuses. A JSON number is
    left to the Decimal's own checks."""
    if isinstance(value, str) and not _PLAIN_DECIMAL.fullmatch(value):
        raise PydanticCustomError(
            "decimal_parsing",
            'Input should be a valid decimal: the digits 0-9, an optional minus sign and a point, e.g. "1250.00".',
        )
    return value


def _without_negative_zero(value: Decimal) -> Decimal:
    """Read a negative zero ("-0", "-0.00") as zero, so an answer never shows "-0.00" (nor
    does a replay, read back from the database, differ from the first answer). Zero itself
    is a valid amount: a purchase is ≥ 0 and a credit note ≤ 0 (``rewards``' rules)."""
    return value.copy_abs() if value.is_zero() else value


Money = Annotated[
    Decimal,
    Field(max_digits=13, decimal_places=2, ge=MONEY_MIN, le=MONEY_MAX, allow_inf_nan=False),
    BeforeValidator(_plain_decimal_text),  # after the Field: its checks stay the Decimal's own
    AfterValidator(_without_negative_zero),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": float(MONEY_MIN), "maximum": float(MONEY_MAX)},
                {"type": "string", "pattern": r"^-?[0-9]{1,8}(\.[0-9]{1,2})?$"},
            ],
            "description": f"At most two decimals, from {MONEY_MIN} to {MONEY_MAX}.",
        }
    ),
]


def _occurred_at_in_bounds(value: datetime) -> datetime:
    problem = occurred_at_problem(value, now=timezone.now())
    if problem:
        raise PydanticCustomError("date_out_of_range", problem)
    return value


# ISO 8601 (RFC 3339) with a UTC offset: 2026-12-05T14:03:00+01:00, …T13:03:00Z, seconds and
# their fraction optional. Checked before pydantic reads it, as pydantic would also read a
# number, or a string of digits, as Unix seconds.
_ISO_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})"
)


def _iso_moment_text(value: Any) -> Any:
    if not (isinstance(value, str) and _ISO_MOMENT.fullmatch(value)):
        raise PydanticCustomError(
            "datetime_format",
            _('Input should be an ISO 8601 date and time with a UTC offset, e.g. "2026-12-05T14:03:00+01:00".'),
        )
    return value


OccurredAt = Annotated[AwareDatetime, BeforeValidator(_iso_moment_text), AfterValidator(_occurred_at_in_bounds)]
OCCURRED_AT_RULE = (
    f"On or after {OCCURRED_AT_EARLIEST.date().isoformat()}, and at most "
    f"{int(OCCURRED_AT_MAX_AHEAD.total_seconds() // 60)} minutes ahead of the server's clock."
)


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
    name: Text(min_length=1, max_length=200)
    country: Country = Field(description="ISO 3166 code: SE or NL.")
    org_number: Text(min_length=1, max_length=20) = Field(
        description="Sweden: NNNNNN-NNNN (check digit verified). Netherlands: 8 digits."
    )
    street_address: Text(max_length=200) = ""
    postal_code: Text(max_length=20) = ""
    city: Text(max_length=100) = ""


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
    sku: Text(min_length=1, max_length=64)
    amount: Money
    category: Text(max_length=40) | None = Field(None, description="Product category code; decides the multiplier.")


class PurchaseIn(Schema):
    external_id: Text(min_length=1, max_length=100) = Field(description="Unique per API client's source.")
    company: CompanyRef = Field(description="The company's external id.")
    occurred_at: OccurredAt = Field(
        description="When the purchase was made: an ISO 8601 string with a UTC offset, e.g. "
        f"`2026-12-05T14:03:00+01:00` (not Unix seconds). {OCCURRED_AT_RULE}"
    )
    net_amount: Money = Field(description="≥ 0 for a purchase; ≤ 0 for a credit note.")
    currency: str | None = Field(
        None,
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217, the company's currency (SEK, EUR, ...); that currency when left out.",
    )
    lines: list[PurchaseLineIn] = Field(default_factory=list, max_length=1000)
    original_external_id: Text(max_length=100) | None = Field(
        None,
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


BATCH_STATUSES = ("created", "duplicate", "conflict", "invalid", "forbidden", "unavailable")


class PurchaseBatchItemOut(Schema):
    index: int
    external_id: str | None
    status: Literal["created", "duplicate", "conflict", "invalid", "forbidden", "unavailable"]
    purchase: PurchaseOut | None = None
    detail: str | None = None
    errors: list[ErrorItem] = Field(default_factory=list)


class PurchaseBatchOut(Schema):
    created: int
    duplicate: int
    conflict: int
    invalid: int
    forbidden: int = Field(description="Items for a company this client may not use.")
    unavailable: int = Field(description="Items not recorded because the company's points were busy; resend them.")
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
    memo: str = Field(
        description="What the entry says, in the language the request asks for (Accept-Language: en, sv, nl)."
    )
    purchase_external_id: str | None
    available_at: datetime | None
    expires_at: datetime | None


class LedgerPageOut(Schema):
    items: list[LedgerEntryOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page; null on the last page.")


class PingOut(Schema):
    client: str
    source: str
    scopes: list[str] = Field(description="What this client may do, e.g. `purchases:write`.")


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
    kind: Literal["physical", "voucher", "experience", "donation", "invoice_credit"]
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
    tracking_reference: Text(max_length=200) = Field("", description="The courier's tracking number or link.")
    note: Text(max_length=1000, multiline=True) = Field("", description="Shown to the member on the order page.")


class InvoiceCreditOut(Schema):
    id: int
    number: str = Field(description="The credit's number, e.g. IC-00042.")
    company: str | None = Field(description="The company's external id.")
    company_name: str
    source: Literal["redemption", "closing"] = Field(
        description="`redemption`: an order of an invoice-credit reward; `closing`: the company left the club and "
        "its points were paid out."
    )
    redemption_id: int | None = Field(description="The order, when the source is `redemption`.")
    redemption_number: str | None
    points: int = Field(description="The points spent on it.")
    amount: str = Field(description="Money to credit on the company's next invoice, a decimal string.")
    currency: str
    status: Literal["open", "applied"]
    created_at: datetime
    applied_at: datetime | None
    invoice_reference: str = Field(description="The invoice it was applied to; empty while open.")


class InvoiceCreditPageOut(Schema):
    items: list[InvoiceCreditOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class InvoiceCreditApplyIn(Schema):
    invoice_reference: Text(min_length=1, max_length=100) = Field(
        description="The ERP's number of the invoice the credit was deducted from."
    )


# --- Webhooks --------------------------------------------------------------------------------

EventTypeName = Literal[
    "purchase.earned",
    "points.released",
    "points.expired",
    "redemption.created",
    "redemption.approved",
    "redemption.rejected",
    "redemption.cancelled",
    "redemption.fulfilled",
    "company.created",
    "company.suspended",
    "company.closed",
    "company.reopened",
    "invoice_credit.created",
    "invoice_credit.applied",
    "tier.changed",
]


class WebhookEndpointIn(Schema):
    url: Text(min_length=1, max_length=500) = Field(
        description="https URL on a public address; redirects are not followed."
    )
    events: list[EventTypeName] = Field(min_length=1, max_length=20, description="The event types to receive.")
    description: Text(max_length=200) = ""


class WebhookEndpointPatch(Schema):
    url: Text(min_length=1, max_length=500) | None = None
    events: list[EventTypeName] | None = Field(None, min_length=1, max_length=20)
    description: Text(max_length=200) | None = None
    is_active: bool | None = Field(None, description="false pauses deliveries; true resumes them, in order.")


class WebhookEndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    is_active: bool
    failing_since: datetime | None = Field(description="Start of the current run of failed deliveries.")
    disabled_at: datetime | None
    disabled_reason: str
    previous_secret_until: datetime | None = Field(description="After a rotation: the old secret signs until then.")
    created_at: datetime


class WebhookEndpointSecretOut(WebhookEndpointOut):
    secret: str = Field(description="The signing secret (whsec_…). Shown only now: store it.")


class WebhookEndpointListOut(Schema):
    items: list[WebhookEndpointOut]


class WebhookDeliveryOut(Schema):
    id: int
    endpoint_id: int
    event_id: str = Field(description="The webhook-id header: de-duplicate by it.")
    type: str
    company: str = Field(description="The company's external id.")
    status: Literal["pending", "succeeded", "failed"]
    attempts: int
    last_status_code: int | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


class WebhookDeliveryPageOut(Schema):
    items: list[WebhookDeliveryOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


# --- Import jobs -------------------------------------------------------------------------------


class ImportProblemOut(Schema):
    line: int
    msg: str


class ImportRefusedOut(Schema):
    detail: str
    problems: list[ImportProblemOut]


class ImportJobOut(Schema):
    id: int
    key: str = Field(description="The Idempotency-Key it was posted with.")
    format: Literal["csv", "ndjson"]
    status: Literal["queued", "running", "done", "failed"]
    total_rows: int | None = Field(description="Data lines in the file (known once the job starts).")
    rows_done: int
    rows_created: int
    rows_duplicate: int
    rows_failed: int
    error: str = Field(description="Why the whole file failed (status failed).")
    error_report_url: str | None = Field(description="CSV of the failed lines with the reason, once there are any.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
