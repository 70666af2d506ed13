"""Admin for CSV purchase imports: upload a file, watch its progress, download the error report.

Also the read-only purchases. The upload only stores the file and enqueues
``rewards.tasks.run_purchase_import`` after the transaction commits; the import itself
runs in the worker (see ``rewards.purchases.imports``).
"""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import LargeTableAdminMixin
from core.spreadsheets import BOM
from members.admin_scoping import CompanyScopedAdminMixin
from members.models import Company
from outbox.services import outbox_enqueue
from rewards.ledger.admin import ReadOnlyAdmin
from rewards.ledger.selectors import purchase_sources
from rewards.models import Purchase, PurchaseImport, PurchaseImportStatus, PurchaseLine
from rewards.purchases.imports import purchase_imports_resume
from rewards.purchases.tasks import run_purchase_import

MAX_UPLOAD_BYTES = 500 * 1024 * 1024  # about 7 million rows; larger files: split them
FAILURE_SHOWN_CHARS = 120  # of a failed import's reason, in the list


class PurchaseImportUploadForm(forms.ModelForm):
    class Meta:
        model = PurchaseImport
        fields = ["file"]
        help_texts = {
            "file": _(
                "A UTF-8 CSV file separated by commas or semicolons, with a header row: company_external_id, "
                "source, external_id, occurred_at, net_amount, currency, and optionally category_code and "
                "original_external_id."
            )
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(
                gettext("Upload a .csv file; %(name)s is not one.") % {"name": Path(upload.name).name}
            )
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                gettext("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_UPLOAD_BYTES)}
            )
        return upload


def _with_bom(file, chunk_size: int = 64 * 1024):
    """The bytes of a stored UTF-8 CSV ``file``, with a byte-order mark in front (unless it has one)."""
    bom = BOM.encode("utf-8")
    with file:
        first = file.read(chunk_size)
        if not first.startswith(bom):
            yield bom
        while first:
            yield first
            first = file.read(chunk_size)


@admin.register(PurchaseImport)
class PurchaseImportAdmin(admin.ModelAdmin):
    """Imports are added (uploaded) and viewed, never edited: the worker owns the counters."""

    change_list_template = "rewards/admin/purchaseimport_change_list.html"
    list_display = [
        "created_at",
        "name",
        "status",
        "failure",
        "progress",
        "progress_at",
        "rows_created",
        "rows_duplicate",
        "rows_failed",
        "error_report",
        "created_by",
    ]
    actions = ["resume_imports"]
    list_filter = ["status"]
    list_select_related = ["created_by"]
    readonly_fields = [
        "original_name",
        "file",
        "status",
        "progress",
        "total_rows",
        "rows_done",
        "rows_created",
        "rows_duplicate",
        "rows_failed",
        "error_report",
        "error_message",
        "created_by",
        "created_at",
        "started_at",
        "progress_at",
        "finished_at",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = PurchaseImportUploadForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["file"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.created_by = request.user
        obj.original_name = Path(form.cleaned_data["file"].name).name[:255]
        super().save_model(request, obj, form, change)
        # The admin's add view runs in a transaction: the task starts once the row is committed.
        outbox_enqueue(run_purchase_import, obj.pk)

    @admin.action(description=_("Resume selected imports"), permissions=["add"])
    def resume_imports(self, request, queryset):
        """Queue each selected import that is not done again: a stuck one resumes after its
        last committed transaction (one that is in fact running is not disturbed). Staff
        who may upload imports may resume them."""
        selected = list(queryset.values_list("pk", flat=True))
        queued = purchase_imports_resume(import_ids=selected)
        if queued:
            self.message_user(
                request,
                ngettext(
                    "%(count)s import was queued to resume.", "%(count)s imports were queued to resume.", len(queued)
                )
                % {"count": len(queued)},
                messages.SUCCESS,
            )
        left = len(selected) - len(queued)
        if left:
            self.message_user(
                request,
                ngettext(
                    "%(count)s import is done and was left alone.",
                    "%(count)s imports are done and were left alone.",
                    left,
                )
                % {"count": left},
                messages.WARNING,
            )

    def get_urls(self):
        return [
            path(
                "<int:pk>/errors/",
                self.admin_site.admin_view(self.error_file_view),
                name="rewards_purchaseimport_errors",
            ),
            *super().get_urls(),
        ]

    def error_file_view(self, request, pk: int):
        """Stream the error report to staff who may view imports (not served from public MEDIA)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        purchase_import = get_object_or_404(PurchaseImport, pk=pk)
        if not purchase_import.error_file:
            raise Http404
        # Like every CSV a person opens (the staff accounts export, ``core.spreadsheets``): UTF-8,
        # said in the header and by a byte-order mark, so Excel shows "ERP-Ö99", not "ERP-Ã\u009699".
        response = StreamingHttpResponse(
            _with_bom(purchase_import.error_file.open("rb")), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"errors-{Path(purchase_import.original_name or 'import.csv').stem}-{pk}.csv"
        )
        return response

    @admin.display(description=_("file"), ordering="original_name")
    def name(self, obj: PurchaseImport) -> str:
        return str(obj)

    @admin.display(description=_("progress"))
    def progress(self, obj: PurchaseImport) -> str:
        total = obj.total_rows
        if total is None:
            return gettext("counting rows…") if obj.status == PurchaseImportStatus.RUNNING else "–"
        label = gettext("%(done)s of %(total)s rows") % {"done": obj.rows_done, "total": total}
        return format_html(
            '<progress value="{}" max="{}" aria-label="{}"></progress> {}',
            min(obj.rows_done, total),
            max(total, 1),
            label,
            label,
        )

    @admin.display(description=_("error"))
    def failure(self, obj: PurchaseImport) -> str:
        """Why an import failed as a whole, cut short in the list (all of it on hover and on
        the import's page), escaped like any text from the file."""
        if not obj.error_message:
            return "–"
        return format_html(
            '<span title="{}">{}</span>',
            obj.error_message,
            Truncator(obj.error_message).chars(FAILURE_SHOWN_CHARS),
        )

    @admin.display(description=_("error report"))
    def error_report(self, obj: PurchaseImport) -> str:
        if not obj.error_file:
            return "–"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:rewards_purchaseimport_errors", args=[obj.pk]),
            gettext("Download (%(count)s rows)") % {"count": obj.rows_failed},
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "imports_active": PurchaseImport.objects.filter(
                status__in=[PurchaseImportStatus.QUEUED, PurchaseImportStatus.RUNNING]
            ).exists(),
        }
        return super().changelist_view(request, extra_context)


class PurchaseLineInline(admin.TabularInline):
    model = PurchaseLine
    extra = 0
    can_delete = False
    readonly_fields = ["sku", "category", "amount"]

    def has_add_permission(self, request, obj=None):
        return False


class PurchaseSourceFilter(admin.SimpleListFilter):
    """The sources, read from the unique key's index (``purchase_sources``) rather than a
    ``SELECT DISTINCT`` over every purchase in scope."""

    title = _("source")
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return [(source, source) for source in purchase_sources()]

    def queryset(self, request, queryset):
        return queryset.filter(source=self.value()) if self.value() else queryset


@admin.register(Purchase)
class PurchaseAdmin(CompanyScopedAdminMixin, LargeTableAdminMixin, ReadOnlyAdmin):
    """Millions of rows: a capped count, the sources from the index, and a search that
    finds the companies first (``get_search_results``)."""

    company_path = "company"
    list_display = ["occurred_at", "company", "source", "external_id", "net_amount", "currency", "original"]
    list_select_related = ["company", "original"]
    list_filter = [PurchaseSourceFilter, "occurred_at"]
    search_fields = ["external_id", "company__name"]
    search_help_text = _("A company's name or customer number, or a purchase reference (exactly).")

    def get_search_results(self, request, queryset, search_term):
        """Purchases of the companies whose name contains the term (or whose customer number
        is it), or whose reference is the term, looked up on the unique (source, reference)
        index — not ``ILIKE '%…%'`` on millions of joined rows."""
        term = search_term.strip()
        if not term:
            return queryset, False
        # The ids first (a small table), so PostgreSQL combines two index scans on purchases.
        companies = list(
            Company.objects.filter(Q(name__icontains=term) | Q(external_id__iexact=term)).values_list("pk", flat=True)
        )
        condition = Q(company_id__in=companies)
        if len(term) <= 100:
            condition |= Q(source__in=purchase_sources(), external_id=term)
        return queryset.filter(condition), False

    inlines = [PurchaseLineInline]
