from django.contrib import admin

from members.admin_scoping import CompanyScopedAdminMixin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(CompanyScopedAdminMixin, admin.ModelAdmin):
    """Read-only: notifications are written by ``notifications.services`` only."""

    company_path = "recipient__membership__company"  # staff's own notices: whole-club roles only

    list_display = ["created_at", "recipient", "kind", "title", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__email", "key"]  # the title is rendered when read, not stored as words
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
