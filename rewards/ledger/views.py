"""The member's points history (/points/history/). Thin: the company comes from the membership
(never from the URL), entries come from ``rewards.ledger.selectors``, the programme rules are read
once per request."""

from __future__ import annotations

from django.utils import timezone
from django.utils.text import slugify
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export import ExportMixin

from core.models import Branding
from core.spreadsheets import SafeTableExport
from members.views import MemberRequiredMixin
from rewards.ledger.filters import LedgerEntryFilter
from rewards.ledger.selectors import (
    account_summary,
    balances_after_entries,
    company_ledger_entries,
    programme_rules_for_request,
)
from rewards.ledger.tables import LedgerEntryTable

HISTORY_PER_PAGE = 25


class PointsHistoryView(MemberRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    """Every ledger entry of the member's company, filterable by kind and date, with CSV and
    XLSX export (``?_export=csv|xlsx``) of the filtered rows. Fixed query count per page."""

    table_class = LedgerEntryTable
    filterset_class = LedgerEntryFilter
    template_name = "rewards/ledger_history.html"
    table_pagination = {"per_page": HISTORY_PER_PAGE}
    export_class = SafeTableExport  # formula cells neutralised (core.spreadsheets)
    export_formats = ("csv", "xlsx")
    # A filter that cannot apply ("from" after "to") shows its error above every entry, not
    # an empty list that looks like "nothing happened".
    strict = False

    def _exporting(self) -> bool:
        return self.export_class.is_valid_format(self.request.GET.get(self.export_trigger_param))

    def get_queryset(self):
        # An export lists every entry: its balances come from one walk, not a sum per row.
        return company_ledger_entries(company=self.company, with_balance=not self._exporting())

    def get_table_kwargs(self):
        return {
            "rules": programme_rules_for_request(self.request),
            "club_name": Branding.for_request(self.request).club_name,
            "balances": self._export_balances() if self._exporting() else None,
        }

    def _export_balances(self) -> dict[int, int]:
        if not hasattr(self, "_balances"):  # the export builds its table more than once
            self._balances = balances_after_entries(company=self.company)
        return self._balances

    def get_export_filename(self, export_format):
        return f"points-{slugify(self.company.name)}-{timezone.localdate().isoformat()}.{export_format}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self._exporting():
            return context  # the export renders no page: skip the summary queries
        context.update(
            company=self.company,
            points_rules=programme_rules_for_request(self.request),
            summary=account_summary(company=self.company),
            filtered=self.filterset.is_bound and any(self.request.GET.get(name) for name in self.filterset.filters),
        )
        return context
