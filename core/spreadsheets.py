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
``tests/clubportal/test_spreadsheets.py`` checks each export with such a value.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import Any

from django_tables2.export import TableExport

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def neutralise(value: Any) -> Any:
    """``value``, or for text a spreadsheet would take for a formula, the text with ``'`` before it."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_row(row: Iterable[Any]) -> list[Any]:
    return [neutralise(value) for value in row]


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


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The CSV text of ``rows``, one line at a time, for a ``StreamingHttpResponse``."""
    writer = csv_writer(_Echo())
    for row in rows:
        yield writer.writerow(row)


class SafeTableExport(TableExport):
    """django-tables2's export (CSV, XLSX, ...) with every cell neutralised; set it as a
    view's ``export_class``."""

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        headers = dataset.headers
        rows = [neutralise_row(row) for row in dataset]
        dataset.wipe()
        dataset.headers = neutralise_row(headers) if headers else headers
        for row in rows:
            dataset.append(row)
        return dataset


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
