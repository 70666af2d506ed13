from django.contrib import admin

from core.admin import ReadOnlyAdminMixin

from .models import OutboxTask


@admin.register(OutboxTask)
class OutboxTaskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What waits for the broker and what was published (superusers: no staff group has the
    permission). Rows change only through ``outbox.services``."""

    list_display = ["pk", "task_name", "created_at", "published_at", "attempts", "last_error"]
    list_filter = [("published_at", admin.EmptyFieldListFilter), "task_name"]
    search_fields = ["task_name"]
    date_hierarchy = "created_at"
    show_full_result_count = False
