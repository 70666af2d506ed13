"""CSV import of purchases: stream a file, land the valid rows, report every bad one.

File format
-----------
UTF-8 (a byte-order mark is allowed at the start), separated by commas, semicolons or tabs
(the header row decides: the delimiter that splits it into the known columns; in a file
separated by semicolons, as a Swedish or Dutch spreadsheet writes it, ``net_amount`` may
use a decimal comma), RFC 4180 quoting within a line, LF or CRLF line endings, one row per purchase on one line (a quoted field may not span
lines), a header row naming the columns (in any order; unknown columns are ignored; every
row has as many fields as the header):

===================== ======== =====================================================
column                required meaning
===================== ======== =====================================================
company_external_id   yes      ``Company.external_id`` of the member company (or
                               ``company``, as the API names it)
source                yes      the sending system (e.g. ``erp``), up to 40 characters
external_id           yes      the purchase's id in that system, up to 100 characters;
                               ``(source, external_id)`` identifies the purchase
occurred_at           yes      ISO 8601 with a UTC offset (``2026-06-15T10:30:00+02:00``,
                               ``…Z``) or a date (``2026-06-15``: midnight, ``TIME_ZONE``)
net_amount            yes      decimal with ``.`` and the digits 0–9 (ASCII), at most
                               2 decimals (``1234.50``), or
                               with a decimal comma (``1234,50``) in a file separated
                               by semicolons or tabs; no thousands separators;
                               ≥ 0 for a purchase, ≤ 0 for a credit note
currency              yes      the company's currency (``Company.currency``), one the
                               programme has an earn rate for (``ProgrammeRules``, and
                               ``ProgrammeCurrency`` beyond the base currency)
category_code         no       ``ProductCategory.code``: the purchase is recorded with
                               one line of that category (SKU = the code), so the
                               category's multiplier applies
original_external_id  no       makes the row a credit note (return) against the
                               purchase with this external id and the same source
===================== ======== =====================================================

What an import guarantees
-------------------------
* Every data line ends up in exactly one counter: created, duplicate (already recorded
  with the same content: a re-import adds nothing) or failed (listed in the error file with
  its line number, the reason and the row). A line that cannot be read — a NUL byte, bytes
  that are not UTF-8, a quote not closed on its line, a stray CR or byte-order mark, a line
  over ``MAX_LINE_BYTES``, the wrong number of fields — fails alone; the next line is read as
  usual, and the error file still lists the line's columns as far as they can be read (NUL
  bytes, bytes that are not UTF-8 and a stray CR as U+FFFD; none for a line too long).
  Empty lines are not data lines. The error file neutralises formula cells
  (``core.spreadsheets``). A row whose ``(source, external_id)`` is
  already recorded with different content, or appears earlier in the same chunk with
  different content, fails as a conflict.
* A row produces exactly what ``rewards.purchases.services.purchase_record`` — the single-purchase
  path of the API — produces for it: the ``Purchase`` (and its category line), one earn
  entry (``earn:<purchase id>``, pending until ``occurred_at + return window``, expiring
  ``occurred_at + expiry months``, points rounded once, half up, with the category and
  the account's tier multipliers), an immediate release when the return window has
  already passed, the account's buckets moved, and a tier upgrade when the company now
  qualifies; a credit note row goes through ``purchase_return``. Within a chunk the
  purchases are recorded first, in file order, then the credit notes, in file order (so a
  credit note may come before its purchase in the same chunk). ``occurred_at`` is stored
  in UTC, so month arithmetic (expiry) is done in UTC on both paths.
* The file is read as a stream, a chunk of rows at a time; each chunk is one
  transaction that also moves ``rows_done``, so it is a checkpoint. Rows that go one by
  one through ``purchase_record`` are stored by the chunk as ``PurchaseImportPendingRow``
  and recorded after it in short transactions, each moving the counters: a crashed import
  resumes with the pending rows, then after ``rows_done``, losing and doubling nothing.
* No transaction holds points-account locks for long (``ACCOUNT_LOCK_BOUND_SECONDS``, see
  the constants and docs/architecture.md), so API posts for the file's companies are not
  held up by an import.

Two ways to the same result
---------------------------
On PostgreSQL a chunk is written set-based: the rows are COPYed into a temporary
staging table, checked there, and landed with ``INSERT … SELECT … ON CONFLICT DO
NOTHING`` into purchases, one ``INSERT … SELECT`` of earn (and release) entries and one
aggregated ``UPDATE`` per account, with every account of the chunk locked first in
primary-key order (as the services lock them, one at a time, so no deadlock with them).
Rows whose outcome depends on an earlier row of the same account — an account owing a
shortfall (a release pays it off first) or one the chunk may lift into a higher tier
(later purchases earn with the new multiplier) — credit notes and conflicts go through
``purchase_record`` row by row, as pending rows, after the chunk commits. Running campaigns' multipliers
are added set-based too, by the earn pipeline's contributors (``rewards.earn``); rows
whose campaign points depend on file order — an account a first-purchase or large-purchase
bonus may reward, every account of a campaign whose budget the chunk may use up — are
routed like the others. On SQLite (or with ``set_based=False``) every row goes
through ``purchase_record``, as pending rows. ``tests/rewards/test_imports.py`` checks that both give the
same purchases, entries and accounts.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import logging
import re
import tempfile
import time as time_module
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.files import File
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from psycopg import sql

from core.currencies import COUNTRY_CURRENCY, currency_for_country
from core.spreadsheets import (
    CSV_DELIMITERS,
    CsvLineError,
    csv_delimiter_name,
    csv_delimiter_sniff,
    csv_line_values,
    csv_writer,
)
from members.models import Company, CompanyStatus
from outbox.events import DomainEvent, EventType, events_emit, events_wanted
from outbox.services import outbox_enqueue
from rewards.bounds import POINTS_MAX, money_problem, occurred_at_problem
from rewards.earn import earn_contributors
from rewards.ledger.months import ACCOUNT_MONTHS_IMPORT_SQL, QUALIFYING_MANY_SQL, qualifying_many_params
from rewards.ledger.notices import company_earnings
from rewards.ledger.services import currency_refusal, tiers_raise_locked
from rewards.ledger.tasks import purchases_points_notices_enqueue
from rewards.models import (
    EntryKind,
    LedgerEntry,
    PointsAccount,
    ProductCategory,
    ProgrammeRules,
    Purchase,
    PurchaseImport,
    PurchaseImportEarning,
    PurchaseImportError,
    PurchaseImportPendingRow,
    PurchaseImportStatus,
    PurchaseLine,
    Tier,
)
from rewards.purchases.services import (
    IngestError,
    PurchaseLineInput,
    closed_company_refusal,
    currency_mismatch,
    purchase_earned_data,
    purchase_record_with_entry,
)
from rewards.rules import exact_points_sql, whole_points_sql
from rewards.texts import PURCHASE

logger = logging.getLogger(__name__)


class _Tables:
    """The tables the set-based SQL writes and reads, named from the models (``_meta.db_table``)
    and quoted by ``psycopg.sql.Identifier``: named fragments, never literal table names."""

    def __init__(self, **models: type[models.Model]) -> None:
        for name, model in models.items():
            setattr(self, name, sql.Identifier(model._meta.db_table).as_string(None))


_T = _Tables(
    COMPANY=Company,
    LEDGER_ENTRY=LedgerEntry,
    POINTS_ACCOUNT=PointsAccount,
    PRODUCT_CATEGORY=ProductCategory,
    PURCHASE=Purchase,
    PURCHASE_IMPORT_EARNING=PurchaseImportEarning,
    PURCHASE_LINE=PurchaseLine,
    TIER=Tier,
)
# The entry kinds the SQL writes, from the model's enum, as quoted SQL literals.
_KIND_EARN = sql.Literal(EntryKind.EARN.value).as_string(None)
_KIND_RELEASE = sql.Literal(EntryKind.RELEASE.value).as_string(None)
_KIND_REVERSAL = sql.Literal(EntryKind.REVERSAL.value).as_string(None)

REQUIRED_COLUMNS = ("company_external_id", "source", "external_id", "occurred_at", "net_amount", "currency")
OPTIONAL_COLUMNS = ("category_code", "original_external_id")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
ERROR_FILE_HEADER = ("line", "reason", *COLUMNS)

# How long an import transaction may hold points-account locks: what a single-purchase API
# post may wait for one (docs/architecture.md, "CSV import"). A set-based chunk is sized so
# its locks are held about SET_BASED_LOCK_TARGET_SECONDS (from the first account lock to the
# commit): it starts at SET_BASED_CHUNK_SIZE rows and each next chunk is scaled to the last
# one's measured hold. Rows recorded one by one through the services never run in a
# chunk's transaction: they wait as PurchaseImportPendingRow and are recorded in
# transactions that stop taking rows after DRAIN_TRANSACTION_SECONDS.
ACCOUNT_LOCK_BOUND_SECONDS = 2.0
SET_BASED_LOCK_TARGET_SECONDS = 1.0
SET_BASED_CHUNK_SIZE = 2_500
SET_BASED_CHUNK_LIMITS = (500, 50_000)
DRAIN_TRANSACTION_SECONDS = 0.5
_DRAIN_BATCH_ROWS = 500
# Rows read per chunk on the row-by-row path: its chunk transaction only checks the rows
# and stores them as pending rows (no account lock), so it can be large.
ROW_BY_ROW_CHUNK_SIZE = 1_000

# ASCII digits only: ``\d`` (and ``Decimal``) also read Arabic-Indic, full-width and other
# digits, and "١٠٠" was imported as 100.
_AMOUNT_RE = re.compile(r"-?[0-9]{1,11}(?:\.[0-9]{1,2})?")
_MAX_LENGTHS = {"company_external_id": 64, "source": 40, "external_id": 100, "category_code": 40}
# pg_try_advisory_lock(class, id): one running import per PurchaseImport row.
_ADVISORY_LOCK_CLASS = 7301
_RETRIES_AFTER_DEADLOCK = 3


class ImportFileError(Exception):
    """The file as a whole cannot be imported (no header, a required column missing)."""


@dataclass(slots=True)
class ImportRow:
    """A row that passed the format checks; ``fields`` is the row in ``COLUMNS`` order."""

    line: int
    fields: tuple[str, ...]
    occurred_at: datetime
    net_amount: Decimal
    currency: str
    category: ProductCategory | None

    @property
    def company_external_id(self) -> str:
        return self.fields[0]

    @property
    def source(self) -> str:
        return self.fields[1]

    @property
    def external_id(self) -> str:
        return self.fields[2]

    @property
    def original_external_id(self) -> str:
        return self.fields[7]

    @property
    def is_credit_note(self) -> bool:
        return bool(self.fields[7])

    def content(self) -> tuple:
        return (
            self.company_external_id,
            self.occurred_at,
            self.net_amount,
            self.currency,
            self.category.pk if self.category else None,
            self.original_external_id,
        )


LANDED_CREATED = "created"
LANDED_DUPLICATE = "duplicate"


@dataclass(slots=True)
class ChunkResult:
    rows: int = 0
    created: int = 0
    duplicate: int = 0
    errors: list[PurchaseImportError] | None = None
    # company id -> [purchases that earned, points]: the import's "points arrived" notices.
    earned: dict[int, list[int]] | None = None
    # Rows to record one by one after the chunk commits (PurchaseImportPendingRow).
    pending: list[PurchaseImportPendingRow] | None = None
    # perf_counter() when the transaction took its first account lock (None: it took none).
    locked_at: float | None = None
    # Rows the set-based statements landed or checked under those locks (not the routed ones).
    staged: int = 0
    # When not None (an API batch), each landed line's outcome: line -> (LANDED_CREATED,
    # purchase id, points, available_at) or (LANDED_DUPLICATE, purchase id).
    outcomes: dict[int, tuple] | None = None

    def defer(self, import_id: int, row: ImportRow) -> None:
        if self.pending is None:
            self.pending = []
        self.pending.append(
            PurchaseImportPendingRow(
                purchase_import_id=import_id, line=row.line, credit_note=row.is_credit_note, row=_csv_line(row.fields)
            )
        )

    def earn(self, company_id: int, purchases: int, points: int) -> None:
        if self.earned is None:
            self.earned = {}
        tally = self.earned.setdefault(company_id, [0, 0])
        tally[0] += purchases
        tally[1] += points

    def fail(self, import_id: int, line: int, reason: str, fields: tuple[str, ...] | list[str]) -> None:
        if self.errors is None:
            self.errors = []
        self.errors.append(
            PurchaseImportError(purchase_import_id=import_id, line=line, reason=reason[:500], row=_csv_line(fields))
        )


def _csv_line(fields) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()


# --- Reading the file ---------------------------------------------------------------------------


def count_data_lines(binary: io.RawIOBase | io.BufferedIOBase) -> int:
    """Lines after the header, counted in 1 MiB blocks (empty lines count too: an estimate)."""
    lines = 0
    last = b"\n"
    while block := binary.read(1 << 20):
        lines += block.count(b"\n")
        last = block[-1:]
    if last != b"\n":
        lines += 1
    return max(0, lines - 1)


def _raw_binary(field_file) -> io.IOBase:
    """The storage's underlying binary file object (FileSystemStorage: a real file)."""
    handle = field_file.storage.open(field_file.name, "rb")
    binary = getattr(handle, "file", handle)
    if isinstance(binary, io.BytesIO):
        # InMemoryStorage (tests): closing its buffer would destroy the stored file.
        return io.BytesIO(binary.getvalue())
    return binary


@dataclass(slots=True)
class _Record:
    """One physical line of the file: its values as written, or ``error`` — why it cannot
    be read, with the values as far as they can be read for the error report
    (``_unreadable_values``); and the file's ``delimiter``: in a file separated by semicolons
    or tabs, as a spreadsheet that writes decimal commas saves it, ``net_amount`` may have one."""

    line: int
    values: list[str]
    error: str = ""
    delimiter: str = ","


# The longest line a valid row can take is about 500 bytes (the columns' maximum lengths);
# a longer line fails alone, and is never read into memory whole.
MAX_LINE_BYTES = 4096


def physical_lines(binary) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, bytes without the line ending)`` per physical line (LF or CRLF);
    ``None`` for a line longer than ``MAX_LINE_BYTES``, which is skipped to its end, never read
    whole. The CSV import and the API's NDJSON files (``api.ingest``) read lines with it."""
    number = 0
    while True:
        raw = binary.readline(MAX_LINE_BYTES + 2)
        if not raw:
            return
        number += 1
        if not raw.endswith(b"\n") and len(raw) >= MAX_LINE_BYTES + 2:
            # Too long: read on to the end of the line in bounded pieces.
            while (rest := binary.readline(1 << 16)) and not rest.endswith(b"\n"):
                pass
            yield number, None
            continue
        if raw.endswith(b"\n"):
            raw = raw[:-1]
            if raw.endswith(b"\r"):
                raw = raw[:-1]
        if len(raw) > MAX_LINE_BYTES:
            yield number, None
            continue
        yield number, raw


def _line_text(raw: bytes | None, *, first: bool = False) -> tuple[str, str]:
    """The text of one physical line, and the reason it cannot be read ("" when it can)."""
    if raw is None:
        return "", _("The line is longer than %(limit)s bytes.") % {"limit": MAX_LINE_BYTES}
    if first and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # the byte-order mark of a UTF-8 file
    if b"\x00" in raw:
        return "", _("The row contains a NUL byte.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "", _("The row is not valid UTF-8.")
    if "\ufeff" in text:
        return "", _("The row contains a byte-order mark (U+FEFF): was another file pasted into this one?")
    if "\r" in text:
        return "", _("The row contains a carriage return that does not end the line.")
    return text, ""


def _decode_line(raw: bytes | None, *, first: bool = False, delimiter: str = ",") -> list[str] | str:
    """The values of one physical line as one CSV record, or the reason it cannot be read."""
    text, problem = _line_text(raw, first=first)
    if problem:
        return problem
    try:
        # One record per physical line: a quote left open at the end of the line fails this
        # row only, instead of swallowing the lines after it into one field.
        return csv_line_values(text, delimiter=delimiter)
    except CsvLineError as exc:
        return str(exc)


def _unreadable_values(raw: bytes | None, *, delimiter: str) -> list[str]:
    """The cells of a line that cannot be read (``_line_text``, ``csv_line_values``), as far
    as they can be, for the error report only — never imported — so its reader can tell
    which purchase failed: a NUL byte, bytes that are not UTF-8 and a stray carriage return
    become U+FFFD (PostgreSQL stores no NUL in text; a CR would split the stored row), and a
    quote left open is read to the end of the line. No cells for a line too long: it was
    never read into memory."""
    if raw is None:
        return []
    text = raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd").replace("\r", "\ufffd")
    try:
        return next(csv.reader([text], delimiter=delimiter, strict=False), [])
    except csv.Error:
        return text.split(delimiter)


def _records(binary, *, skip: int) -> tuple[tuple[int, ...], Iterator[_Record]]:
    """The position of each of ``COLUMNS`` in the file (-1: absent) and an iterator over
    the data records after the first ``skip``.

    The file is read one physical line at a time and each line is one record: whatever is
    wrong with a line (a NUL byte, bytes that are not UTF-8, a quote not closed on the line,
    a stray carriage return or byte-order mark, a line too long) fails that record, never
    the file or the records after it. Lines that are empty (or only white space) are not
    records, so they are neither counted nor reported.
    """
    lines = physical_lines(binary)
    first_line = None
    for _number, raw in lines:
        first_line = raw
        break
    else:
        raise ImportFileError(_("The file is empty."))
    names, delimiter = _header(first_line)
    layout = tuple(names.index(name) if name in names else -1 for name in COLUMNS)
    width = len(names)

    def iterate() -> Iterator[_Record]:
        seen = 0
        for number, raw in lines:
            if raw is not None and not raw.strip():
                continue
            seen += 1
            if seen <= skip:
                continue
            values = _decode_line(raw, delimiter=delimiter)
            if isinstance(values, str):
                yield _Record(number, _unreadable_values(raw, delimiter=delimiter), values, delimiter=delimiter)
            elif len(values) != width:
                reason = ngettext(
                    "The row has %(found)s field; the header has %(expected)s.",
                    "The row has %(found)s fields; the header has %(expected)s.",
                    len(values),
                ) % {"found": len(values), "expected": width}
                yield _Record(number, values, reason)
            else:
                yield _Record(number, values, delimiter=delimiter)

    return layout, iterate()


def _looks_utf16_or_utf32(first_line: bytes) -> bool:
    """Whether the file's first line is UTF-16 or UTF-32 text ("Unicode text" in Excel's Save
    As): it starts with such a byte-order mark, or, without one, every other byte of its
    (ASCII) header is a NUL."""
    if first_line.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        return True
    sample = first_line[:64].rstrip(b"\r\n")
    return len(sample) >= 4 and (sample[1::2].strip(b"\x00") == b"" or sample[0::2].strip(b"\x00") == b"")


def _header(raw: bytes | None) -> tuple[list[str], str]:
    """The header row's column names and the file's delimiter (``core.spreadsheets.
    csv_delimiter_sniff``: the one that splits the header into the most known columns). A
    header that names not every required column is refused, saying which delimiter was found."""
    if raw is not None and _looks_utf16_or_utf32(raw):
        raise ImportFileError(
            _(
                "The file is saved as UTF-16 or UTF-32 (“Unicode text”), not UTF-8. "
                "Save it as “CSV UTF-8” and upload it again."
            )
        )
    text, problem = _line_text(raw, first=True)
    if problem:
        raise ImportFileError(_("The header row cannot be read: %(error)s") % {"error": problem})
    # The API calls the company ``company``; a file may too (``company_external_id`` still works).
    delimiter = csv_delimiter_sniff(text, known_names=(*COLUMNS, "company"))
    header = _decode_line(raw, first=True, delimiter=delimiter)
    if isinstance(header, str):
        raise ImportFileError(_("The header row cannot be read: %(error)s") % {"error": header})
    names = [name.strip().lower() for name in header]
    if "company" in names and "company_external_id" not in names:
        names[names.index("company")] = "company_external_id"
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        found = delimiter if any(candidate in text for candidate in CSV_DELIMITERS) else None
        raise ImportFileError(
            _(
                "The header row lacks the column(s) %(missing)s; it must name %(required)s, separated by "
                "commas or semicolons. The header is separated by %(found)s."
            )
            % {
                "missing": ", ".join(missing),
                "required": ", ".join(REQUIRED_COLUMNS),
                "found": csv_delimiter_name(found),
            }
        )
    return names, delimiter


@dataclass
class FileSummary:
    """What an API client's file names, read before it is queued: the sources and the
    company external ids of its readable rows, each with the first line naming it."""

    sources: dict[str, int]
    companies: dict[str, int]
    rows: int


def import_file_summary(binary) -> FileSummary:
    """Read a purchase file's readable rows (the unreadable ones are the import's per-line
    errors) for their sources and companies; raises ``ImportFileError`` for a file the
    import would refuse as a whole (empty, no usable header)."""
    layout, records = _records(binary, skip=0)
    sources: dict[str, int] = {}
    companies: dict[str, int] = {}
    rows = 0
    for record in records:
        rows += 1
        if record.error:
            continue
        company = record.values[layout[0]].strip()
        source = record.values[layout[1]].strip()
        sources.setdefault(source, record.line)
        companies.setdefault(company, record.line)
    return FileSummary(sources=sources, companies=companies, rows=rows)


@dataclass
class _Context:
    """What row checks need, read once per chunk."""

    rules: ProgrammeRules
    # Points per currency unit of each currency the programme runs in (the earn rule's
    # ``per_unit``, staged per row so the set-based SQL and the services use the same rate).
    per_unit: dict[str, Decimal]
    categories: dict[str, ProductCategory]
    local_zone: ZoneInfo
    now: datetime


def _context(now: datetime) -> _Context:
    rules = ProgrammeRules.current()
    return _Context(
        rules=rules,
        per_unit={code: rules.in_currency(code).points_per_currency_unit for code in rules.currencies()},
        categories={category.code: category for category in ProductCategory.objects.all()},
        local_zone=ZoneInfo(settings.TIME_ZONE),
        now=now,
    )


def _parse_moment(text: str, zone: ZoneInfo) -> datetime | None:
    """The moment ``text`` names, in UTC, or None when it is no ISO 8601 date (or date and
    time with a UTC offset)."""
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(0), tzinfo=zone)
        else:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                return None
    except ValueError:
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # A readable date at the edge of the calendar (0001-01-01, 9999-12-31 with an offset)
        # leaves datetime's range in UTC: the calendar's edge stands in for it, so
        # ``occurred_at_problem`` says it is out of the range the portal accepts.
        return datetime.min.replace(tzinfo=UTC) if moment.year == 1 else datetime.max.replace(tzinfo=UTC)


def parse_row(record: _Record, layout: tuple[int, ...], context: _Context) -> ImportRow | str:
    """Check one record's format; returns the row, or the reason it is refused.

    ``layout`` is the position of each of ``COLUMNS`` in the file (-1: not in the file).
    This runs once per row of a million-row file, so the common case is kept to a few
    C-level calls; the reasons are worked out only for a refused row.
    """
    if record.error:
        return record.error
    values = record.values
    fields = tuple([values[index].strip() if index >= 0 else "" for index in layout])
    company, source, external_id, occurred_text, amount_text, currency, category_code, original = fields
    if not (company and source and external_id and occurred_text and amount_text and currency):
        missing = [name for name, value in zip(REQUIRED_COLUMNS, fields, strict=False) if not value]
        return _("Missing value(s): %(columns)s.") % {"columns": ", ".join(missing)}
    if "\ufffd" in "".join(fields):
        return _("The row is not valid UTF-8.")
    if len(company) > 64 or len(source) > 40 or len(external_id) > 100 or len(category_code) > 40:
        for name, limit in _MAX_LENGTHS.items():
            if len(fields[COLUMNS.index(name)]) > limit:
                return _("%(column)s is longer than %(limit)s characters.") % {"column": name, "limit": limit}
    occurred_at = _parse_moment(occurred_text, context.local_zone)
    if occurred_at is None:
        return _("occurred_at %(value)r is not an ISO 8601 date or a date and time with a UTC offset.") % {
            "value": occurred_text
        }
    problem = occurred_at_problem(occurred_at, now=context.now)
    if problem:
        return _("occurred_at %(value)s: %(problem)s") % {"value": occurred_text, "problem": problem}
    written = amount_text  # what a reason quotes
    if record.delimiter != "," and "," in amount_text:
        # A decimal comma: the row keeps the amount with ".", as the pending rows and the
        # staging table read it.
        amount_text = amount_text.replace(",", ".", 1)
        fields = (*fields[:4], amount_text, *fields[5:])
    if _AMOUNT_RE.fullmatch(amount_text) is None:
        return _amount_refusal(written, delimiter=record.delimiter)
    net_amount = Decimal(amount_text)
    problem = money_problem(net_amount)
    if problem:
        return _("net_amount %(value)s: %(problem)s") % {"value": written, "problem": problem}
    if original:
        if net_amount > 0:
            return _("A credit note (with original_external_id) must have a net_amount of 0 or less.")
        if original == external_id:
            return _("A credit note cannot credit itself.")
    elif net_amount < 0:
        return _("A purchase must have a net_amount of 0 or more; a return needs original_external_id.")
    if currency not in context.per_unit:
        currency = currency.upper()
        if currency not in context.per_unit:
            # Whether the company buys in it is checked with the company (staging, services).
            return currency_refusal(currency, context.rules)
    category = None
    if category_code:
        category = context.categories.get(category_code)
        if category is None:
            return _("Unknown product category %(code)r.") % {"code": category_code}
    return ImportRow(record.line, fields, occurred_at, net_amount, currency, category)


def _amount_refusal(written: str, *, delimiter: str) -> str:
    """Why ``net_amount`` is refused: the cell as written, and the format a file with this
    delimiter takes (a decimal comma where the file is separated by semicolons or tabs)."""
    if any(character.isdigit() and not character.isascii() for character in written):
        return _("net_amount '%(value)s' has digits other than 0–9: write the amount with the digits 0 to 9.") % {
            "value": written
        }
    if delimiter != ",":
        return _(
            "net_amount '%(value)s' is not an amount: in a file separated by %(delimiter)s, write it with a "
            "decimal comma, at most 2 decimals and no thousands separators, e.g. 1234,50."
        ) % {"value": written, "delimiter": csv_delimiter_name(delimiter)}
    return _("net_amount %(value)r is not a decimal number with '.' and at most 2 decimals.") % {"value": written}


# --- Row by row, through the services -----------------------------------------------------------


def _in_chunk_conflict_reason(row: ImportRow, first_line: int) -> str:
    return _("External id %(source)s:%(ref)s is on line %(line)s with different content.") % {
        "source": row.source,
        "ref": row.external_id,
        "line": first_line,
    }


def _unknown_company_reason(row: ImportRow) -> str:
    return _("Unknown company %(ref)r.") % {"ref": row.company_external_id}


def _record_with_services(row: ImportRow, company: Company, now: datetime, result: ChunkResult) -> str:
    """Record one row through ``rewards.purchases.services.purchase_record`` — the single-purchase path
    the API uses — in its own savepoint. Returns ``"created"``, ``"duplicate"`` or the
    reason the row failed (the integrator's message of ``IngestError``). The row's points
    are counted in ``result`` for the import's one notice per company (none per row)."""
    category = row.category
    lines = (
        [PurchaseLineInput(sku=category.code, amount=row.net_amount, category_code=category.code)] if category else []
    )
    try:
        _purchase, created, entry = purchase_record_with_entry(
            company=company,
            source=row.source,
            external_id=row.external_id,
            occurred_at=row.occurred_at,
            net_amount=row.net_amount,
            currency=row.currency,
            lines=lines,
            original_external_id=row.original_external_id or None,
            now=now,
            notify=False,
        )
    except IngestError as exc:
        return exc.message
    if created and entry is not None and entry.kind == EntryKind.EARN and entry.net_points > 0:
        result.earn(company.pk, 1, entry.net_points)
    return "created" if created else "duplicate"


def _tally(result: ChunkResult, import_id: int, row: ImportRow, outcome: str) -> None:
    if outcome == "created":
        result.created += 1
    elif outcome == "duplicate":
        result.duplicate += 1
    else:
        result.fail(import_id, row.line, outcome, row.fields)


def _companies(external_ids) -> dict[str, Company]:
    return {company.external_id: company for company in Company.objects.filter(external_id__in=set(external_ids))}


def _chunk_row_by_row(import_id: int, rows: list[ImportRow], result: ChunkResult, now: datetime) -> None:
    """Check a chunk's rows (unknown companies, repeats within the chunk) and keep the rest as
    pending rows, recorded one by one through the services after the chunk commits."""
    companies = _companies(row.company_external_id for row in rows)
    first_in_chunk: dict[tuple[str, str], ImportRow] = {}
    credit_notes = []
    for row in rows:
        company = companies.get(row.company_external_id)
        if company is None:
            result.fail(import_id, row.line, _unknown_company_reason(row), row.fields)
            continue
        if row.is_credit_note:
            credit_notes.append((row, company))
            continue
        key = (row.source, row.external_id)
        first = first_in_chunk.setdefault(key, row)
        if first is not row:
            if first.content() == row.content():
                result.duplicate += 1
            else:
                result.fail(import_id, row.line, _in_chunk_conflict_reason(row, first.line), row.fields)
            continue
        result.defer(import_id, row)
    for row, _company in credit_notes:
        result.defer(import_id, row)


# --- Set-based, on PostgreSQL --------------------------------------------------------------------

_STAGING_DDL = """
CREATE TEMPORARY TABLE IF NOT EXISTS purchase_import_staging (
    line integer NOT NULL,
    company_external_id text NOT NULL,
    source text NOT NULL,
    external_id text NOT NULL,
    occurred_at timestamptz NOT NULL,
    net_amount numeric(13, 2) NOT NULL,
    currency text NOT NULL,
    per_unit numeric NOT NULL,
    category_id bigint,
    -- The purchase's one line: its SKU (NULL: no line), amount net_amount, category category_id.
    line_sku text,
    occurred_at_raw text NOT NULL,
    net_amount_raw text NOT NULL,
    category_code text NOT NULL
) ON COMMIT DELETE ROWS;
-- Filled by the earn contributors' import_bonus (campaigns): a running campaign's multiplier award
-- for a staged row (added to its earn, its tier check, and named in its memo's parameters).
CREATE TEMPORARY TABLE IF NOT EXISTS purchase_import_campaign (
    line integer PRIMARY KEY,
    campaign_id bigint NOT NULL,
    points integer NOT NULL,
    campaign jsonb NOT NULL  -- its name in every language (campaigns.earn), or as it is
) ON COMMIT DELETE ROWS;
CREATE TEMPORARY TABLE IF NOT EXISTS purchase_import_new (
    purchase_id bigint NOT NULL,
    line integer NOT NULL,
    account_id bigint NOT NULL,
    external_id text NOT NULL,
    net_amount numeric(13, 2) NOT NULL,
    category_id bigint,
    line_sku text,
    points integer NOT NULL,
    available_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
) ON COMMIT DELETE ROWS;
"""
_STAGING_COPY = (
    "COPY purchase_import_staging (line, company_external_id, source, external_id, occurred_at, net_amount,"
    " currency, per_unit, category_id, line_sku, occurred_at_raw, net_amount_raw, category_code) FROM STDIN"
)
_STAGING_FIELDS = (
    "s.line, s.company_external_id, s.source, s.external_id, s.occurred_at_raw, s.net_amount_raw,"
    " s.currency, s.category_code, s.occurred_at, s.net_amount, s.category_id"
)
# The earn rule (rewards.rules, which rewards.ledger.services.purchase_points evaluates in Python)
# for a staged purchase with at most one line, as a named fragment: ``{amount}`` is the
# row's amount column, ``pc`` its category, ``t`` its account's tier and ``s.per_unit`` the
# earn rate of the row's currency (staged from ``_Context.per_unit``).
_POINTS_SQL = whole_points_sql(
    exact_points_sql(
        amount=sql.SQL("{amount}"),
        category_multiplier=sql.SQL("pc.multiplier"),
        per_unit=sql.SQL("s.per_unit"),
        tier_multiplier=sql.SQL("t.earn_multiplier"),
    )
).as_string(None)


# ``Company.purchase_currency`` of company ``c`` in SQL: its own, else its country's.
_COMPANY_CURRENCY_SQL = (
    sql.SQL("COALESCE(NULLIF(c.currency, ''), CASE c.country {} ELSE {} END)")
    .format(
        sql.SQL(" ").join(
            sql.SQL("WHEN {} THEN {}").format(sql.Literal(country), sql.Literal(currency))
            for country, currency in COUNTRY_CURRENCY.items()
        ),
        sql.Literal(currency_for_country("")),
    )
    .as_string(None)
)


class _TimedCursor:
    """A raw cursor that logs each statement's duration at DEBUG (``bench/import_bench.py -v``)."""

    def __init__(self, cursor):
        self._cursor = cursor

    def execute(self, sql, params=None):
        started = time_module.perf_counter()
        result = self._cursor.execute(sql, params)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%7.3f s  %s", time_module.perf_counter() - started, " ".join(sql.split())[:90])
        return result

    def __getattr__(self, name):
        return getattr(self._cursor, name)


def _staged_row(values, context: _Context) -> ImportRow:
    """An ``ImportRow`` from a staging row selected with ``_STAGING_FIELDS``."""
    line, company, source, external_id, occurred_raw, amount_raw, currency, code, occurred_at, amount, cat = values
    fields = (company, source, external_id, occurred_raw, amount_raw, currency, code, "")
    category = context.categories.get(code) if cat is not None else None
    return ImportRow(line, fields, occurred_at, amount, currency, category)


def _delete_staged(cursor, lines: list[int]) -> None:
    if lines:
        cursor.execute("DELETE FROM purchase_import_staging WHERE line = ANY(%s)", [lines])


def _accounts_to_route(
    cursor, accounts: list[tuple], context: _Context, now: datetime
) -> tuple[set[int], dict[int, int], set[int]]:
    """What must go through the services one by one to stay exact: whole accounts, and
    single lines (``{line: account id}``); and the accounts whose tier is raised after the
    chunk lands (``_tiers_evaluate``).

    * an account owing a shortfall: a release pays it off first, earn by earn (all its rows);
    * an account the chunk's purchases may lift into a higher tier: the service
      re-evaluates the tier after every earn, so a purchase after the one that lifts it
      earns more. Each of its rows earns at its current tier as long as the points before
      that row (with those it already has) lift it to no higher tier: those rows land here,
      and the tier rises after them. From the first row before which it may have risen,
      its rows go one by one, after the chunk (so after its tier rose). An account's first
      row is always at its current tier: an account that already qualifies rises after it.
      An account is safe when even the points before its last row do not reach a higher
      tier than it has — then no earn in between can reach one either.
    """
    routed = {account_id for account_id, _company, _tier, shortfall in accounts if shortfall > 0}
    tiers = list(Tier.objects.order_by("qualifying_points").values_list("pk", "qualifying_points"))
    if not tiers:
        return routed, {}, set()
    threshold_of = dict(tiers)
    top = tiers[-1][1]
    candidates = [
        account_id
        for account_id, _company, tier_id, _shortfall in accounts
        if account_id not in routed and (tier_id is None or threshold_of[tier_id] < top)
    ]
    if not candidates:
        return routed, {}, set()
    window_start = now - relativedelta(months=12)
    # Each row's points on top of its account's qualifying points so far: the whole months
    # from its months, the partial ones from its entries (as the tier check after every earn),
    # never a year of entries per account.
    cursor.execute(
        f"""
        WITH chunk_rows AS (
            -- Every candidate's rows in the chunk, even those earning nothing towards a tier.
            SELECT a.id AS account_id, s.line,
                   CASE WHEN s.occurred_at > %(start)s AND s.occurred_at <= %(tail_end)s
                         AND NOT EXISTS (
                             SELECT 1 FROM {_T.PURCHASE} p
                             WHERE p.source = s.source AND p.external_id = s.external_id
                         )
                        THEN {_POINTS_SQL.format(amount="s.net_amount")} + COALESCE(pic.points, 0)
                        ELSE 0
                   END AS points
            FROM purchase_import_staging s
            JOIN {_T.COMPANY} c ON c.external_id = s.company_external_id
            JOIN {_T.POINTS_ACCOUNT} a ON a.company_id = c.id
            LEFT JOIN {_T.TIER} t ON t.id = a.tier_id
            LEFT JOIN {_T.PRODUCT_CATEGORY} pc ON pc.id = s.category_id
            LEFT JOIN purchase_import_campaign pic ON pic.line = s.line  -- campaign points count too
            WHERE a.id = ANY(%(accounts)s)
        ), earned AS ({QUALIFYING_MANY_SQL})
        SELECT r.account_id, r.line, r.points, COALESCE(earned.points, 0)
        FROM chunk_rows r LEFT JOIN earned ON earned.account_id = r.account_id
        ORDER BY r.account_id, r.line
        """,
        qualifying_many_params(account_ids=candidates, start=window_start, end=now),
    )
    current_threshold = {account_id: threshold_of.get(tier_id, -1) for account_id, _c, tier_id, _s in accounts}

    def lifts(account_id: int, qualifying: int) -> bool:
        reachable = max((threshold for _pk, threshold in tiers if threshold <= qualifying), default=-1)
        return reachable > current_threshold[account_id]

    routed_lines: dict[int, int] = {}
    raise_after: set[int] = set()
    for account_id, rows in itertools.groupby(cursor.fetchall(), key=lambda values: values[0]):
        rows = list(rows)
        qualifying = rows[0][3]  # before the chunk
        for index, (_account, _line, points, _earned) in enumerate(rows):
            if index and lifts(account_id, qualifying):  # it may have risen before this row
                routed_lines.update((later_line, account_id) for _a, later_line, _p, _e in rows[index:])
                break
            qualifying += points
        if lifts(account_id, qualifying):  # what lands here may lift it
            raise_after.add(account_id)
    return routed, routed_lines, raise_after


def _tiers_evaluate(cursor, account_ids: set[int], now: datetime) -> None:
    """After the chunk's earns of ``account_ids`` (each at its current tier): the tier
    service for those whose earns carried points (``tiers_raise_locked``, which is
    ``tier_evaluate`` without downgrades for many accounts at once) — as
    ``points_earn_for_purchase`` does after an earn with points. These are the accounts the
    chunk's points may lift (``_accounts_to_route``); their locks are the chunk's."""
    cursor.execute(
        "SELECT DISTINCT n.account_id FROM purchase_import_new n WHERE n.account_id = ANY(%s) AND n.points > 0",
        [sorted(account_ids)],
    )
    tiers_raise_locked(account_ids=[account_id for (account_id,) in cursor.fetchall()], now=now)


def _chunk_set_based(
    import_id: int, records: Iterator[_Record], layout: tuple[int, ...], chunk_size: int, result: ChunkResult, now
) -> None:
    """COPY up to ``chunk_size`` records into staging and land them set-based (see the module docstring)."""
    context = _context(now)
    credit_notes: list[ImportRow] = []
    staged = 0
    raw_connection = connection.connection
    with raw_connection.cursor() as raw_cursor:
        cursor = _TimedCursor(raw_cursor)
        cursor.execute("SET LOCAL TIME ZONE 'UTC'")
        # ON COMMIT DELETE ROWS empties them after a committed chunk; this covers a caller's
        # outer transaction (then each chunk is only a savepoint).
        cursor.execute("TRUNCATE purchase_import_staging, purchase_import_campaign, purchase_import_new")
        copy_started = time_module.perf_counter()
        with cursor.copy(_STAGING_COPY) as copy:
            for record in records:
                result.rows += 1
                row = parse_row(record, layout, context)
                if isinstance(row, str):
                    result.fail(import_id, record.line, row, _record_fields(record, layout))
                elif row.is_credit_note:
                    credit_notes.append(row)
                else:
                    fields = row.fields
                    copy.write_row(
                        (
                            row.line,
                            fields[0],
                            fields[1],
                            fields[2],
                            row.occurred_at,
                            row.net_amount,
                            row.currency,
                            context.per_unit[row.currency],
                            row.category.pk if row.category else None,
                            row.category.code if row.category else None,  # a CSV row's line: SKU = code
                            fields[3],
                            fields[4],
                            fields[6],
                        )
                    )
                    staged += 1
                if result.rows >= chunk_size:
                    break
        logger.debug("%7.3f s  parse %s rows and COPY them", time_module.perf_counter() - copy_started, result.rows)
        if staged:
            _land_staged(cursor, import_id, result, context, now)
        if credit_notes:
            companies = _companies(row.company_external_id for row in credit_notes)
            for row in credit_notes:
                if row.company_external_id not in companies:
                    result.fail(import_id, row.line, _unknown_company_reason(row), row.fields)
                else:
                    result.defer(import_id, row)


def _land_staged(cursor, import_id: int, result: ChunkResult, context: _Context, now: datetime) -> None:
    # Statistics for the joins below; a small sample is plenty for this one table.
    cursor.execute("SET LOCAL default_statistics_target = 10")
    cursor.execute("ANALYZE purchase_import_staging")
    # Rows of unknown companies, then repeated external ids within the chunk.
    cursor.execute(
        f"""SELECT {_STAGING_FIELDS} FROM purchase_import_staging s
        WHERE NOT EXISTS (SELECT 1 FROM {_T.COMPANY} c WHERE c.external_id = s.company_external_id)"""
    )
    dropped = []
    for values in cursor.fetchall():
        row = _staged_row(values, context)
        result.fail(import_id, row.line, _unknown_company_reason(row), row.fields)
        dropped.append(row.line)
    _delete_staged(cursor, dropped)
    # Rows in a currency their company does not buy in (the services refuse them the same way).
    cursor.execute(
        f"""SELECT {_STAGING_FIELDS}, c.external_id, c.currency, c.country FROM purchase_import_staging s
        JOIN {_T.COMPANY} c ON c.external_id = s.company_external_id
        WHERE s.currency <> {_COMPANY_CURRENCY_SQL}
          AND NOT EXISTS (SELECT 1 FROM {_T.PURCHASE} p WHERE p.source = s.source AND p.external_id = s.external_id)"""
    )
    dropped = []
    for values in cursor.fetchall():
        row = _staged_row(values[:-3], context)
        company = Company(external_id=values[-3], currency=values[-2], country=values[-1])
        result.fail(import_id, row.line, currency_mismatch(company, row.currency), row.fields)
        dropped.append(row.line)
    _delete_staged(cursor, dropped)
    cursor.execute(
        f"""SELECT {_STAGING_FIELDS} FROM purchase_import_staging s
        JOIN (SELECT source, external_id FROM purchase_import_staging GROUP BY 1, 2 HAVING count(*) > 1) d
          ON d.source = s.source AND d.external_id = s.external_id
        ORDER BY s.line"""
    )
    first_in_chunk: dict[tuple[str, str], ImportRow] = {}
    dropped = []
    for values in cursor.fetchall():
        row = _staged_row(values, context)
        first = first_in_chunk.setdefault((row.source, row.external_id), row)
        if first is row:
            continue
        dropped.append(row.line)
        if first.content() == row.content():
            result.duplicate += 1
        else:
            result.fail(import_id, row.line, _in_chunk_conflict_reason(row, first.line), row.fields)
    _delete_staged(cursor, dropped)

    # Every account of the chunk exists and is locked, in primary-key order. From here to the
    # commit, API posts for these companies wait: the chunk is sized to keep that short.
    result.locked_at = time_module.perf_counter()
    cursor.execute(
        f"""INSERT INTO {_T.POINTS_ACCOUNT} (company_id, balance, pending, shortfall, created_at)
        SELECT DISTINCT c.id, 0, 0, 0, %s FROM purchase_import_staging s
        JOIN {_T.COMPANY} c ON c.external_id = s.company_external_id
        ON CONFLICT (company_id) DO NOTHING""",
        [now],
    )
    cursor.execute(
        f"""SELECT a.id, a.company_id, a.tier_id, a.shortfall FROM {_T.POINTS_ACCOUNT} a
        WHERE a.company_id IN (
            SELECT c.id FROM purchase_import_staging s JOIN {_T.COMPANY} c ON c.external_id = s.company_external_id
        )
        ORDER BY a.id FOR UPDATE"""
    )
    accounts = cursor.fetchall()
    # Rows of companies that have left the club, read under the account locks: a closing holds
    # its company's lock while it settles the points and marks the company closed. A retry of a
    # purchase recorded before the closing stays a duplicate, as in the services.
    cursor.execute(
        f"""SELECT {_STAGING_FIELDS}, c.external_id, c.name FROM purchase_import_staging s
        JOIN {_T.COMPANY} c ON c.external_id = s.company_external_id
        WHERE c.status = %s
          AND NOT EXISTS (SELECT 1 FROM {_T.PURCHASE} p WHERE p.source = s.source AND p.external_id = s.external_id)""",
        [CompanyStatus.CLOSED],
    )
    dropped = []
    for values in cursor.fetchall():
        row = _staged_row(values[:-2], context)
        company = Company(external_id=values[-2], name=values[-1])
        result.fail(import_id, row.line, closed_company_refusal(company), row.fields)
        dropped.append(row.line)
    _delete_staged(cursor, dropped)
    # Campaigns first: their points count in the tier check. Accounts whose campaign points
    # depend on the order of the rows (a bonus, a budget the chunk may use up) are routed.
    routed: set[int] = set()
    for contributor in earn_contributors():
        routed |= contributor.import_bonus(cursor, accounts, now=now)
    tier_routed, routed_lines, tiers_after = _accounts_to_route(cursor, accounts, context, now)
    routed |= tier_routed
    tiers_after -= routed
    lines = [line for line, account_id in routed_lines.items() if account_id not in routed]
    routed_rows: list[tuple[ImportRow, int]] = []
    if routed or lines:
        company_of = {account_id: company_id for account_id, company_id, _t, _s in accounts}
        routed_companies = [company_of[account_id] for account_id in routed]
        cursor.execute(
            f"""SELECT {_STAGING_FIELDS}, c.id FROM purchase_import_staging s
            JOIN {_T.COMPANY} c ON c.external_id = s.company_external_id
            WHERE c.id = ANY(%s) OR s.line = ANY(%s) ORDER BY s.line""",
            [routed_companies, lines],
        )
        routed_rows = [(_staged_row(values[:-1], context), values[-1]) for values in cursor.fetchall()]
        _delete_staged(cursor, [row.line for row, _company in routed_rows])

    parameters = {
        "now": now,
        "received": timezone.now(),  # Purchase.created_at: when it reached us, as purchase_record
        "window_days": context.rules.return_window_days,
        "expiry_months": context.rules.expiry_months,
    }
    # The same memo as points_earn_for_purchase (rewards.texts.purchase_memo): a message key
    # and its parameters, the purchase's reference and any campaign's points and name.
    cursor.execute(
        f"""
        WITH inserted AS (
            INSERT INTO {_T.PURCHASE}
                (company_id, source, external_id, occurred_at, net_amount, currency, original_id, created_at)
            SELECT c.id, s.source, s.external_id, s.occurred_at, s.net_amount, s.currency, NULL, %(received)s
            FROM purchase_import_staging s JOIN {_T.COMPANY} c ON c.external_id = s.company_external_id
            ORDER BY s.line
            ON CONFLICT (source, external_id) DO NOTHING
            RETURNING id, company_id, source, external_id, occurred_at, net_amount
        )
        INSERT INTO purchase_import_new
            (purchase_id, line, account_id, external_id, net_amount, category_id, line_sku, points, available_at,
             expires_at)
        SELECT i.id, s.line, a.id, i.external_id, i.net_amount, s.category_id, s.line_sku,
               {_POINTS_SQL.format(amount="i.net_amount")} + COALESCE(pic.points, 0),
               i.occurred_at + make_interval(days => %(window_days)s),
               i.occurred_at + make_interval(months => %(expiry_months)s)
        FROM inserted i
        JOIN purchase_import_staging s ON s.source = i.source AND s.external_id = i.external_id
        JOIN {_T.POINTS_ACCOUNT} a ON a.company_id = i.company_id
        LEFT JOIN {_T.TIER} t ON t.id = a.tier_id
        LEFT JOIN {_T.PRODUCT_CATEGORY} pc ON pc.id = s.category_id
        LEFT JOIN purchase_import_campaign pic ON pic.line = s.line
        """,
        parameters,
    )
    created = cursor.rowcount
    if created:
        cursor.execute(
            f"""INSERT INTO {_T.PURCHASE_LINE} (purchase_id, sku, category_id, amount)
            SELECT n.purchase_id, n.line_sku, n.category_id, n.net_amount
            FROM purchase_import_new n WHERE n.line_sku IS NOT NULL
            ORDER BY n.line"""
        )
        cursor.execute(
            f"""
            WITH earned AS (
                INSERT INTO {_T.LEDGER_ENTRY}
                    (account_id, kind, points, pending_points, shortfall_points, idempotency_key, memo_key,
                     memo_params, created_at, purchase_id, available_at, expires_at, balance_after)
                SELECT n.account_id, {_KIND_EARN}, 0, n.points, 0, 'earn:' || n.purchase_id, %(memo_key)s,
                       CASE WHEN pic.line IS NULL THEN jsonb_build_object('ref', n.external_id)
                            ELSE jsonb_build_object('ref', n.external_id, 'campaigns', jsonb_build_array(
                                jsonb_build_object('points', pic.points, 'campaign', pic.campaign)))
                       END,
                       %(now)s, n.purchase_id, n.available_at, n.expires_at,
                       -- balance_after (rewards.ledger.services._write): an earn moves no spendable
                       -- points, and this chunk's releases are inserted after all its earns.
                       a.balance
                FROM purchase_import_new n LEFT JOIN purchase_import_campaign pic ON pic.line = n.line
                JOIN {_T.POINTS_ACCOUNT} a ON a.id = n.account_id
                ORDER BY n.line
                RETURNING id, account_id, pending_points, purchase_id, available_at, expires_at, balance_after
            )
            -- A late import (return window already over) is released at once, as the service does.
            INSERT INTO {_T.LEDGER_ENTRY}
                (account_id, kind, points, pending_points, shortfall_points, idempotency_key, memo_key,
                 memo_params, created_at, purchase_id, releases_id, expires_at, balance_after)
            SELECT e.account_id, {_KIND_RELEASE}, e.pending_points, -e.pending_points, 0,
                   'release:' || e.id, '', '{{}}'::jsonb, %(now)s, e.purchase_id, e.id, e.expires_at,
                   -- balance_after: the account's balance before the chunk plus its releases so far
                   -- (ids follow this ORDER BY, as the window does).
                   e.balance_after + SUM(e.pending_points) OVER (PARTITION BY e.account_id ORDER BY e.id)
            FROM earned e WHERE e.available_at <= %(now)s ORDER BY e.id
            """,
            {**parameters, "memo_key": PURCHASE},
        )
        # The earns' months (rewards.ledger.months), as ``_write`` keeps them per entry.
        cursor.execute(ACCOUNT_MONTHS_IMPORT_SQL, {**parameters, "time_zone": settings.TIME_ZONE})
        cursor.execute(
            f"""
            UPDATE {_T.POINTS_ACCOUNT} a
            SET pending = a.pending + d.pending, balance = a.balance + d.released
            FROM (
                SELECT account_id,
                       COALESCE(SUM(points) FILTER (WHERE available_at > %(now)s), 0) AS pending,
                       COALESCE(SUM(points) FILTER (WHERE available_at <= %(now)s), 0) AS released
                FROM purchase_import_new GROUP BY account_id
            ) d
            WHERE a.id = d.account_id
            """,
            parameters,
        )
        # Campaigns: their awards for these earns and their budgets; a referred company's
        # first purchase rewards its referrer (after commit).
        for contributor in earn_contributors():
            contributor.import_recorded(cursor, now=now)
        _announce_landed(cursor, now)
        if tiers_after:
            _tiers_evaluate(cursor, tiers_after, now)
        # Per company, for the import's one "points arrived" notice each (one statement per
        # chunk; n.points already holds the campaign points).
        cursor.execute(
            f"""SELECT a.company_id, count(*), sum(n.points) FROM purchase_import_new n
            JOIN {_T.POINTS_ACCOUNT} a ON a.id = n.account_id WHERE n.points > 0 GROUP BY a.company_id"""
        )
        for company_id, purchases, points in cursor.fetchall():
            result.earn(company_id, purchases, points)
        if result.outcomes is not None:
            cursor.execute("SELECT line, purchase_id, points, available_at FROM purchase_import_new")
            for line, purchase_id, points, available_at in cursor.fetchall():
                result.outcomes[line] = (LANDED_CREATED, purchase_id, points, available_at)
    result.created += created
    cursor.execute("SELECT count(*) FROM purchase_import_staging")
    result.staged = cursor.fetchone()[0]
    if result.staged == created:
        for row, _company_id in routed_rows:
            result.defer(import_id, row)
        return
    # Staged rows that were not inserted are already recorded: duplicates, or conflicts.
    cursor.execute(
        f"""
        SELECT {_STAGING_FIELDS},
               -- purchase_record's "same content": the purchase's fields and its lines
               -- (none, or the one line of the row's category).
               (p.company_id = c.id AND p.occurred_at = s.occurred_at AND p.net_amount = s.net_amount
                AND p.currency = s.currency AND p.original_id IS NULL
                AND (SELECT count(*) FROM {_T.PURCHASE_LINE} pl WHERE pl.purchase_id = p.id)
                    = CASE WHEN s.line_sku IS NULL THEN 0 ELSE 1 END
                AND (s.line_sku IS NULL OR EXISTS (
                    SELECT 1 FROM {_T.PURCHASE_LINE} pl
                    WHERE pl.purchase_id = p.id AND pl.category_id IS NOT DISTINCT FROM s.category_id
                      AND pl.sku = s.line_sku AND pl.amount = s.net_amount
                ))) AS same, c.id, p.id
        FROM purchase_import_staging s
        JOIN {_T.COMPANY} c ON c.external_id = s.company_external_id
        JOIN {_T.PURCHASE} p ON p.source = s.source AND p.external_id = s.external_id
        WHERE NOT EXISTS (SELECT 1 FROM purchase_import_new n WHERE n.line = s.line)
        """
    )
    conflicts = []
    for values in cursor.fetchall():
        if values[-3]:
            result.duplicate += 1
            if result.outcomes is not None:
                result.outcomes[values[0]] = (LANDED_DUPLICATE, values[-1])
        else:
            conflicts.append((_staged_row(values[:-3], context), values[-2]))
    # Conflicts (rare) and the routed rows go through purchase_record, which words the
    # conflict exactly as the API does — after this chunk commits, in short transactions.
    for row, _company_id in sorted(conflicts + routed_rows, key=lambda pair: pair[0].line):
        result.defer(import_id, row)


def _announce_landed(cursor, now: datetime) -> None:
    """Announce the chunk's earns (and the releases of late ones) to integrations, in the
    chunk's transaction, with the same data as the single-purchase path; one query each, and
    none when nobody listens (``outbox.events``)."""
    if events_wanted(EventType.PURCHASE_EARNED):
        cursor.execute(
            f"""SELECT a.company_id, p.id, p.source, p.external_id, p.occurred_at, p.net_amount, p.currency,
                   e.id, n.points, n.available_at, n.expires_at
            FROM purchase_import_new n
            JOIN {_T.PURCHASE} p ON p.id = n.purchase_id
            JOIN {_T.POINTS_ACCOUNT} a ON a.id = n.account_id
            JOIN {_T.LEDGER_ENTRY} e ON e.idempotency_key = 'earn:' || n.purchase_id
            WHERE n.points > 0 ORDER BY n.line"""
        )
        events_emit(
            DomainEvent(
                type=EventType.PURCHASE_EARNED,
                company_id=company_id,
                occurred_at=now,
                data=purchase_earned_data(
                    purchase_id=purchase_id,
                    source=source,
                    external_id=external_id,
                    occurred_at=occurred_at,
                    net_amount=net_amount,
                    currency=currency,
                    entry_id=entry_id,
                    points=points,
                    available_at=available_at,
                    expires_at=expires_at,
                ),
            )
            for (
                company_id,
                purchase_id,
                source,
                external_id,
                occurred_at,
                net_amount,
                currency,
                entry_id,
                points,
                available_at,
                expires_at,
            ) in cursor.fetchall()
        )
    if events_wanted(EventType.POINTS_RELEASED):
        cursor.execute(
            f"""SELECT a.company_id, r.id, r.points, e.purchase_id, e.id, r.expires_at
            FROM purchase_import_new n
            JOIN {_T.POINTS_ACCOUNT} a ON a.id = n.account_id
            JOIN {_T.LEDGER_ENTRY} e ON e.idempotency_key = 'earn:' || n.purchase_id
            JOIN {_T.LEDGER_ENTRY} r ON r.releases_id = e.id
            ORDER BY n.line"""
        )
        events_emit(
            DomainEvent(
                type=EventType.POINTS_RELEASED,
                company_id=company_id,
                occurred_at=now,
                data={
                    "entry_id": entry_id,
                    "points": points,
                    "shortfall_paid_off": 0,
                    "purchase_id": purchase_id,
                    "earn_entry_id": earn_id,
                    "expires_at": expires_at.astimezone(UTC).isoformat() if expires_at else None,
                },
            )
            for company_id, entry_id, points, purchase_id, earn_id, expires_at in cursor.fetchall()
        )


# --- An API batch, set-based ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchPurchase:
    """A purchase of an API batch that can land set-based: checked by the caller as
    ``purchase_record`` checks it (see ``api.api.purchase_batch_post``), not a credit note,
    with no line or one line whose amount is ``net_amount``. ``key`` is the caller's index."""

    key: int
    company_external_id: str
    source: str
    external_id: str
    occurred_at: datetime
    net_amount: Decimal
    currency: str
    line_sku: str | None
    category: ProductCategory | None


@dataclass(slots=True)
class BatchLanding:
    """What ``purchases_land_set_based`` did, per key: ``created`` (purchase id, points,
    available_at), ``duplicate`` (purchase id, recorded before with the same content), and
    ``left``: the keys it did not record, for the caller to send through ``purchase_record``
    one by one (accounts whose earns depend on their order: a shortfall, a tier the batch may
    reach, a campaign bonus or budget; and conflicts, which that path words). ``earned``:
    company id -> [purchases that earned, points], for one "points arrived" notice each."""

    created: dict[int, tuple[int, int, datetime]]
    duplicate: dict[int, int]
    left: list[int]
    earned: dict[int, list[int]]


class BatchNotSetBased(Exception):
    """The batch cannot land set-based (a purchase would earn more than ``POINTS_MAX``): its
    transaction rolled back; record its purchases one by one."""


def purchases_land_set_based(purchases: list[BatchPurchase], *, now: datetime | None = None) -> BatchLanding:
    """Record an API batch's purchases with the CSV import's set-based statements (PostgreSQL):
    the same purchases, lines, earn and release entries, account buckets, campaign awards and
    events as ``purchase_record`` one by one, in one transaction holding the batch's account
    locks (taken in primary-key order). Idempotent by (source, external id): a purchase
    recorded before is a duplicate (same content) or left for the caller (conflict). The keys'
    external ids must be distinct; companies must exist. Run it as the outermost transaction
    with a bounded lock wait (``core.db.bounded_lock_wait``)."""
    now = now or timezone.now()
    context = _context(now)
    result = ChunkResult(outcomes={})
    # wrap_database_errors: the raw cursor's errors arrive as Django's (a lock timeout as
    # OperationalError, which core.db.bounded_lock_wait turns into LockWaitTimeout).
    with transaction.atomic(), connection.wrap_database_errors:
        raw_connection = connection.connection
        with raw_connection.cursor() as raw_cursor:
            cursor = _TimedCursor(raw_cursor)
            cursor.execute(_STAGING_DDL)
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")
            cursor.execute("TRUNCATE purchase_import_staging, purchase_import_campaign, purchase_import_new")
            with cursor.copy(_STAGING_COPY) as copy:
                for purchase in purchases:
                    copy.write_row(
                        (
                            purchase.key,
                            purchase.company_external_id,
                            purchase.source,
                            purchase.external_id,
                            purchase.occurred_at,
                            purchase.net_amount,
                            purchase.currency,
                            context.per_unit[purchase.currency],
                            purchase.category.pk if purchase.category else None,
                            purchase.line_sku,
                            purchase.occurred_at.isoformat(),
                            str(purchase.net_amount),
                            purchase.category.code if purchase.category else "",
                        )
                    )
            _land_staged(cursor, 0, result, context, now)
            cursor.execute("SELECT 1 FROM purchase_import_new WHERE points > %s LIMIT 1", [POINTS_MAX])
            if cursor.fetchone() is not None:
                raise BatchNotSetBased()
            if result.errors:  # an unknown or closed company, a repeated external id: the caller's check failed
                raise BatchNotSetBased()
    landed = result.outcomes
    return BatchLanding(
        created={key: outcome[1:] for key, outcome in landed.items() if outcome[0] == LANDED_CREATED},
        duplicate={key: outcome[1] for key, outcome in landed.items() if outcome[0] == LANDED_DUPLICATE},
        left=sorted(pending.line for pending in result.pending or ()),
        earned=result.earned or {},
    )


def _record_fields(record: _Record, layout: tuple[int, ...]) -> tuple[str, ...]:
    values = record.values
    if not values:
        return ()
    return tuple(values[index] if 0 <= index < len(values) else "" for index in layout)


# --- The import ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _exclusive(import_id: int) -> Iterator[bool]:
    """On PostgreSQL, a session advisory lock: only one run of an import at a time.

    A worker that dies releases it with its connection, so a redelivered task resumes.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_ADVISORY_LOCK_CLASS, import_id])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_ADVISORY_LOCK_CLASS, import_id])


def _is_retryable(exc: Exception) -> bool:
    """A deadlock, serialization failure or lock timeout: the chunk rolled back, try again.

    The set-based statements run on the raw psycopg cursor, so their errors arrive
    unwrapped (``sqlstate`` on the error itself); the ORM's arrive wrapped (on ``__cause__``).
    """
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc.__cause__, "sqlstate", None)
    return sqlstate in {"40P01", "40001", "55P03"}


def purchase_import_run(
    *,
    import_id: int,
    now: datetime | None = None,
    chunk_size: int | None = None,
    set_based: bool | None = None,
    progress: Callable[[PurchaseImport], None] | None = None,
    lock_hold: Callable[[float], None] | None = None,
) -> PurchaseImport:
    """Import the file of ``PurchaseImport`` ``import_id``; returns the import afterwards.

    Safe to run twice: a finished (``done``/``failed``) import is returned untouched, a
    concurrent run of the same import (PostgreSQL) returns at once, and an import that
    crashed resumes after its last committed transaction: the pending rows of its last
    chunk first, then the file after ``rows_done``. Each transaction lands its rows and
    moves the counters, so nothing is lost or counted twice, and a re-import of the same
    file only counts duplicates. When the import is done, ``rows_created + rows_duplicate
    + rows_failed == rows_done == total_rows``: every data line of the file is accounted for.

    No transaction of the import holds points-account locks much longer than
    ``SET_BASED_LOCK_TARGET_SECONDS``/``DRAIN_TRANSACTION_SECONDS`` (bound:
    ``ACCOUNT_LOCK_BOUND_SECONDS``); ``lock_hold`` is called with each transaction's
    measured hold, in seconds (the benchmark's figure). ``now`` (default: the time of each
    transaction) dates the entries; ``set_based`` defaults to True on PostgreSQL;
    ``chunk_size`` fixes the rows per chunk (default: sized to the lock target). After each
    chunk ``progress`` is called with the import.
    """
    set_based = connection.vendor == "postgresql" if set_based is None else set_based
    if set_based and connection.vendor != "postgresql":
        raise ValueError("The set-based import needs PostgreSQL.")
    with _exclusive(import_id) as acquired:
        purchase_import = PurchaseImport.objects.get(pk=import_id)
        if not acquired or purchase_import.status in (PurchaseImportStatus.DONE, PurchaseImportStatus.FAILED):
            return purchase_import
        PurchaseImport.objects.filter(pk=import_id).update(
            status=PurchaseImportStatus.RUNNING,
            started_at=purchase_import.started_at or timezone.now(),
            progress_at=timezone.now(),
        )
        try:
            if purchase_import.total_rows is None:
                with contextlib.closing(_raw_binary(purchase_import.file)) as binary:
                    total = count_data_lines(binary)
                PurchaseImport.objects.filter(pk=import_id).update(total_rows=total)
            for attempt in range(_RETRIES_AFTER_DEADLOCK + 1):
                try:
                    _run_chunks(
                        import_id,
                        now=now,
                        chunk_size=chunk_size,
                        set_based=set_based,
                        progress=progress,
                        lock_hold=lock_hold,
                    )
                    break
                except Exception as exc:
                    if not _is_retryable(exc) or attempt == _RETRIES_AFTER_DEADLOCK:
                        raise
                    logger.warning("Purchase import %s: %s; resuming from the last chunk.", import_id, exc)
            _finish(import_id)
        except ImportFileError as exc:
            _finish(import_id, failure=str(exc))
        except SoftTimeLimitExceeded:
            # The task's time is up, not the import: it stays "running" and the task queues
            # its continuation (rewards.tasks.run_purchase_import).
            raise
        except Exception as exc:
            logger.exception("Purchase import %s failed", import_id)
            _finish(import_id, failure=_("The import stopped: %(error)s") % {"error": exc})
        finally:
            if set_based:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "DROP TABLE IF EXISTS purchase_import_staging, purchase_import_campaign, purchase_import_new"
                    )
            _notify_points(import_id)
    return PurchaseImport.objects.get(pk=import_id)


def _notify_points(import_id: int) -> None:
    """When the import is over (done, or stopped part-way: its committed chunks landed), one
    "points arrived" notice per company that earned, with the whole import's figures
    (``PurchaseImportEarning``), from a task after commit — never per row. A run that ends
    without finishing (the worker is shut down) says nothing: the run that resumes it
    announces the whole import."""
    if not PurchaseImport.objects.filter(
        pk=import_id, status__in=[PurchaseImportStatus.DONE, PurchaseImportStatus.FAILED]
    ).exists():
        return
    earned = list(
        PurchaseImportEarning.objects.filter(purchase_import_id=import_id)
        .order_by("company_id")
        .values_list("company_id", "purchases", "points")
    )
    if not earned:
        return
    purchases_points_notices_enqueue(
        key=f"points:import:{import_id}", earned=[company_earnings(*earning) for earning in earned]
    )


_EARNINGS_UPSERT = f"""
ON CONFLICT (purchase_import_id, company_id) DO UPDATE
SET purchases = {_T.PURCHASE_IMPORT_EARNING}.purchases + excluded.purchases,
    points = {_T.PURCHASE_IMPORT_EARNING}.points + excluded.points
"""
_EARNINGS_COLUMNS = f"INSERT INTO {_T.PURCHASE_IMPORT_EARNING} (purchase_import_id, company_id, purchases, points)"


def _earnings_add(import_id: int, earned: dict[int, list[int]]) -> None:
    """Add a chunk's earnings per company to the import's tally, in the chunk's transaction
    (so a chunk retried after a deadlock counts once). One statement on PostgreSQL."""
    rows = sorted((company_id, purchases, points) for company_id, (purchases, points) in earned.items())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"{_EARNINGS_COLUMNS} SELECT %s, * FROM unnest(%s::bigint[], %s::int[], %s::int[]) {_EARNINGS_UPSERT}",
                [import_id, *(list(column) for column in zip(*rows, strict=True))],
            )
        else:
            cursor.executemany(
                f"{_EARNINGS_COLUMNS} VALUES (%s, %s, %s, %s) {_EARNINGS_UPSERT}", [(import_id, *row) for row in rows]
            )


def _move_counters(import_id: int, result: ChunkResult, *, rows: int) -> None:
    """In the transaction that did the work: its errors, pending rows, counters and earnings."""
    if result.errors:
        PurchaseImportError.objects.bulk_create(result.errors, batch_size=1000)
    if result.pending:
        PurchaseImportPendingRow.objects.bulk_create(result.pending, batch_size=1000)
    PurchaseImport.objects.filter(pk=import_id).update(
        rows_done=F("rows_done") + rows,
        rows_created=F("rows_created") + result.created,
        rows_duplicate=F("rows_duplicate") + result.duplicate,
        rows_failed=F("rows_failed") + len(result.errors or ()),
        progress_at=timezone.now(),
    )
    if result.earned:
        _earnings_add(import_id, result.earned)


def _next_chunk_size(chunk_size: int, *, staged: int, lock_seconds: float) -> int:
    """The next set-based chunk's rows, for a lock hold of about SET_BASED_LOCK_TARGET_SECONDS.

    The hold grows with the rows landed set-based (``staged``), not with the rows read: a
    chunk whose rows were nearly all left for one by one says nothing about what a chunk of
    set-based rows costs, so it never makes the next chunk larger (it did, and a later
    chunk of 40 000 set-based rows held its locks for 17 s). At most doubling at a time.
    """
    low, high = SET_BASED_CHUNK_LIMITS
    if lock_seconds <= 0:
        return chunk_size
    if staged < low:
        if lock_seconds <= SET_BASED_LOCK_TARGET_SECONDS:
            return chunk_size
        scaled = int(chunk_size * SET_BASED_LOCK_TARGET_SECONDS / lock_seconds)
    else:
        scaled = int(staged * SET_BASED_LOCK_TARGET_SECONDS / lock_seconds)
    return max(low, min(high, scaled, chunk_size * 2))


_STORED_LAYOUT = tuple(range(len(COLUMNS)))


def _commit_without_waiting_for_the_flush() -> None:
    """On PostgreSQL, this transaction's commit releases its locks without waiting for the
    WAL to reach the disk (``synchronous_commit = off``): under a busy disk that wait alone
    held a 500-row chunk's account locks for up to 2 s. Safe here: a crash can only lose the
    last committed transactions whole (WAL order is kept, so never one without those before
    it), and the import redoes them from its checkpoint — nothing is doubled."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _drain_pending(import_id: int, *, now: datetime | None, lock_hold) -> None:
    """Record the import's pending rows through ``purchase_record`` (the API's single-purchase
    path): purchases in file order, then credit notes. Each transaction takes rows until
    ``DRAIN_TRANSACTION_SECONDS`` have passed, then deletes them from the pending rows and
    moves the counters in the same commit: the account locks its rows took are held for that
    long at most (plus the last row), and a run that dies loses nothing and counts nothing
    twice — the rows it did not commit are still pending."""
    while True:
        drain_now = now or timezone.now()
        context = _context(drain_now)
        result = ChunkResult()
        with transaction.atomic():
            _commit_without_waiting_for_the_flush()
            # The import row first, then accounts: the same order as a chunk.
            PurchaseImport.objects.select_for_update().only("pk").get(pk=import_id)
            pending = list(
                PurchaseImportPendingRow.objects.filter(purchase_import_id=import_id).order_by("credit_note", "line")[
                    :_DRAIN_BATCH_ROWS
                ]
            )
            if not pending:
                return
            rows = [
                (waiting, parse_row(_Record(waiting.line, next(csv.reader([waiting.row]))), _STORED_LAYOUT, context))
                for waiting in pending
            ]
            companies = _companies(row.company_external_id for _waiting, row in rows if not isinstance(row, str))
            recorded = []
            started = time_module.perf_counter()
            for waiting, row in rows:
                recorded.append(waiting.pk)
                if isinstance(row, str):
                    # Checked when its chunk read it; a category deleted since, say.
                    result.fail(import_id, waiting.line, row, next(csv.reader([waiting.row])))
                elif (company := companies.get(row.company_external_id)) is None:
                    result.fail(import_id, row.line, _unknown_company_reason(row), row.fields)
                else:
                    _tally(result, import_id, row, _record_with_services(row, company, drain_now, result))
                if time_module.perf_counter() - started >= DRAIN_TRANSACTION_SECONDS:
                    break
            PurchaseImportPendingRow.objects.filter(pk__in=recorded).delete()
            _move_counters(import_id, result, rows=0)
        held = time_module.perf_counter() - started
        logger.debug("%7.3f s  recorded %s pending rows one by one (account locks held)", held, len(recorded))
        if lock_hold is not None:
            lock_hold(held)


def _run_chunks(import_id: int, *, now, chunk_size: int | None, set_based: bool, progress, lock_hold) -> None:
    sized_to_target = chunk_size is None and set_based
    chunk_size = chunk_size or (SET_BASED_CHUNK_SIZE if set_based else ROW_BY_ROW_CHUNK_SIZE)
    # What a run that stopped left between a chunk and its rows' own transactions comes first.
    _drain_pending(import_id, now=now, lock_hold=lock_hold)
    purchase_import = PurchaseImport.objects.get(pk=import_id)
    if set_based:
        with connection.cursor() as cursor:
            cursor.execute(_STAGING_DDL)
    with contextlib.closing(_raw_binary(purchase_import.file)) as binary:
        layout, records = _records(binary, skip=purchase_import.rows_done)
        while True:
            result = ChunkResult()
            chunk_now = now or timezone.now()
            # Campaigns whose start has come but which the beat has not started yet: start
            # them first, in their own transactions (a campaign lock taken inside the chunk
            # would come before its account locks, the wrong order).
            for contributor in earn_contributors():
                contributor.import_chunk_prepare(now=chunk_now)
            with transaction.atomic():
                _commit_without_waiting_for_the_flush()
                # The checkpoint must be what this run has read so far; anything else means
                # another run got in (only possible without the PostgreSQL advisory lock).
                locked = PurchaseImport.objects.select_for_update().get(pk=import_id)
                if locked.rows_done != purchase_import.rows_done:
                    raise RuntimeError("Another run of this import moved its checkpoint.")
                if set_based:
                    _chunk_set_based(import_id, records, layout, chunk_size, result, chunk_now)
                else:
                    context = _context(chunk_now)
                    rows: list[ImportRow] = []
                    for record in records:
                        result.rows += 1
                        row = parse_row(record, layout, context)
                        if isinstance(row, str):
                            result.fail(import_id, record.line, row, _record_fields(record, layout))
                        else:
                            rows.append(row)
                        if result.rows >= chunk_size:
                            break
                    _chunk_row_by_row(import_id, rows, result, chunk_now)
                if result.rows == 0:
                    break
                counted_at = time_module.perf_counter()
                _move_counters(import_id, result, rows=result.rows)
                logger.debug("%7.3f s  counters, pending rows, earnings", time_module.perf_counter() - counted_at)
                committing_at = time_module.perf_counter()
            logger.debug("%7.3f s  commit", time_module.perf_counter() - committing_at)
            last_chunk = result.rows < chunk_size
            if result.locked_at is not None:
                held = time_module.perf_counter() - result.locked_at
                logger.debug(
                    "%7.3f s  chunk of %s rows, %s left for one by one (account locks held)",
                    held,
                    result.rows,
                    len(result.pending or ()),
                )
                if lock_hold is not None:
                    lock_hold(held)
                if sized_to_target:
                    chunk_size = _next_chunk_size(chunk_size, staged=result.staged, lock_seconds=held)
            _drain_pending(import_id, now=now, lock_hold=lock_hold)
            purchase_import.refresh_from_db()
            if progress is not None:
                progress(purchase_import)
            if last_chunk:
                break


def _finish(import_id: int, *, failure: str = "") -> None:
    purchase_import = PurchaseImport.objects.get(pk=import_id)
    accounted = purchase_import.rows_created + purchase_import.rows_duplicate + purchase_import.rows_failed
    if not failure and accounted != purchase_import.rows_done:
        # Cannot happen while every row is counted in the transaction that settles it; if it
        # ever does, the import must not say "done".
        logger.error(
            "Purchase import %s: %s rows read, %s accounted for.", import_id, purchase_import.rows_done, accounted
        )
        failure = _("%(accounted)s of the %(read)s rows read are accounted for; the import stopped.") % {
            "accounted": accounted,
            "read": purchase_import.rows_done,
        }
    if purchase_import.rows_failed and not purchase_import.error_file:
        _write_error_file(purchase_import)
    purchase_import.status = PurchaseImportStatus.FAILED if failure else PurchaseImportStatus.DONE
    purchase_import.error_message = failure
    purchase_import.finished_at = timezone.now()
    update = ["status", "error_message", "finished_at", "error_file"]
    if not failure:
        # The line count was an estimate (blank lines): now it is exact.
        purchase_import.total_rows = purchase_import.rows_done
        update.append("total_rows")
    purchase_import.save(update_fields=update)


def _write_error_file(purchase_import: PurchaseImport) -> None:
    """Write the error report (line, reason, the row's columns) to storage, streaming."""
    with tempfile.TemporaryFile(mode="w+b") as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        # The rows are the uploader's text: formula cells are neutralised.
        writer = csv_writer(text)
        writer.writerow(ERROR_FILE_HEADER)
        errors = purchase_import.errors.order_by("line", "pk").values_list("line", "reason", "row")
        for line, reason, row in errors.iterator(chunk_size=2000):
            fields = next(csv.reader([row])) if row else []
            writer.writerow([line, reason, *fields])
        text.flush()
        spool.seek(0)
        name = f"errors-{purchase_import.pk}.csv"
        purchase_import.error_file.save(name, File(spool, name=name), save=False)
        text.detach()


def purchase_import_create(*, file, created_by=None, original_name: str = "") -> PurchaseImport:
    """Store an uploaded file as a queued import and enqueue its task once the transaction commits."""
    from rewards.purchases.tasks import run_purchase_import  # lazy: the tasks module imports this one

    with transaction.atomic():
        purchase_import = PurchaseImport(
            created_by=created_by, original_name=original_name or getattr(file, "name", "")[:255]
        )
        purchase_import.file.save(original_name or file.name, file, save=False)
        purchase_import.save()
        outbox_enqueue(run_purchase_import, purchase_import.pk)
    return purchase_import


def purchase_imports_resume(*, import_ids, now: datetime | None = None) -> list[int]:
    """Queue the run of each of ``import_ids`` that is not done; returns the ids queued.

    A ``running`` import (its worker may have died) is queued as it is: if it is in fact
    still running, the new run returns at once (one run per import), and otherwise it resumes
    after its last committed transaction. A ``failed`` import (stopped by an error, e.g. the
    database going away) goes back to ``queued`` and resumes the same way; its error report
    is written anew at the end. ``progress_at`` is set to now, so the stale-import job leaves
    it alone for a while. The task is queued through the outbox, in this transaction.
    """
    from rewards.purchases.tasks import run_purchase_import  # lazy: the tasks module imports this one

    now = now or timezone.now()
    queued = []
    with transaction.atomic():
        imports = (
            PurchaseImport.objects.select_for_update()
            .filter(pk__in=list(import_ids))
            .exclude(status=PurchaseImportStatus.DONE)
            .order_by("pk")
        )
        for purchase_import in imports:
            fields = ["progress_at"]
            purchase_import.progress_at = now
            if purchase_import.status == PurchaseImportStatus.FAILED:
                purchase_import.status = PurchaseImportStatus.QUEUED
                purchase_import.error_message = ""
                purchase_import.finished_at = None
                purchase_import.error_file = ""
                fields += ["status", "error_message", "finished_at", "error_file"]
            purchase_import.save(update_fields=fields)
            outbox_enqueue(run_purchase_import, purchase_import.pk)
            queued.append(purchase_import.pk)
    return queued


def purchase_imports_resume_stale(*, now: datetime, stale_after: timedelta) -> int:
    """Queue again every import ``queued`` or ``running`` with no progress since ``now -
    stale_after`` (a run commits every few seconds, so its worker died or its task was
    lost); returns how many. Safe to run twice: a re-queued import counts as progress."""
    since = now - stale_after
    stale = PurchaseImport.objects.filter(
        status__in=[PurchaseImportStatus.QUEUED, PurchaseImportStatus.RUNNING]
    ).filter(models.Q(progress_at__lt=since) | models.Q(progress_at__isnull=True, created_at__lt=since))
    ids = list(stale.values_list("pk", flat=True))
    if not ids:
        return 0
    logger.warning("Purchase imports %s made no progress for %s: queued again.", ids, stale_after)
    return len(purchase_imports_resume(import_ids=ids, now=now))
