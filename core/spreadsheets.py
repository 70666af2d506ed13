"""The one way the project writes CSV and XLSX files for people to open in a spreadsheet.

Guarantee: no cell of a file written through this module is read as a formula by Excel,
LibreOffice or Google Sheets. A text value that begins with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return (what those programs take for the start of a formula, e.g.
``=HYPERLINK("http://evil","x")`` in a company name or an imported row) is written with a
leading apostrophe (``'=HYPERLINK(…)``), so it is shown as the text it is and never run
(OWASP "CSV injection"). Numbers are written as numbers (``-5`` stays ``-5``, whether it
comes as an ``int``/``Decimal`` or as the text of a plain number), so columns of points and
amounts still add up. Every export, error report and download in the project goes through
``neutralise``: ``csv_writer`` and ``csv_stream`` for CSV, ``SafeTableExport`` for
django-tables2's CSV/XLSX exports, ``guard_wagtail_exports`` for every Wagtail one.
``tests/core/test_spreadsheets.py`` checks each export with such a value. A
django-tables2 export view offers exactly the formats it declares (``export_formats``,
through ``DeclaredExportFormatsMixin``): any other ``?_export=`` is a 400 naming them.

Files for people also fit the reader's spreadsheet (``reader_conventions``): CSV starts with
a UTF-8 byte-order mark (so Excel reads "Göteborg", not "GÃ¶teborg"), separates cells with
``;`` where the reader's language writes decimal commas (Swedish, Dutch: Excel there splits
on ``;``) and writes decimals with that comma; dates are ISO (``2026-01-20 14:05``, which
every spreadsheet reads as a date). XLSX gets real dates and numbers. Every money column of
every export writes its amounts in cents through ``money_cell`` (``45849.98``, never the
``45849.9800000000`` a sum in SQL can come back as).

Files people upload, saved from those same programs, are read with the same conventions in
mind (``CSV_DELIMITERS``, ``csv_delimiter_sniff``, ``csv_line_values``): a comma, a semicolon
(Excel in Swedish or Dutch) or a tab, decided from the first line, and one record per
physical line, so a quote left open spoils one line, never the lines after it. These are
the rules the purchase import reads its files by (``rewards.purchases.imports``); the
voucher code upload (``rewards.catalogue.services``) reads its files through them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.utils import formats, timezone
from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext as _
from django_tables2.export import ExportMixin, TableExport

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# ASCII digits: "-١٠٠" is no number a spreadsheet reads, but a formula to it.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")


def neutralise(value: Any) -> Any:
    """``value``, or for text a spreadsheet would take for a formula, the text with ``'`` before it."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    return [neutralise(value) for value in row]


CENT = Decimal("0.01")


def money_cell(amount: Decimal | int | None) -> Decimal | None:
    """An amount of money as every export writes it: a number in cents (``45849.98``), rounded
    half away from zero like the pages and SQL's ``ROUND``; ``None`` (no figure) stays an
    empty cell.

    A money column of an export goes through here, because the export cannot tell an amount
    from a share or a ratio (which keep their decimals): amounts summed or converted in SQL
    come back with whatever scale the database gives them (SQLite's fifteen significant
    digits, ``45849.9800000000``; a PostgreSQL product with a reporting rate). It stays a
    ``Decimal``, so CSV writes it with the reader's decimal mark and XLSX as a number."""
    if amount is None:
        return None
    rounded = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded  # "0.00", never "-0.00"


class _SafeWriter:
    """``csv.writer`` whose rows go through ``neutralise``."""

    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(neutralise_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(file, **kwargs) -> _SafeWriter:
    """A ``csv.writer`` on ``file`` (same arguments) that neutralises formula cells."""
    return _SafeWriter(csv.writer(file, **kwargs))


BOM = "\ufeff"


@dataclass(frozen=True)
class ReaderConventions:
    """How a reader's spreadsheet program expects a CSV file: its decimal mark, and the cell
    delimiter that does not clash with it."""

    decimal_separator: str
    delimiter: str

    def cell(self, value: Any) -> Any:
        """``value`` as the reader's spreadsheet reads it from CSV: decimals with the reader's
        decimal mark and no grouping (``-12,50``), dates and times in ISO, local time."""
        if isinstance(value, bool):
            return value
        if isinstance(value, Decimal | float):
            return str(value).replace(".", self.decimal_separator)
        if isinstance(value, datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value)
            return value.strftime("%Y-%m-%d %H:%M")
        if isinstance(value, date):
            return value.isoformat()
        return value


def reader_conventions() -> ReaderConventions:
    """The conventions of the active language: ``;`` and ``,`` for Swedish and Dutch, ``,``
    and ``.`` for English."""
    decimal = formats.get_format("DECIMAL_SEPARATOR") or "."
    return ReaderConventions(decimal_separator=decimal, delimiter=";" if decimal == "," else ",")


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[Iterable[Any]], *, for_reader: bool = True) -> Iterator[str]:
    """The CSV text of ``rows``, one line at a time, for a ``StreamingHttpResponse``.

    ``for_reader``: a file a person opens (the default) starts with a BOM and follows the
    active language's conventions (``reader_conventions``); ``False`` writes plain
    comma-separated CSV for a machine.
    """
    if not for_reader:
        writer = csv_writer(_Echo())
        for row in rows:
            yield writer.writerow(row)
        return
    conventions = reader_conventions()
    writer = csv_writer(_Echo(), delimiter=conventions.delimiter)
    yield BOM
    for row in rows:
        yield writer.writerow([conventions.cell(value) for value in row])


def _xlsx_cell(value: Any) -> Any:
    """A real date or number for a workbook: aware datetimes in local time (XLSX has no
    zones), ISO date text (``2026-01-20 14:05``) as the date it is."""
    if isinstance(value, datetime):
        return timezone.make_naive(value) if timezone.is_aware(value) else value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            return value
    return value


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2})?)?")


def xlsx_bytes(rows: Iterable[Iterable[Any]], *, title: str = "Sheet") -> bytes:
    """An XLSX workbook of ``rows`` (the first is the header): every cell neutralised, real
    dates and numbers (``Decimal`` as a number). Written in openpyxl's write-only mode, so
    memory stays small for long tables."""
    from openpyxl import Workbook  # lazy: only exports need it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_name(title) or "Sheet")
    for row in rows:
        sheet.append([_xlsx_cell(value) for value in neutralise_row(row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_name(words: str) -> str:
    """``words`` as an XLSX sheet's name: within Excel's 31 characters, without the
    characters it forbids there."""
    return re.sub(r"[\[\]:*?/\\]", " ", words)[:31]


def _sheet_title(table) -> str:
    """A table's sheet name: its rows as a sentence ("Entries in points history"), not
    django-tables2's title case ("Regels In Puntenhistorie" for a Dutch reader)."""
    model = getattr(table._meta, "model", None)
    return sheet_name(capfirst(str(model._meta.verbose_name_plural) if model is not None else _("Export")))


class SafeTableExport(TableExport):
    """django-tables2's export, CSV or XLSX, with every cell neutralised and the file fit
    for its reader (a BOM, ``;`` and decimal commas in CSV for Swedish and Dutch readers;
    real dates in XLSX); set it as a view's ``export_class``. The reader's conventions are
    those of the language active when the export is made (the request's).

    Only those two formats: tablib's others (ODS, XLS, JSON, YAML, LaTeX, TSV) are neither
    made fit for a reader nor all installed, so ``is_valid_format`` refuses them. Which of
    the two a view offers is its ``export_formats`` (``DeclaredExportFormatsMixin``)."""

    FORMATS = {name: TableExport.FORMATS[name] for name in (TableExport.CSV, TableExport.XLSX)}

    @classmethod
    def is_valid_format(cls, export_format):
        return export_format is not None and export_format in cls.FORMATS

    def __init__(self, export_format, table, exclude_columns=None, dataset_kwargs=None):
        self.conventions = reader_conventions()
        dataset_kwargs = {"title": _sheet_title(table), **(dataset_kwargs or {})}
        super().__init__(export_format, table, exclude_columns, dataset_kwargs)

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        headers = dataset.headers
        rows = [neutralise_row(row) for row in dataset]
        if self.format == self.XLSX:
            rows = [[_xlsx_cell(value) for value in row] for row in rows]
        dataset.wipe()
        dataset.headers = neutralise_row(headers) if headers else headers
        for row in rows:
            dataset.append(row)
        return dataset

    def export(self):
        if self.format != self.CSV:
            return super().export()
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.conventions.delimiter)
        if self.dataset.headers:
            writer.writerow(self.dataset.headers)
        for row in self.dataset:
            writer.writerow([self.conventions.cell(value) for value in row])
        return BOM + buffer.getvalue()


def guard_wagtail_exports() -> None:
    """Make every Wagtail spreadsheet export neutralise its values: the project's own
    ``list_export`` viewsets and Wagtail's built-in reports (locked pages, site history,
    workflows...), CSV and XLSX, all of which go through
    ``SpreadsheetExportMixin.preprocess_field_value``. Wagtail neutralises nothing in CSV,
    and no hook reaches its reports, so the method is wrapped once, at start-up
    (``ClubportalConfig.ready``)."""
    from wagtail.admin.views.mixins import (
        SpreadsheetExportMixin,  # lazy: only this start-up hook needs Wagtail's admin views
    )

    original = SpreadsheetExportMixin.preprocess_field_value
    if getattr(original, "neutralises", False):
        return

    def preprocess_field_value(self, field, value, export_format):
        return neutralise(original(self, field, value, export_format))

    preprocess_field_value.neutralises = True
    SpreadsheetExportMixin.preprocess_field_value = preprocess_field_value


def export_format_refused(formats) -> HttpResponseBadRequest:
    """The 400 for a format a list is not offered in: "This list can be downloaded as CSV or
    XLSX." (the request's value is not repeated back)."""
    offered = get_text_list([name.upper() for name in formats], _("or"))
    message = _("This list can be downloaded as %(formats)s.") % {"formats": offered}
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class DeclaredExportFormatsMixin(ExportMixin):
    """django-tables2's ``ExportMixin`` that exports exactly the formats the view declares in
    ``export_formats``, in place of ``ExportMixin`` (or placed before it).

    ``ExportMixin`` on its own exports any format tablib knows, whatever the view declares:
    ``?_export=ods`` was a 500, ``?_export=json`` a download of the whole table built in
    memory. Here ``?_export=`` with a declared format is that export; any other value (an
    undeclared format, a typo, ``CSV`` for ``csv``, a NUL, a very long value) is a 400 that
    names the formats the list is offered in, in the reader's language, answered after the
    view's access check and before the list is read; no value (or an empty one) is the page. Views ask ``requested_export_format``
    whether this request is an export, never ``export_class.is_valid_format``."""

    def requested_export_format(self) -> str | None:
        """The declared format this request exports, or ``None`` for the page."""
        value = self.request.GET.get(self.export_trigger_param)
        return value if value and value in self.export_formats else None

    def get(self, request, *args, **kwargs):
        value = request.GET.get(self.export_trigger_param)
        if value and value not in self.export_formats:
            return self.export_format_refused()
        return super().get(request, *args, **kwargs)

    def export_format_refused(self) -> HttpResponseBadRequest:
        return export_format_refused(self.export_formats)

    def render_to_response(self, context, **kwargs):
        export_format = self.requested_export_format()
        if export_format is not None:
            return self.create_export(export_format)
        # Past ExportMixin's own check, which accepts every format tablib knows.
        return super(ExportMixin, self).render_to_response(context, **kwargs)


class StreamingCsvExportMixin(DeclaredExportFormatsMixin):
    """For a django-tables2 ``ExportMixin`` view, placed before it: ``?_export=csv`` streams
    the table's rows from a database cursor (``QuerySet.iterator``) through ``csv_stream``
    (formula cells neutralised, the reader's conventions) instead of building the whole file
    in memory inside the request — a club-wide table is tens of thousands of rows. The
    table's ordering and the view's filters apply; other declared formats are left to the
    mixin, undeclared ones are a 400 (``DeclaredExportFormatsMixin``)."""

    export_chunk_size = 2000

    def create_export(self, export_format):
        if export_format != TableExport.CSV:
            return super().create_export(export_format)
        from django_tables2.data import TableQuerysetData

        table = self.get_table(**self.get_table_kwargs())
        if isinstance(table.data, TableQuerysetData):
            table.data.data = table.data.data.iterator(chunk_size=self.export_chunk_size)
        rows = table.as_values(exclude_columns=self.exclude_columns)
        response = StreamingHttpResponse(csv_stream(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.get_export_filename(export_format)}"'
        return response


# --- Reading a CSV file saved from a spreadsheet -----------------------------------------------

# The delimiters an uploaded CSV file may use. Excel writes ";" where the language writes
# decimal commas (Swedish, Dutch), "," elsewhere, and tabs for "Text (Tab delimited)".
CSV_DELIMITERS = (",", ";", "\t")


class CsvLineError(ValueError):
    """One line cannot be read as a CSV record; the message says why, for a person."""


def csv_line_values(text: str, *, delimiter: str) -> list[str]:
    """The cells of one physical line (without its line ending) read as one CSV record, with
    RFC 4180 quoting and strict parsing. A quote left open at the end of the line raises
    ``CsvLineError`` for this line, instead of swallowing the lines after it into one cell."""
    try:
        return next(csv.reader([text], strict=True, delimiter=delimiter), [])
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise CsvLineError(_("A quoted field is not closed on its line (a row must fit on one line).")) from exc
        raise CsvLineError(_("The row cannot be read as CSV: %(error)s") % {"error": exc}) from exc


def csv_delimiter_sniff(line: str, *, known_names: Collection[str]) -> str:
    """The delimiter of a CSV file, read from its first line (its header row, if it has one).

    The one of ``CSV_DELIMITERS`` that splits ``line`` into the most cells named in
    ``known_names`` (compared stripped and lower-case; the earlier delimiter, a comma
    first, on a tie). When no delimiter splits out a known name (a file without a header,
    or a header the caller will refuse), the delimiter that occurs most often in the line,
    and a comma when none occurs.
    """
    known = {name.lower() for name in known_names}
    best_count, best = 0, None
    for delimiter in CSV_DELIMITERS:
        try:
            cells = csv_line_values(line, delimiter=delimiter)
        except CsvLineError:
            continue
        count = sum(cell.strip().lower() in known for cell in cells)
        if count > best_count:
            best_count, best = count, delimiter
    if best is not None:
        return best
    counts = {delimiter: line.count(delimiter) for delimiter in CSV_DELIMITERS}
    most = max(CSV_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return most if counts[most] else ","


def csv_delimiter_name(delimiter: str | None) -> str:
    """The delimiter as a person names it: "semicolons (;)"."""
    names = {",": _("commas (,)"), ";": _("semicolons (;)"), "\t": _("tabs")}
    return str(names.get(delimiter, _("no delimiter")))
