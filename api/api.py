"""The integration API, version 1: HTTP in, services out. Handlers stay thin.

Every endpoint needs ``Authorization: Bearer <token>`` (``api.services.api_client_authenticate``)
and, except ``/ping``, one scope of the client (``@scoped``; 403 without it); a client limited
to its companies gets 403 for another company's balance, ledger or purchases and 404 for
another company's redemptions. The OpenAPI document and the docs page are public.

A request is checked in this order, so an answer never says more than the client may know:
the token (401), the scope (403), the record the path names when the client may not use it
(``@scoped(guard=...)``: 403 or 404), and only then the body — its type (415 unless
``application/json``, UTF-8), its syntax (400), repeated keys and fields (422).

Every status an operation can answer is in the document (``_responses``). Errors always
have a JSON body with ``detail``: a string, or for 422 a list of ``{loc, msg, type}``
naming the field. Writes run in ``core.db.bounded_lock_wait``: a write that cannot
get a row lock within ``LOCK_WAIT_SECONDS`` (an import holds it) answers 503 with
``Retry-After`` and saves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, NinjaAPI, Query, Status, UploadedFile
from ninja.errors import HttpError, ValidationErrorContext
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import DocsBase
from ninja.operation import Operation
from ninja.params.models import BodyModel
from ninja.parser import Parser
from ninja.security import HttpBearer
from ninja.utils import contribute_operation_callback
from pydantic import Field

from core.db import LockWaitTimeout, bounded_lock_wait
from members.models import Company, CompanyStatus
from members.services import MembersError, company_upsert
from rewards.bounds import money_problem, occurred_at_problem
from rewards.ledger.notices import CompanyEarnings, company_earnings
from rewards.ledger.selectors import account_summary, points_value
from rewards.ledger.tasks import purchases_points_notices_enqueue
from rewards.models import (
    TO_FULFIL,
    EntryKind,
    InvoiceCredit,
    LedgerEntry,
    ProductCategory,
    ProgrammeRules,
    Purchase,
    Redemption,
    RewardKind,
)
from rewards.purchases.imports import BatchLanding, BatchNotSetBased, BatchPurchase, purchases_land_set_based
from rewards.purchases.services import (
    CENT,
    PurchaseConflict,
    PurchaseInvalid,
    PurchaseLineInput,
    purchase_points_entry,
    purchase_record_with_entry,
)
from rewards.redemptions.credits import InvoiceCreditError, invoice_credit_apply
from rewards.redemptions.services import RedemptionError, redemption_fulfil

from . import schemas
from .ingest import IngestRefused, api_import_create
from .json_input import RepeatedKey, json_loads_strict
from .models import ApiClient, ApiImportJob, ApiScope, WebhookDelivery, WebhookEndpoint
from .selectors import (
    INVOICE_CREDIT_PAGE_MAX,
    LEDGER_PAGE_MAX,
    REDEMPTION_PAGE_MAX,
    InvalidCursor,
    company_by_external_id,
    invoice_credits_page,
    ledger_page,
    redemptions_page,
)
from .services import (
    ApiAccessDenied,
    api_client_authenticate,
    api_client_company_created,
    api_client_company_q,
    api_client_require_company,
    api_client_require_scope,
)
from .views import DOCS_ASSETS
from .webhooks import (
    WebhookError,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)

# A check of the record a path names, before the body is read: called with the client and
# the path's parameters as sent (strings, not yet validated); raises to refuse.
PathGuard = Callable[..., None]


class ApiTokenAuth(HttpBearer):
    """The bearer token (401 without a valid one); for an operation that needs them (see
    ``scoped``), then its scope (403) and its path guard (403 or 404).

    These run here, as part of authentication, because ninja authenticates before it reads
    the body: a client that may not call the operation is told so whatever it sent, never
    given a 415 or 422 that describes the body the operation takes. A refusal raised here
    goes through the API's exception handlers like any other."""

    def __init__(self, *, scope: ApiScope | None = None, guard: PathGuard | None = None):
        super().__init__()
        self.scope = scope
        self.guard = guard

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        client = api_client_authenticate(token=token)
        if client is None:
            return None
        if self.scope is not None:
            api_client_require_scope(client=client, scope=self.scope)
        if self.guard is not None and request.resolver_match is not None:
            self.guard(client, **request.resolver_match.kwargs)
        return client


class BodyRefused(Exception):
    """A JSON body that is not read: ``status`` and ``detail`` are the answer."""

    def __init__(self, status: int, detail: str | list[dict]):
        super().__init__(detail)
        self.status = status
        self.detail = detail


class JsonBodyParser(Parser):
    """JSON bodies as the document says: ``application/json`` (parameters allowed; a charset,
    if given, is UTF-8) or 415; a key repeated in an object is a 422 naming it, not the
    last value silently winning. Multipart uploads (``POST /imports``) do not come here.

    A non-empty body without a ``Content-Type`` is refused too (415): it is what a client
    sending a form or text by mistake looks like, and the answer says what to send. An empty
    body has no type to check; the operation decides whether it needs one."""

    def parse_body(self, request: HttpRequest):
        if request.content_type != "application/json":
            raise BodyRefused(
                415,
                _("Send the body as JSON, with the header Content-Type: application/json (not %(type)s).")
                % {"type": request.content_type[:100] or _("no Content-Type")},
            )
        charset = request.content_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise BodyRefused(
                415, _("JSON is sent in UTF-8; this body says its charset is %(charset)s.") % {"charset": charset[:40]}
            )
        try:
            return json_loads_strict(request.body)
        except RepeatedKey as exc:
            msg = _("The key %(key)s appears more than once in this object; send it once.") % {"key": exc.key}
            raise BodyRefused(
                422, [{"loc": ["body", *exc.path, exc.key], "msg": msg, "type": "duplicate_key"}]
            ) from None


class ClubportalApi(NinjaAPI):
    """ninja's API, with a missing JSON body reported field by field."""

    def validation_error_from_error_contexts(self, error_contexts: list[ValidationErrorContext]):
        """A missing body is reported as its missing fields (``loc: ["body", "name"]``), as an
        empty object would be, instead of only ``["body"]``: the answer names what to send."""
        named = []
        for context in error_contexts:
            model = context.model
            varname = getattr(model, "__read_from_single_attr__", None)
            missing_body = varname and all(
                error["type"] == "missing" and tuple(error["loc"]) == (varname,)
                for error in context.pydantic_validation_error.errors()
            )
            if issubclass(model, BodyModel) and missing_body:
                try:
                    model.model_validate({varname: {}})
                except pydantic.ValidationError as exc:
                    context = ValidationErrorContext(pydantic_validation_error=exc, model=model)
            named.append(context)
        return super().validation_error_from_error_contexts(named)


class LocalSwagger(DocsBase):
    """Swagger UI from django-ninja's bundled files, served by this app (no CDN; the CSP holds).

    ninja only uses its bundled files when "ninja" is in INSTALLED_APPS; this renders our own
    page instead and serves the files through ``api.views.docs_asset``.
    """

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        swagger_settings = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            "deepLinking": True,
            "validatorUrl": None,  # no calls to swagger.io
        }
        assets = {
            name.replace("-", "_").replace(".", "_"): reverse("api_docs_asset", args=[name]) for name in DOCS_ASSETS
        }
        return render(request, "api/docs.html", {"api": api, "swagger_settings": swagger_settings, "assets": assets})


# The integrators' guide (docs/integration.md) is the document's description: the docs page
# shows it above the operations, so the page and the repository say the same thing.
INTEGRATION_GUIDE = Path(settings.BASE_DIR) / "docs" / "integration.md"
_SHORT_DESCRIPTION = (
    "Push companies and purchases from the ERP; read balances and ledgers; pull redemptions to fulfil "
    "and mark them fulfilled; receive signed webhooks. "
    "Authenticate with `Authorization: Bearer <token>`; tokens are created in the admin."
)


def _guide() -> str:
    try:
        text = INTEGRATION_GUIDE.read_text(encoding="utf-8")
    except OSError:  # a deployment without the docs folder still serves the reference
        return _SHORT_DESCRIPTION
    return text.split("\n", 1)[1].strip() if text.startswith("# ") else text


api = ClubportalApi(
    title="Clubportal integration API",
    version="1",
    description=_guide(),
    urls_namespace="api-v1",
    auth=ApiTokenAuth(),
    docs=LocalSwagger(),
    docs_url="/docs",
    # Swagger UI sets inline style attributes; scripts stay strict. This page only.
    docs_decorator=csp_update({"style-src": [UNSAFE_INLINE]}),
    parser=JsonBodyParser(),
)


# --- Errors ---------------------------------------------------------------------------------


def _error_items(errors: list[dict], prefix: list[str | int]) -> list[dict]:
    """Pydantic's errors without inputs or contexts (which may not serialise), under ``prefix``."""
    return [
        {"loc": [*prefix, *error.get("loc", ())], "msg": error.get("msg", ""), "type": error.get("type", "invalid")}
        for error in errors
    ]


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    items = []
    for error in exc.errors:
        loc = list(error.get("loc", ()))
        if len(loc) >= 2 and loc[0] == "body" and loc[1] == "payload":
            del loc[1]  # the handler's parameter name is not part of the document
        if len(loc) >= 2 and loc[0] == "query" and loc[1] == "params":
            del loc[1]
        items.append({"loc": loc, "msg": error.get("msg", ""), "type": error.get("type", "invalid")})
    return api.create_response(request, {"detail": items}, status=422)


def _invalid_items(exc: PurchaseInvalid | DjangoValidationError, prefix: list[str | int]) -> list[dict]:
    if isinstance(exc, PurchaseInvalid):
        loc = (
            [*prefix, *(int(part) if part.isascii() and part.isdigit() else part for part in exc.field.split("."))]
            if exc.field
            else prefix
        )
        return [{"loc": loc, "msg": exc.message, "type": "value_error"}]
    return [
        {"loc": [*prefix, field], "msg": message, "type": "value_error"}
        for field, messages in exc.message_dict.items()
        for message in messages
    ]


@api.exception_handler(PurchaseInvalid)
def _purchase_invalid(request, exc: PurchaseInvalid):
    return api.create_response(request, {"detail": _invalid_items(exc, ["body"])}, status=422)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # ninja answers any error of the parser as 400 "Cannot parse request body", with the
    # parser's exception as the cause: a body refused on purpose gets its own answer.
    if isinstance(exc.__cause__, BodyRefused):
        return api.create_response(request, {"detail": exc.__cause__.detail}, status=exc.__cause__.status)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(DjangoValidationError)
def _django_validation_error(request, exc: DjangoValidationError):
    return api.create_response(request, {"detail": _invalid_items(exc, ["body"])}, status=422)


@api.exception_handler(MembersError)
def _members_error(request, exc: MembersError):
    return api.create_response(request, {"detail": str(exc)}, status=409)


@api.exception_handler(InvalidCursor)
def _invalid_cursor(request, exc: InvalidCursor):
    return api.create_response(
        request, {"detail": [{"loc": ["query", "cursor"], "msg": str(exc), "type": "value_error"}]}, status=422
    )


@api.exception_handler(ApiAccessDenied)
def _access_denied(request, exc: ApiAccessDenied):
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(LockWaitTimeout)
def _lock_wait_timeout(request, exc: LockWaitTimeout):
    response = api.create_response(
        request,
        {
            "detail": f"A record this change needs is busy (an import is running); nothing was saved. "
            f"Try again in {exc.retry_after} seconds."
        },
        status=503,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc: RequestDataTooBig):
    return api.create_response(request, {"detail": "The request body is too large."}, status=413)


# Every operation can answer these; ``_responses`` adds them to each operation's document.
_COMMON_RESPONSES: dict[int, Any] = {
    400: schemas.MessageOut,  # a body that is not JSON
    401: schemas.MessageOut,  # no token, or not a valid one
    414: None,  # a URL longer than the web server accepts (answered by it, before the app)
}


def _responses(
    ok: dict[int, Any],
    *,
    scoped: bool = True,
    inputs: bool = True,
    body: bool = False,
    upload: bool = False,
    write: bool = False,
    **more,
) -> dict:
    """The statuses an operation answers: ``ok``, the common errors, 403 when it needs a
    scope, 422 when it takes parameters, 413 and 415 when it takes a JSON body (413 alone
    for a multipart ``upload``), 503 when it writes."""
    responses = {**ok, **_COMMON_RESPONSES}
    if scoped:
        responses[403] = schemas.MessageOut
    if body or upload:
        responses[413] = schemas.MessageOut
    if body:
        responses[415] = schemas.MessageOut  # not application/json
    if inputs:
        responses[422] = schemas.ValidationErrorOut
    if write:
        responses[503] = schemas.MessageOut
    for status, schema in more.items():
        responses[int(status.removeprefix("status_"))] = schema
    return responses


def scoped(scope: ApiScope, *, guard: PathGuard | None = None):
    """The endpoint needs ``scope``, and ``guard`` (if any) lets the client use the record
    its path names: both are checked when the token is (``ApiTokenAuth``), so a client that
    may not call it gets 403 (or the guard's 404) before its body is read."""

    def use_scoped_auth(operation: Operation) -> None:
        auth = ApiTokenAuth(scope=scope, guard=guard)
        operation.auth_param = auth  # the API's own auth (the token alone) is not applied then
        operation.auth_callbacks = [auth]

    def decorate(view):
        view.__doc__ = f"{view.__doc__ or ''}\n\nNeeds the scope `{scope.value}`.".strip()
        contribute_operation_callback(view, use_scoped_auth)
        return view

    return decorate


ExternalIdPath = schemas.CompanyRef  # the company's external id
RedemptionIdPath = Annotated[int, Field(ge=1, le=2**63 - 1)]  # a bigint: larger ids cannot exist
_EXTERNAL_ID_PATH = pydantic.TypeAdapter(ExternalIdPath)
_ID_PATH = pydantic.TypeAdapter(RedemptionIdPath)


def _company_or_404(client: ApiClient, external_id: str) -> Company:
    company = company_by_external_id(external_id)
    if company is None:
        raise HttpError(404, f"No company with external id {external_id}.")
    api_client_require_company(client=client, company=company)
    return company


def _path_value(adapter: pydantic.TypeAdapter, raw: str):
    """A path parameter as the operation will read it, or None when it is not valid (the
    operation's own validation answers 422 for it, after the guard)."""
    try:
        return adapter.validate_python(raw)
    except pydantic.ValidationError:
        return None


def _guard_company_path(client: ApiClient, external_id: str) -> None:
    """A client limited to its companies may not change another company (403), whatever body it sent."""
    if client.all_companies or (external_id := _path_value(_EXTERNAL_ID_PATH, external_id)) is None:
        return
    existing = company_by_external_id(external_id)
    if existing is not None:
        api_client_require_company(client=client, company=existing)


def _guard_redemption_path(client: ApiClient, redemption_id: str) -> None:
    """Another company's redemption (or none) is a 404, whatever body was sent."""
    if (redemption_id := _path_value(_ID_PATH, redemption_id)) is not None:
        _redemption_or_404(client, redemption_id)


def _guard_invoice_credit_path(client: ApiClient, credit_id: str) -> None:
    """Another company's invoice credit (or none) is a 404, whatever body was sent."""
    if (credit_id := _path_value(_ID_PATH, credit_id)) is not None:
        _invoice_credit_or_404(client, credit_id)


# --- Endpoints ------------------------------------------------------------------------------


@api.get(
    "/ping",
    response=_responses({200: schemas.PingOut}, scoped=False, inputs=False),
    tags=["meta"],
    summary="Check a token",
)
def ping(request):
    """Authenticates and does nothing else: for checking a token (and for the benchmark)."""
    return {"client": request.auth.name, "source": request.auth.source, "scopes": request.auth.scopes}


@api.put(
    "/companies/{external_id}",
    response=_responses(
        {200: schemas.CompanyOut, 201: schemas.CompanyOut}, body=True, write=True, status_409=schemas.MessageOut
    ),
    tags=["companies"],
    summary="Create or update a company",
)
@scoped(ApiScope.COMPANIES_WRITE, guard=_guard_company_path)
def company_put(request, external_id: ExternalIdPath, payload: schemas.CompanyIn):
    """Idempotent: 201 when the company was created, 200 when it existed (updated or unchanged).
    A client limited to its companies may update only those; a company it creates becomes one."""
    existing = company_by_external_id(external_id)
    if existing is not None:
        api_client_require_company(client=request.auth, company=existing)
    with bounded_lock_wait():
        company, created = company_upsert(external_id=external_id, **payload.dict())
        if created:
            api_client_company_created(client=request.auth, company=company)
    return Status(201 if created else 200, _company_out(company))


def _company_out(company: Company) -> dict:
    return {
        "external_id": company.external_id,
        "name": company.name,
        "country": company.country,
        "org_number": company.org_number,
        "street_address": company.street_address,
        "postal_code": company.postal_code,
        "city": company.city,
        "status": company.status,
    }


def _purchase_out(purchase: Purchase, company: Company, entry: LedgerEntry | None = None) -> dict:
    entry = entry or purchase_points_entry(purchase)
    return {
        "id": purchase.pk,
        "external_id": purchase.external_id,
        "source": purchase.source,
        "company": company.external_id,
        "kind": "credit_note" if purchase.is_credit_note else "purchase",
        "net_amount": purchase.net_amount,
        "currency": purchase.currency,
        "occurred_at": purchase.occurred_at.astimezone(UTC),  # as stored, so a retry's answer is identical
        "points": entry.net_points if entry else 0,
        "available_at": entry.available_at if entry else None,
    }


def _record(
    client: ApiClient, payload: schemas.PurchaseIn, company: Company, *, notify: bool = True
) -> tuple[Purchase, bool, LedgerEntry | None]:
    """Record one purchase in its own transaction with a bounded lock wait."""
    with bounded_lock_wait():
        return purchase_record_with_entry(
            company=company,
            source=client.source,
            external_id=payload.external_id,
            occurred_at=payload.occurred_at,
            net_amount=payload.net_amount,
            currency=payload.currency or company.purchase_currency,
            lines=[
                PurchaseLineInput(sku=line.sku, amount=line.amount, category_code=line.category)
                for line in payload.lines
            ],
            original_external_id=payload.original_external_id,
            notify=notify,
        )


OTHER_COMPANY_CONFLICT = "This external id is already recorded for a company this client cannot use."


def _client_may_use(client: ApiClient, company: Company) -> bool:
    try:
        api_client_require_company(client=client, company=company)
    except ApiAccessDenied:
        return False
    return True


def _conflict_out(exc: PurchaseConflict, client: ApiClient) -> dict:
    """The 409's body: the purchase already recorded (under its own company), or — when it
    belongs to a company this client may not use — only a generic detail, nothing of it."""
    company = exc.purchase.company
    if not _client_may_use(client, company):
        return {"detail": OTHER_COMPANY_CONFLICT}
    return {"detail": exc.message, "fields": exc.fields, "purchase": _purchase_out(exc.purchase, company)}


def _unknown_company(external_id: str) -> PurchaseInvalid:
    return PurchaseInvalid(
        f"No company with external id {external_id}; create it first with PUT /api/v1/companies/{external_id}.",
        field="company",
    )


@api.post(
    "/purchases",
    response=_responses(
        {200: schemas.PurchaseOut, 201: schemas.PurchaseOut},
        body=True,
        write=True,
        # MessageOut alone: the purchase recorded is of a company this client may not use.
        status_409=schemas.PurchaseConflictOut | schemas.MessageOut,
    ),
    tags=["purchases"],
    summary="Record a purchase or credit note",
)
@scoped(ApiScope.PURCHASES_WRITE)
def purchase_post(request, payload: schemas.PurchaseIn, response: HttpResponse):
    """Idempotent by the client's source and `external_id`.

    201: recorded now. 200: the same purchase was recorded before — the first result is
    returned unchanged (header `Idempotent-Replayed: true`). 409: the external id was
    recorded with different content (`fields` says which; only `detail` when it was recorded
    for a company this client may not use). A credit note
    (`original_external_id`, net amount ≤ 0) takes back the credited purchase's points.
    503 (with `Retry-After`): the company's points are busy (an import); nothing was saved.
    """
    company = company_by_external_id(payload.company)
    if company is None:
        raise _unknown_company(payload.company)
    api_client_require_company(client=request.auth, company=company)
    try:
        purchase, created, entry = _record(request.auth, payload, company)
    except PurchaseConflict as exc:
        return Status(409, _conflict_out(exc, request.auth))
    if not created:
        response["Idempotent-Replayed"] = "true"
    return Status(201 if created else 200, _purchase_out(purchase, company, entry))


def _batch_item_refused(index: int, external_id: str | None, status: str, detail: str, errors: list[dict]) -> dict:
    return {"index": index, "external_id": external_id, "status": status, "detail": detail, "errors": errors}


@api.post(
    "/purchases/batch",
    response=_responses({200: schemas.PurchaseBatchOut}, body=True),
    tags=["purchases"],
    summary="Record up to 1 000 purchases",
)
@scoped(ApiScope.PURCHASES_WRITE)
def purchase_batch_post(request, payload: schemas.PurchaseBatchIn, response: HttpResponse):
    """Every item is checked first (its fields, its company, the client's access to it);
    then each valid item is handled like `POST /purchases`, in its own transaction: good
    items land whatever happens to the others. Every item's outcome is reported, in order:
    `created`, `duplicate` (recorded before with the same content), `conflict` (recorded
    before with different content), `invalid` (with `errors` per field), `forbidden` (a
    company this client may not use) or `unavailable` (the company's points were busy, e.g.
    an import: nothing was saved for it; send it again — the answer then has `Retry-After`).
    Safe to resend as a whole."""
    client: ApiClient = request.auth
    outcomes: dict[int, dict] = {}
    parsed: dict[int, schemas.PurchaseIn] = {}
    for index, raw in enumerate(payload.items):
        if not isinstance(raw, dict):
            outcomes[index] = _batch_item_refused(
                index,
                None,
                "invalid",
                "Each item must be a JSON object.",
                [{"loc": ["body", "items", index], "msg": "Each item must be a JSON object.", "type": "dict_type"}],
            )
            continue
        try:
            parsed[index] = schemas.PurchaseIn.model_validate(raw)
        except pydantic.ValidationError as exc:
            external_id = raw.get("external_id")
            if not (isinstance(external_id, str) and len(external_id) <= 100 and external_id.isprintable()):
                external_id = None  # echo only what could be a valid id
            errors = _error_items(exc.errors(), ["body", "items", index])
            outcomes[index] = _batch_item_refused(index, external_id, "invalid", errors[0]["msg"], errors)
    companies = {
        company.external_id: company
        for company in Company.objects.filter(external_id__in={item.company for item in parsed.values()})
    }
    allowed = set(
        Company.objects.filter(
            api_client_company_q(client=client), pk__in=[c.pk for c in companies.values()]
        ).values_list("pk", flat=True)
    )
    for index, item in list(parsed.items()):
        company = companies.get(item.company)
        if company is None:
            exc = _unknown_company(item.company)
            outcomes[index] = _batch_item_refused(
                index, item.external_id, "invalid", exc.message, _invalid_items(exc, ["body", "items", index])
            )
            del parsed[index]
        elif company.pk not in allowed:
            try:
                api_client_require_company(client=client, company=company)
            except ApiAccessDenied as denied:
                outcomes[index] = _batch_item_refused(index, item.external_id, "forbidden", str(denied), [])
                del parsed[index]
    # One "points arrived" notice per company for the whole batch, after the last item.
    earned: dict[int, CompanyEarnings] = {}
    first_purchase_id = None
    retry_after = 0
    # Most items land together, set-based (the CSV import's statements); the rest — credit
    # notes, several lines, anything a rule refuses, repeated external ids, accounts whose
    # earns depend on their order — go one by one through purchase_record, afterwards.
    one_by_one = sorted(parsed)
    if connection.vendor == "postgresql":
        set_based, one_by_one = _batch_set_based_items(client, parsed, companies)
        if set_based:
            try:
                with bounded_lock_wait():
                    landing = purchases_land_set_based(set_based)
            except (LockWaitTimeout, BatchNotSetBased):
                # A company's points are busy (an import holds them), or an item would earn
                # more than one purchase may: nothing landed; one by one, each item gets its
                # own answer (the others land).
                one_by_one = sorted(one_by_one + [item.key for item in set_based])
            else:
                one_by_one = sorted(one_by_one + landing.left)
                _batch_landed_out(client, landing, parsed, companies, outcomes)
                for company_id, (purchases, points) in landing.earned.items():
                    tally = earned.setdefault(company_id, company_earnings(company_id, 0, 0))
                    tally["purchases"] += purchases
                    tally["points"] += points
                if landing.created:
                    first_purchase_id = min(purchase_id for purchase_id, _p, _a in landing.created.values())
    for index in one_by_one:
        item = parsed[index]
        company = companies[item.company]
        outcome: dict = {"index": index, "external_id": item.external_id}
        try:
            purchase, created, entry = _record(client, item, company, notify=False)
            if created and entry is not None and entry.kind == EntryKind.EARN and entry.net_points > 0:
                tally = earned.setdefault(company.pk, company_earnings(company.pk, 0, 0))
                tally["purchases"] += 1
                tally["points"] += entry.net_points
                first_purchase_id = min(first_purchase_id or purchase.pk, purchase.pk)
            outcome |= {
                "status": "created" if created else "duplicate",
                "purchase": _purchase_out(purchase, company, entry),
            }
        except PurchaseConflict as exc:
            conflict = _conflict_out(exc, client)
            outcome |= {"status": "conflict", "detail": conflict["detail"], "purchase": conflict.get("purchase")}
        except PurchaseInvalid as exc:
            outcome |= {
                "status": "invalid",
                "detail": exc.message,
                "errors": _invalid_items(exc, ["body", "items", index]),
            }
        except LockWaitTimeout as exc:
            retry_after = max(retry_after, exc.retry_after)
            outcome |= {"status": "unavailable", "detail": str(exc)}
        outcomes[index] = outcome
    if earned:
        purchases_points_notices_enqueue(key=f"points:batch:{first_purchase_id}", earned=list(earned.values()))
    if retry_after:
        response["Retry-After"] = str(retry_after)
    items = [outcomes[index] for index in sorted(outcomes)]
    counts = {status: sum(1 for item in items if item["status"] == status) for status in schemas.BATCH_STATUSES}
    return {**counts, "items": items}


def _batch_set_based_items(
    client: ApiClient, parsed: dict[int, schemas.PurchaseIn], companies: dict[str, Company]
) -> tuple[list[BatchPurchase], list[int]]:
    """The batch's items that can land set-based, and the indexes of the others.

    An item lands set-based when ``purchase_record`` would accept it as it is: a purchase (not
    a credit note) in the company's currency (one the programme earns in), within the bounds, with no line or one line
    of a known category (or none) whose amount is the net amount — the shape the import's
    statements write — and the first item of its external id in the batch. Everything
    else goes one by one, which also words any refusal as a single post does."""
    now = timezone.now()
    currencies = set(ProgrammeRules.current().currencies())
    codes = {line.category for item in parsed.values() for line in item.lines[:1] if line.category}
    categories = {category.code: category for category in ProductCategory.objects.filter(code__in=codes)}
    set_based: list[BatchPurchase] = []
    one_by_one: list[int] = []
    seen: set[str] = set()
    for index, item in sorted(parsed.items()):
        line = item.lines[0] if len(item.lines) == 1 else None
        code = (line.category or "").strip() or None if line is not None else None
        amount = item.net_amount
        external_id = item.external_id
        repeated = external_id in seen
        seen.add(external_id)
        if (
            item.original_external_id
            or len(item.lines) > 1
            or repeated
            or external_id != external_id.strip()
            or (item.currency or companies[item.company].purchase_currency) not in currencies
            or (item.currency or companies[item.company].purchase_currency) != companies[item.company].purchase_currency
            or not amount.is_finite()
            or money_problem(amount)
            or amount < 0
            or amount != amount.quantize(CENT)
            or timezone.is_naive(item.occurred_at)
            or companies[item.company].status == CompanyStatus.CLOSED
            or occurred_at_problem(item.occurred_at, now=now)
            or (
                line is not None
                and (line.amount != amount or not line.sku.strip() or (code is not None and code not in categories))
            )
        ):
            one_by_one.append(index)
        else:
            category = categories[code] if code is not None else None
            set_based.append(
                BatchPurchase(
                    key=index,
                    company_external_id=companies[item.company].external_id,
                    source=client.source,
                    external_id=external_id,
                    occurred_at=item.occurred_at,
                    net_amount=amount.quantize(CENT),
                    currency=companies[item.company].purchase_currency,
                    line_sku=line.sku.strip() if line is not None else None,
                    category=category,
                )
            )
    # A company's purchases are recorded in the batch's order: one with an item that goes one
    # by one sends all of its items that way.
    ordered = {parsed[index].company for index in one_by_one}
    if ordered:
        one_by_one += [item.key for item in set_based if parsed[item.key].company in ordered]
        set_based = [item for item in set_based if parsed[item.key].company not in ordered]
    return set_based, sorted(one_by_one)


def _batch_landed_out(
    client: ApiClient,
    landing: BatchLanding,
    parsed: dict[int, schemas.PurchaseIn],
    companies: dict[str, Company],
    outcomes: dict[int, dict],
) -> None:
    """The outcomes of the items that landed set-based, as ``_purchase_out`` words them (two
    queries for the duplicates, none for the created)."""
    for index, (purchase_id, points, available_at) in landing.created.items():
        item = parsed[index]
        purchase = {
            "id": purchase_id,
            "external_id": item.external_id,
            "source": client.source,
            "company": companies[item.company].external_id,
            "kind": "purchase",
            "net_amount": item.net_amount.quantize(CENT),
            "currency": companies[item.company].purchase_currency,  # as landed (see _batch_set_based_items)
            "occurred_at": item.occurred_at.astimezone(UTC),
            "points": points,
            "available_at": available_at,
        }
        outcomes[index] = {"index": index, "external_id": item.external_id, "status": "created", "purchase": purchase}
    if landing.duplicate:
        purchases = Purchase.objects.in_bulk(landing.duplicate.values())
        entries = {
            entry.purchase_id: entry
            for entry in LedgerEntry.objects.filter(
                purchase_id__in=landing.duplicate.values(), kind=EntryKind.EARN, reverses__isnull=True
            )
        }
        for index, purchase_id in landing.duplicate.items():
            item = parsed[index]
            purchase = purchases[purchase_id]
            outcomes[index] = {
                "index": index,
                "external_id": item.external_id,
                "status": "duplicate",
                "purchase": _purchase_out(purchase, companies[item.company], entries.get(purchase_id)),
            }


@api.get(
    "/companies/{external_id}/balance",
    response=_responses({200: schemas.BalanceOut, 404: schemas.MessageOut}),
    tags=["points"],
    summary="A company's points at a glance",
)
@scoped(ApiScope.POINTS_READ)
def company_balance(request, external_id: ExternalIdPath):
    """Balance and its money value, pending points with release dates, points expiring in
    the next 60 days, tier and points to the next tier. A fixed number of queries."""
    company = _company_or_404(request.auth, external_id)
    summary = account_summary(company=company)
    rules = ProgrammeRules.current().for_company(company)  # values in the company's currency

    def tier_out(tier):
        return {"name": tier.name, "qualifying_points": tier.qualifying_points} if tier else None

    return {
        "company": company.external_id,
        "balance": summary.balance,
        "balance_value": summary.balance_value,
        "currency": summary.currency,
        "pending": summary.pending,
        "pending_value": points_value(points=summary.pending, rules=rules),
        "pending_releases": [{"on": item.on, "points": item.points} for item in summary.pending_releases],
        "shortfall": summary.shortfall,
        "expiring_soon": [{"on": item.on, "points": item.points} for item in summary.expiring],
        "expiring_soon_total": summary.expiring_total,
        "tier": tier_out(summary.tier),
        "qualifying_points": summary.qualifying_points,
        "next_tier": tier_out(summary.next_tier),
        "points_to_next_tier": summary.points_to_next_tier,
    }


class LedgerQuery(schemas.Schema):
    cursor: schemas.Text(max_length=200) | None = Field(None, description="`next_cursor` from the previous page.")
    limit: int = Field(100, ge=1, le=LEDGER_PAGE_MAX)


@api.get(
    "/companies/{external_id}/ledger",
    response=_responses({200: schemas.LedgerPageOut, 404: schemas.MessageOut}),
    tags=["points"],
    summary="A company's ledger, newest first",
)
@scoped(ApiScope.POINTS_READ)
def company_ledger(request, external_id: ExternalIdPath, params: Query[LedgerQuery]):
    """Cursor-paginated on (created_at, id): stable while new entries arrive. A cursor the
    API did not give out answers 422."""
    company = _company_or_404(request.auth, external_id)
    page = ledger_page(company=company, cursor=params.cursor, limit=params.limit)
    return {
        "items": [
            {
                "id": entry.pk,
                "created_at": entry.created_at,
                "kind": entry.kind,
                "points": entry.points,
                "pending_points": entry.pending_points,
                "shortfall_points": entry.shortfall_points,
                "net_points": entry.net_points,
                "memo": entry.memo,
                "purchase_external_id": entry.purchase.external_id if entry.purchase else None,
                "available_at": entry.available_at,
                "expires_at": entry.expires_at,
            }
            for entry in page.entries
        ],
        "next_cursor": page.next_cursor,
    }


# --- Redemptions to fulfil ---------------------------------------------------------------------


@api.exception_handler(RedemptionError)
def _redemption_error(request, exc: RedemptionError):
    return api.create_response(request, {"detail": str(exc)}, status=409)


def _redemption_out(redemption: Redemption) -> dict:
    delivery = None
    if redemption.reward_kind == RewardKind.PHYSICAL:
        delivery = {
            "name": redemption.delivery_name,
            "street": redemption.delivery_street,
            "postal_code": redemption.delivery_postal_code,
            "city": redemption.delivery_city,
            "country": redemption.delivery_country,
            "phone": redemption.delivery_phone,
        }
    return {
        "id": redemption.pk,
        "number": redemption.number,
        "status": redemption.status,
        "company": redemption.company.external_id,
        "company_name": redemption.company.name,
        "reward_sku": redemption.reward.sku,
        "reward_title": redemption.reward_title,
        "kind": redemption.reward_kind,
        "quantity": redemption.quantity,
        "points": redemption.points_total,
        "requested_at": redemption.requested_at,
        "fulfilled_at": redemption.fulfilled_at,
        "delivery": delivery,
        "note": redemption.note,
        "tracking_reference": redemption.tracking_reference,
        "fulfilment_note": redemption.fulfilment_note,
    }


class RedemptionQuery(schemas.Schema):
    status: Literal["to_fulfil", "requested", "awaiting_approval", "approved", "fulfilled", "rejected", "cancelled"] = (
        Field("to_fulfil", description="`to_fulfil` (the default): requested or approved, ready to send.")
    )
    cursor: schemas.Text(max_length=200) | None = Field(None, description="`next_cursor` from the previous page.")
    limit: int = Field(100, ge=1, le=REDEMPTION_PAGE_MAX)


@api.get(
    "/redemptions",
    response=_responses({200: schemas.RedemptionPageOut}),
    tags=["redemptions"],
    summary="Redemptions to fulfil, oldest first",
)
@scoped(ApiScope.REDEMPTIONS_READ)
def redemptions_list(request, params: Query[RedemptionQuery]):
    """By default the redemptions ready to fulfil (requested, or approved by the company);
    `status` picks another state. Cursor-paginated on the id, oldest first: fulfilling an
    order while paging never makes the next page skip one. A client limited to its
    companies sees only theirs."""
    statuses = TO_FULFIL if params.status == "to_fulfil" else (params.status,)
    page = redemptions_page(
        statuses=statuses,
        cursor=params.cursor,
        limit=params.limit,
        visible=api_client_company_q(client=request.auth, path="company"),
    )
    return {"items": [_redemption_out(redemption) for redemption in page.redemptions], "next_cursor": page.next_cursor}


def _redemption_or_404(client: ApiClient, redemption_id: int) -> Redemption:
    redemption = (
        Redemption.objects.select_related("company", "reward")
        .filter(api_client_company_q(client=client, path="company"), pk=redemption_id)
        .first()
    )
    if redemption is None:
        raise HttpError(404, f"No redemption with id {redemption_id}.")
    return redemption


@api.get(
    "/redemptions/{redemption_id}",
    response=_responses({200: schemas.RedemptionOut, 404: schemas.MessageOut}),
    tags=["redemptions"],
    summary="One redemption",
)
@scoped(ApiScope.REDEMPTIONS_READ)
def redemption_get(request, redemption_id: RedemptionIdPath):
    return _redemption_out(_redemption_or_404(request.auth, redemption_id))


@api.post(
    "/redemptions/{redemption_id}/fulfil",
    response=_responses(
        {200: schemas.RedemptionOut, 404: schemas.MessageOut}, body=True, write=True, status_409=schemas.MessageOut
    ),
    tags=["redemptions"],
    summary="Mark a redemption fulfilled",
)
@scoped(ApiScope.REDEMPTIONS_WRITE, guard=_guard_redemption_path)
def redemption_fulfil_post(
    request, redemption_id: RedemptionIdPath, response: HttpResponse, payload: schemas.FulfilIn | None = None
):
    """Idempotent: the first call fulfils the redemption (the member is told, a voucher's code
    becomes visible to the company) and returns it; a repeated call returns the redemption
    as it is, unchanged, with header `Idempotent-Replayed: true` (a second tracking
    reference does not overwrite the first). 409: it still awaits the company's approval,
    or it was rejected or cancelled. The body is optional: no body (or `{}`) fulfils it
    without a tracking reference or note."""
    payload = payload or schemas.FulfilIn()
    redemption = _redemption_or_404(request.auth, redemption_id)
    with bounded_lock_wait():
        redemption, changed = redemption_fulfil(
            redemption=redemption,
            actor_label=f"API: {request.auth.name}"[:100],
            tracking_reference=payload.tracking_reference,
            note=payload.note,
        )
    if not changed:
        response["Idempotent-Replayed"] = "true"
    return _redemption_out(_redemption_or_404(request.auth, redemption.pk))


# --- Invoice credits -----------------------------------------------------------------------------


@api.exception_handler(InvoiceCreditError)
def _invoice_credit_error(request, exc: InvoiceCreditError):
    return api.create_response(request, {"detail": str(exc)}, status=409)


def _invoice_credit_out(credit: InvoiceCredit) -> dict:
    return {
        "id": credit.pk,
        "number": credit.number,
        "company": credit.company.external_id,
        "company_name": credit.company.name,
        "source": credit.source,
        "redemption_id": credit.redemption_id,
        "redemption_number": credit.redemption.number if credit.redemption_id else None,
        "points": credit.points,
        "amount": str(credit.amount),
        "currency": credit.currency,
        "status": credit.status,
        "created_at": credit.created_at,
        "applied_at": credit.applied_at,
        "invoice_reference": credit.invoice_reference,
    }


class InvoiceCreditQuery(schemas.Schema):
    status: Literal["open", "applied"] = Field("open", description="`open` (the default): not on an invoice yet.")
    cursor: schemas.Text(max_length=200) | None = Field(None, description="`next_cursor` from the previous page.")
    limit: int = Field(100, ge=1, le=INVOICE_CREDIT_PAGE_MAX)


@api.get(
    "/invoice-credits",
    response=_responses({200: schemas.InvoiceCreditPageOut}),
    tags=["invoice credits"],
    summary="Invoice credits to deduct from the next invoice, oldest first",
)
@scoped(ApiScope.INVOICE_CREDITS_READ)
def invoice_credits_list(request, params: Query[InvoiceCreditQuery]):
    """By default the open credits: points a company turned into money off its next invoice
    (an invoice-credit reward, or its points paid out when it left the club). Cursor-paginated
    on the id, oldest first: applying one while paging never makes the next page skip one.
    A client limited to its companies sees only theirs."""
    page = invoice_credits_page(
        statuses=(params.status,),
        cursor=params.cursor,
        limit=params.limit,
        visible=api_client_company_q(client=request.auth, path="company"),
    )
    return {"items": [_invoice_credit_out(credit) for credit in page.credits], "next_cursor": page.next_cursor}


def _invoice_credit_or_404(client: ApiClient, credit_id: int) -> InvoiceCredit:
    credit = (
        InvoiceCredit.objects.select_related("company", "redemption")
        .filter(api_client_company_q(client=client, path="company"), pk=credit_id)
        .first()
    )
    if credit is None:
        raise HttpError(404, f"No invoice credit with id {credit_id}.")
    return credit


@api.post(
    "/invoice-credits/{credit_id}/apply",
    response=_responses({200: schemas.InvoiceCreditOut, 404: schemas.MessageOut}, body=True, write=True),
    tags=["invoice credits"],
    summary="Mark an invoice credit applied to an invoice",
)
@scoped(ApiScope.INVOICE_CREDITS_WRITE, guard=_guard_invoice_credit_path)
def invoice_credit_apply_post(
    request, credit_id: RedemptionIdPath, payload: schemas.InvoiceCreditApplyIn, response: HttpResponse
):
    """Idempotent: the first call records the invoice and returns the credit as applied; a
    repeated call returns it unchanged, with header `Idempotent-Replayed: true` (a second
    invoice reference does not overwrite the first)."""
    credit = _invoice_credit_or_404(request.auth, credit_id)
    with bounded_lock_wait():
        credit, changed = invoice_credit_apply(
            credit=credit, invoice_reference=payload.invoice_reference, actor_label=f"API: {request.auth.name}"
        )
    if not changed:
        response["Idempotent-Replayed"] = "true"
    return _invoice_credit_out(_invoice_credit_or_404(request.auth, credit.pk))


# --- Webhook endpoints -------------------------------------------------------------------------


@api.exception_handler(WebhookError)
def _webhook_error(request, exc: WebhookError):
    loc = ["body", exc.field] if exc.field else ["body"]
    return api.create_response(request, {"detail": [{"loc": loc, "msg": str(exc), "type": "value_error"}]}, status=422)


def _endpoint_out(endpoint: WebhookEndpoint, *, secret: str | None = None) -> dict:
    out = {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.event_types,
        "is_active": endpoint.is_active,
        "failing_since": endpoint.failing_since,
        "disabled_at": endpoint.disabled_at,
        "disabled_reason": endpoint.disabled_reason,
        "previous_secret_until": endpoint.previous_secret_until,
        "created_at": endpoint.created_at,
    }
    if secret is not None:
        out["secret"] = secret
    return out


def _endpoint_or_404(client: ApiClient, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_related("client").filter(client=client, pk=endpoint_id).first()
    if endpoint is None:
        raise HttpError(404, f"No webhook endpoint with id {endpoint_id}.")
    return endpoint


EndpointIdPath = Annotated[int, Field(ge=1, le=2**63 - 1)]


@api.get(
    "/webhooks/endpoints",
    response=_responses({200: schemas.WebhookEndpointListOut}, inputs=False),
    tags=["webhooks"],
    summary="This client's webhook endpoints",
)
@scoped(ApiScope.WEBHOOKS)
def webhook_endpoints_list(request):
    """Only this client's endpoints (at most 10), oldest first; secrets are never listed."""
    endpoints = WebhookEndpoint.objects.filter(client=request.auth).order_by("pk")
    return {"items": [_endpoint_out(endpoint) for endpoint in endpoints]}


@api.post(
    "/webhooks/endpoints",
    response=_responses({201: schemas.WebhookEndpointSecretOut}, body=True, write=True),
    tags=["webhooks"],
    summary="Register a webhook endpoint",
)
@scoped(ApiScope.WEBHOOKS)
def webhook_endpoint_post(request, payload: schemas.WebhookEndpointIn):
    """The answer holds the signing secret, once. The URL must resolve to public addresses
    (422 otherwise); each event type needs the read scope of its data (`points:read` for
    purchase, points and tier events, `redemptions:read` for redemption events,
    `companies:write` for company events)."""
    with bounded_lock_wait():
        endpoint, secret = webhook_endpoint_create(
            client=request.auth, url=payload.url, event_types=list(payload.events), description=payload.description
        )
    return Status(201, _endpoint_out(endpoint, secret=secret))


@api.get(
    "/webhooks/endpoints/{endpoint_id}",
    response=_responses({200: schemas.WebhookEndpointOut, 404: schemas.MessageOut}),
    tags=["webhooks"],
    summary="One webhook endpoint",
)
@scoped(ApiScope.WEBHOOKS)
def webhook_endpoint_get(request, endpoint_id: EndpointIdPath):
    return _endpoint_out(_endpoint_or_404(request.auth, endpoint_id))


@api.patch(
    "/webhooks/endpoints/{endpoint_id}",
    response=_responses({200: schemas.WebhookEndpointOut, 404: schemas.MessageOut}, body=True, write=True),
    tags=["webhooks"],
    summary="Change a webhook endpoint",
)
@scoped(ApiScope.WEBHOOKS)
def webhook_endpoint_patch(request, endpoint_id: EndpointIdPath, payload: schemas.WebhookEndpointPatch):
    """Fields left out stay as they are. `is_active: true` re-enables an endpoint that was
    disabled (by you, or by the portal after days of failures): what waited goes out, in order."""
    endpoint = _endpoint_or_404(request.auth, endpoint_id)
    with bounded_lock_wait():
        endpoint = webhook_endpoint_update(
            endpoint=endpoint,
            url=payload.url,
            event_types=list(payload.events) if payload.events is not None else None,
            description=payload.description,
            is_active=payload.is_active,
        )
    return _endpoint_out(endpoint)


@api.delete(
    "/webhooks/endpoints/{endpoint_id}",
    response=_responses({204: None, 404: schemas.MessageOut}, write=True),
    tags=["webhooks"],
    summary="Delete a webhook endpoint",
)
@scoped(ApiScope.WEBHOOKS)
def webhook_endpoint_remove(request, endpoint_id: EndpointIdPath):
    """Nothing more is sent to it; its delivery log goes with it."""
    webhook_endpoint_delete(endpoint=_endpoint_or_404(request.auth, endpoint_id))
    return Status(204, None)


@api.post(
    "/webhooks/endpoints/{endpoint_id}/rotate-secret",
    response=_responses({200: schemas.WebhookEndpointSecretOut, 404: schemas.MessageOut}, write=True),
    tags=["webhooks"],
    summary="Rotate an endpoint's signing secret",
)
@scoped(ApiScope.WEBHOOKS)
def webhook_endpoint_rotate(request, endpoint_id: EndpointIdPath):
    """Returns the new secret, once. For the overlap (24 hours by default, until
    `previous_secret_until`) every delivery carries two signatures, the new secret's and the
    old one's, so the receiver can switch without losing an event."""
    endpoint = _endpoint_or_404(request.auth, endpoint_id)
    with bounded_lock_wait():
        endpoint, secret = webhook_endpoint_rotate_secret(endpoint=endpoint)
    return _endpoint_out(endpoint, secret=secret)


class DeliveryQuery(schemas.Schema):
    status: Literal["pending", "succeeded", "failed"] | None = None
    cursor: schemas.Text(max_length=20) | None = Field(None, description="`next_cursor` from the previous page.")
    limit: int = Field(100, ge=1, le=500)


@api.get(
    "/webhooks/endpoints/{endpoint_id}/deliveries",
    response=_responses({200: schemas.WebhookDeliveryPageOut, 404: schemas.MessageOut}),
    tags=["webhooks"],
    summary="An endpoint's delivery log, newest first",
)
@scoped(ApiScope.WEBHOOKS)
def webhook_deliveries_list(request, endpoint_id: EndpointIdPath, params: Query[DeliveryQuery]):
    """Each delivery's status, attempts and last response code. Cursor-paginated on the id."""
    endpoint = _endpoint_or_404(request.auth, endpoint_id)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event", "company").order_by("-pk")
    if params.status:
        deliveries = deliveries.filter(status=params.status)
    if params.cursor:
        if not (params.cursor.isascii() and params.cursor.isdigit()) or not 0 < int(params.cursor) < 2**63:
            raise InvalidCursor("This cursor was not given out by the API.")
        deliveries = deliveries.filter(pk__lt=int(params.cursor))
    page = list(deliveries[: params.limit + 1])
    more = len(page) > params.limit
    page = page[: params.limit]
    return {
        "items": [
            {
                "id": delivery.pk,
                "endpoint_id": endpoint.pk,
                "event_id": delivery.event.event_id,
                "type": delivery.event.type,
                "company": delivery.company.external_id,
                "status": delivery.status,
                "attempts": delivery.attempts,
                "last_status_code": delivery.last_status_code,
                "last_attempt_at": delivery.last_attempt_at,
                "next_attempt_at": delivery.next_attempt_at,
                "delivered_at": delivery.delivered_at,
                "created_at": delivery.created_at,
            }
            for delivery in page
        ],
        "next_cursor": str(page[-1].pk) if more else None,
    }


# --- Bulk ingest: import jobs ------------------------------------------------------------------


def _job_out(request, job: ApiImportJob) -> dict:
    purchase_import = job.purchase_import
    return {
        "id": job.pk,
        "key": job.key,
        "format": job.file_format,
        "status": purchase_import.status,
        "total_rows": purchase_import.total_rows,
        "rows_done": purchase_import.rows_done,
        "rows_created": purchase_import.rows_created,
        "rows_duplicate": purchase_import.rows_duplicate,
        "rows_failed": purchase_import.rows_failed,
        "error": purchase_import.error_message,
        "error_report_url": (
            request.build_absolute_uri(reverse("api-v1:import_job_errors", args=[job.pk]))
            if purchase_import.error_file
            else None
        ),
        "created_at": job.created_at,
        "started_at": purchase_import.started_at,
        "finished_at": purchase_import.finished_at,
    }


def _job_or_404(client: ApiClient, job_id: int) -> ApiImportJob:
    job = ApiImportJob.objects.select_related("purchase_import").filter(client=client, pk=job_id).first()
    if job is None:
        raise HttpError(404, f"No import job with id {job_id}.")
    return job


_IDEMPOTENCY_HEADER = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"^[\x21-\x7e]+$"},
            "description": "Your id for this job: posting the same key and file again returns the first job.",
        }
    ]
}


@api.post(
    "/imports",
    response=_responses(
        {200: schemas.ImportJobOut, 202: schemas.ImportJobOut},
        upload=True,
        write=True,
        status_409=schemas.MessageOut,
        status_422=schemas.ImportRefusedOut | schemas.ValidationErrorOut,
    ),
    tags=["purchases"],
    summary="Post a file of purchases as an import job",
    openapi_extra=_IDEMPOTENCY_HEADER,
)
@scoped(ApiScope.PURCHASES_WRITE)
def import_job_post(
    request,
    response: HttpResponse,
    file: File[UploadedFile],
    format: Form[Literal["csv", "ndjson"]] = "csv",
):
    """Multipart form: `file` (CSV as the admin's purchase import takes it, or NDJSON of
    purchases) and `format` (`csv`, the default, or `ndjson`), with the header
    `Idempotency-Key`. Answers 202 with the job at once; follow it with
    `GET /imports/{id}`. The same key and file again: 200 with the first job (header
    `Idempotent-Replayed: true`); the same key with another file: 409. A row under another
    source, or for a company this client may not use, refuses the whole file (422 with the
    first lines)."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 100 or not all(0x21 <= ord(char) <= 0x7E for char in key):
        return Status(
            422,
            {
                "detail": [
                    {
                        "loc": ["header", "Idempotency-Key"],
                        "msg": "Send an Idempotency-Key header of 1 to 100 printable ASCII characters.",
                        "type": "value_error",
                    }
                ]
            },
        )
    try:
        with bounded_lock_wait():
            job, created = api_import_create(client=request.auth, key=key, upload=file, file_format=format)
    except IngestRefused as exc:
        if exc.status == 422:
            return Status(
                422, {"detail": exc.message, "problems": [{"line": line, "msg": msg} for line, msg in exc.problems]}
            )
        return Status(exc.status, {"detail": exc.message})
    if not created:
        response["Idempotent-Replayed"] = "true"
    response["Location"] = reverse("api-v1:import_job_get", args=[job.pk])
    return Status(202 if created else 200, _job_out(request, job))


@api.get(
    "/imports/{job_id}",
    response=_responses({200: schemas.ImportJobOut, 404: schemas.MessageOut}),
    tags=["purchases"],
    summary="An import job's progress",
    url_name="import_job_get",
)
@scoped(ApiScope.PURCHASES_WRITE)
def import_job_get(request, job_id: EndpointIdPath):
    """Status, rows done of the total, counts (imported, already imported, failed) and, when
    some rows failed, the link to the error report. Only this client's jobs."""
    return _job_out(request, _job_or_404(request.auth, job_id))


@api.get(
    "/imports/{job_id}/errors",
    response=_responses({200: None, 404: schemas.MessageOut}),
    tags=["purchases"],
    summary="An import job's error report (CSV)",
    url_name="import_job_errors",
    openapi_extra={"responses": {200: {"description": "CSV", "content": {"text/csv": {}}}}},
)
@scoped(ApiScope.PURCHASES_WRITE)
def import_job_errors(request, job_id: EndpointIdPath):
    """The failed lines: line number, reason and the row's columns."""
    job = _job_or_404(request.auth, job_id)
    error_file = job.purchase_import.error_file
    if not error_file:
        raise HttpError(404, "This job has no failed lines.")
    response = FileResponse(error_file.open("rb"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
