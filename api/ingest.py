"""Bulk ingest: a client posts a file of purchases, which becomes a ``PurchaseImport`` run by
the same code as the admin's CSV import (``rewards.purchases.imports``: set-based on
PostgreSQL, resumable, per-line error report).

Two formats: the admin's CSV (``text/csv``, same header and columns) and NDJSON (one JSON
object per line, the fields of ``POST /purchases`` without lines: ``company``,
``external_id``, ``occurred_at``, ``net_amount``, ``currency``, optional ``category`` and
``original_external_id``), written to CSV line for line, so NDJSON line *n* is line *n + 1*
of the import (and of its error report).

Before anything is stored the file is read once for what the client may not do: a row
under another source than the client's, or (a client limited to its companies) a company
it may not use, refuses the whole file (422, naming the first lines), so nothing of it is
imported. Everything else about a row (an unknown company, a bad amount) is that row's
error in the report, as in the admin.

Idempotent by the client's key (``Idempotency-Key``): the same key with the same file
returns the first job; the same key with another file is a conflict.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from decimal import Decimal

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from members.models import Company
from rewards.purchases.imports import (
    COLUMNS,
    MAX_LINE_BYTES,
    ImportFileError,
    import_file_summary,
    physical_lines,
    purchase_import_create,
)

from .json_input import RepeatedKey, json_loads_strict
from .models import ApiClient, ApiImportJob
from .services import api_client_company_q

FORMATS = ("csv", "ndjson")
_CENT = Decimal("0.01")
_TOO_LONG_ROW = "x" * (MAX_LINE_BYTES + 1) + "\n"
MAX_PROBLEMS = 20
_CONTROL = {chr(code) for code in [*range(0x20), *range(0x7F, 0xA0)]}
_NDJSON_FIELDS = {
    "company": "company_external_id",
    "external_id": "external_id",
    "occurred_at": "occurred_at",
    "net_amount": "net_amount",
    "currency": "currency",
    "category": "category_code",
    "original_external_id": "original_external_id",
    "source": "source",
}


class IngestRefused(Exception):
    """The file or the request cannot be taken; ``status`` is the HTTP answer, ``problems``
    (line, message) name what is wrong."""

    def __init__(self, message: str, *, status: int = 422, problems: list[tuple[int, str]] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.problems = problems or []


def _spooled() -> tempfile.SpooledTemporaryFile:
    return tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, mode="w+b")


def _spool(upload, spool) -> str:
    """Copy the upload to ``spool``; returns its SHA-256. Refuses a file over the cap."""
    cap = settings.API_IMPORT_MAX_MB * 1024 * 1024
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        size += len(chunk)
        if size > cap:
            raise IngestRefused(
                _("The file is larger than %(mb)s MB; split it into several jobs.")
                % {"mb": settings.API_IMPORT_MAX_MB},
                status=413,
            )
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    return digest.hexdigest()


def _number_text(value: Decimal) -> str:
    """A JSON number as a plain decimal, as ``POST /purchases`` reads it: ``1.5e2`` is
    ``150``, ``1.500`` is ``1.50``; more decimals stay (and the import refuses them). A
    number far out of range stays as written (and is refused), never expanded."""
    if not value.is_finite() or abs(value.adjusted()) > 20:
        return str(value)
    if value.as_tuple().exponent < -2 and value == value.quantize(_CENT):
        value = value.quantize(_CENT)
    return format(value, "f")


def _ndjson_to_csv(source: io.IOBase, client: ApiClient, out) -> None:
    """Write NDJSON as the import's CSV to ``out``, line for line; refuses lines that are not
    a JSON object of text and number fields."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    problems: list[tuple[int, str]] = []
    for number, line in physical_lines(source):
        if line is None:
            # Longer than the import takes: written as a line the import refuses for its
            # length, so it fails alone in the error report, as a CSV line would.
            text.write(_TOO_LONG_ROW)
            continue
        if not line.strip():
            text.write("\n")
            continue
        try:
            item = json_loads_strict(line.decode("utf-8"), parse_float=Decimal)
        except RepeatedKey as exc:
            problems.append((number, _("The field %(field)s appears more than once on the line.") % {"field": exc.key}))
            continue
        except (UnicodeDecodeError, ValueError):
            problems.append((number, _("The line is not valid JSON in UTF-8.")))
            continue
        except RecursionError:
            problems.append((number, _("The line is nested too deeply to be a purchase.")))
            continue
        if not isinstance(item, dict):
            problems.append((number, _("Each line must be a JSON object.")))
            continue
        unknown = sorted(set(item) - set(_NDJSON_FIELDS))
        if unknown:
            problems.append((number, _("Unknown field(s): %(fields)s.") % {"fields": ", ".join(unknown)}))
            continue
        row = dict.fromkeys(COLUMNS, "")
        row["source"] = client.source
        bad = ""
        for field, value in item.items():
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
                bad = _("%(field)s must be a string or a number.") % {"field": field}
                break
            value = _number_text(value) if isinstance(value, Decimal) else str(value)
            if _CONTROL.intersection(value):
                bad = _("%(field)s contains control characters.") % {"field": field}
                break
            row[_NDJSON_FIELDS[field]] = value
        if bad:
            problems.append((number, bad))
            continue
        writer.writerow([row[column] for column in COLUMNS])
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise IngestRefused(_("Some lines cannot be read; nothing was imported."), problems=problems[:MAX_PROBLEMS])
    text.flush()
    text.detach()
    out.seek(0)


def _check_rows(binary, client: ApiClient) -> None:
    """Refuse a file naming another source, or a company the client may not use."""
    try:
        summary = import_file_summary(binary)
    except ImportFileError as exc:
        raise IngestRefused(str(exc)) from exc
    problems = [
        (line, _("Source %(source)s is not this client's source %(own)s.") % {"source": source, "own": client.source})
        for source, line in summary.sources.items()
        if source != client.source
    ]
    if not client.all_companies and summary.companies:
        known = set(
            Company.objects.filter(external_id__in=list(summary.companies)).values_list("external_id", flat=True)
        )
        allowed = set(
            Company.objects.filter(api_client_company_q(client=client), external_id__in=list(known)).values_list(
                "external_id", flat=True
            )
        )
        problems += [
            (line, _("This API client may not use company %(ref)s.") % {"ref": ref})
            for ref, line in summary.companies.items()
            if ref in known and ref not in allowed
        ]
    if problems:
        problems.sort()
        raise IngestRefused(
            _("The file has rows this client may not send; nothing was imported."), problems=problems[:MAX_PROBLEMS]
        )


def api_import_create(*, client: ApiClient, key: str, upload, file_format: str) -> tuple[ApiImportJob, bool]:
    """Queue ``upload`` as a purchase import for ``client`` under its idempotency ``key``;
    returns ``(job, created)``. The same key with the same file returns the first job
    (``created=False``); with another file it raises ``IngestRefused`` (409)."""
    if file_format not in FORMATS:
        raise IngestRefused(_("Unknown format %(format)s; use csv or ndjson.") % {"format": file_format})
    with _spooled() as spool, _spooled() as converted:
        sha256 = _spool(upload, spool)
        existing = _existing(client, key, sha256)
        if existing is not None:
            return existing, False
        csv_file = spool
        if file_format == "ndjson":
            _ndjson_to_csv(spool, client, converted)
            csv_file = converted
        _check_rows(csv_file, client)
        csv_file.seek(0)
        name = f"api-{client.pk}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.csv"
        try:
            with transaction.atomic():
                purchase_import = purchase_import_create(file=File(csv_file, name=name), original_name=name)
                job = ApiImportJob.objects.create(
                    client=client, key=key, purchase_import=purchase_import, file_sha256=sha256, file_format=file_format
                )
        except IntegrityError:
            # A concurrent post with the same key won: answer as a retry of it.
            existing = _existing(client, key, sha256)
            if existing is None:
                raise
            return existing, False
    return job, True


def _existing(client: ApiClient, key: str, sha256: str) -> ApiImportJob | None:
    job = ApiImportJob.objects.select_related("purchase_import").filter(client=client, key=key).first()
    if job is not None and job.file_sha256 != sha256:
        raise IngestRefused(_("The idempotency key %(key)s was used for another file.") % {"key": key}, status=409)
    return job
