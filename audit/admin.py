"""The audit trail in the Django admin: read-only (nobody adds, changes or deletes a row,
not even a superuser), searchable by person, object and change, filtered by action, model
and date, and exported as formula-safe CSV with the list's current search and filters."""

from __future__ import annotations

from auditlog.admin import LogEntryAdmin as LibraryLogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.admin_guard import BAD_PARAMETER_ERRORS, lookups_readable
from core.spreadsheets import csv_stream

admin.site.unregister(LogEntry)

EXPORT_BATCH = 2000


def change_lines(entry: LogEntry) -> str:
    """``field: before → after`` per changed field, one per line."""
    changes = entry.changes_dict or {}
    lines = []
    for field, values in changes.items():
        if isinstance(values, dict):  # many-to-many: {"type": "add", "objects": [...]}
            lines.append(f"{field}: {values.get('type', '')} {', '.join(map(str, values.get('objects', [])))}")
        elif isinstance(values, (list, tuple)) and len(values) == 2:
            lines.append(f"{field}: {values[0]} → {values[1]}")
        else:
            lines.append(f"{field}: {values}")
    return "\n".join(lines)


@admin.register(LogEntry)
class AuditTrailAdmin(LibraryLogEntryAdmin):
    change_list_template = "admin/audit/logentry/change_list.html"
    search_fields = ["object_repr", "object_pk", "changes_text", "changes", "actor__email", "actor_email"]
    list_per_page = 50

    def has_delete_permission(self, request, obj=None):
        # The library allows a cascade from a deleted object; the trail outlives what it describes.
        return False

    def get_urls(self):
        urls = super().get_urls()
        export = path("export/", self.admin_site.admin_view(self.export_view), name="auditlog_logentry_export")
        return [export, *urls]

    def export_view(self, request):
        """The entries the list shows now (search, filters, date), oldest first, as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        # A query string the list would refuse is refused here too, before the download
        # starts (a bad value would otherwise break the file half way).
        try:
            if not lookups_readable(self, request):
                raise IncorrectLookupParameters
            changelist = self.get_changelist_instance(request)
            queryset = (
                changelist.get_queryset(request).select_related("content_type", "actor").order_by("timestamp", "pk")
            )
            queryset.exists()
        except (IncorrectLookupParameters, *BAD_PARAMETER_ERRORS):
            return redirect(f"{reverse('admin:auditlog_logentry_changelist')}?{ERROR_FLAG}=1")
        header = [_("When"), _("Who"), _("Action"), _("Model"), _("Object id"), _("Object"), _("Changes")]
        actions = dict(LogEntry.Action.choices)

        def rows():
            yield header
            for entry in queryset.iterator(chunk_size=EXPORT_BATCH):
                yield [
                    timezone.localtime(entry.timestamp).strftime("%Y-%m-%d %H:%M:%S"),
                    entry.actor.email if entry.actor else (entry.actor_email or _("system")),
                    str(actions.get(entry.action, entry.action)),
                    entry.content_type.name if entry.content_type else "",
                    entry.object_pk,
                    entry.object_repr,
                    change_lines(entry),
                ]

        response = StreamingHttpResponse(csv_stream(rows()), content_type="text/csv; charset=utf-8")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
        return response
