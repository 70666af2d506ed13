"""The member's points history (/points/history/). Thin: the company comes from the membership
(never from the URL), entries come from ``rewards.ledger.selectors``, the programme rules are read
once per request. The CSV export streams (85 000 entries are never held in memory at once)."""

from __future__ import annotations

from itertools import islice

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language, override
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from core.models import Branding
from core.pagination import TwoEndedPaginator
from core.spreadsheets import DeclaredExportFormatsMixin, SafeTableExport, csv_stream
from members.views import MemberRequiredMixin
from rewards.ledger.filters import LedgerEntryFilter
from rewards.ledger.selectors import account_summary, company_ledger_entries, programme_rules_for_request
from rewards.ledger.tables import LedgerEntryTable

HISTORY_PER_PAGE = 25
# Entries per table while a CSV export streams: each chunk is one query for the entries and
# one for their origins, and only one chunk is in memory at a time.
EXPORT_CHUNK = 2000


class PointsHistoryView(MemberRequiredMixin, DeclaredExportFormatsMixin, SingleTableMixin, FilterView):
    """Every ledger entry of the member's company, filterable by kind and date, with CSV and
    XLSX export (``?_export=csv|xlsx``; any other value is a 400) of the filtered rows. Fixed
    query count per page."""

    table_class = LedgerEntryTable
    filterset_class = LedgerEntryFilter
    template_name = "rewards/ledger_history.html"
    # The far pages are read from the other end (the last page costs what the first does).
    table_pagination = {"per_page": HISTORY_PER_PAGE, "paginator_class": TwoEndedPaginator}
    export_class = SafeTableExport  # formula cells neutralised (core.spreadsheets)
    export_formats = ("csv", "xlsx")
    # A filter that cannot apply ("from" after "to") shows its error above every entry, not
    # an empty list that looks like "nothing happened".
    strict = False

    def get_queryset(self):
        return company_ledger_entries(company=self.company)

    def get_table_kwargs(self):
        return {
            "rules": programme_rules_for_request(self.request),
            "club_name": Branding.for_request(self.request).club_name,
        }

    def create_export(self, export_format):
        """CSV streams, a chunk of entries at a time, in the reader's language and spreadsheet
        conventions, every cell through ``csv_stream``'s formula guard; XLSX is built by
        django-tables2's export as before."""
        if export_format != "csv":
            return super().create_export(export_format)
        entries = self.object_list  # the filtered entries, newest first
        table_kwargs = self.get_table_kwargs()
        language = get_language()

        def rows():
            chunks = entries.iterator(chunk_size=EXPORT_CHUNK)
            first = True
            while chunk := list(islice(chunks, EXPORT_CHUNK)):
                values = self.table_class(chunk, **table_kwargs).export_values(
                    chunk, exclude_columns=self.exclude_columns
                )
                header = next(values)
                if first:
                    yield header
                    first = False
                yield from values
            if first:  # no entries: the header alone
                yield next(self.table_class([], **table_kwargs).as_values(exclude_columns=self.exclude_columns))

        def stream():
            with override(language):  # the response is written after the view has returned
                yield from csv_stream(rows())

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.get_export_filename("csv")}"'
        return response

    def get_export_filename(self, export_format):
        return f"points-{slugify(self.company.name)}-{timezone.localdate().isoformat()}.{export_format}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.requested_export_format():
            return context  # the export renders no page: skip the summary queries
        context.update(
            company=self.company,
            points_rules=programme_rules_for_request(self.request),
            summary=account_summary(company=self.company),
            filtered=self.filterset.is_bound and any(self.request.GET.get(name) for name in self.filterset.filters),
        )
        return context
