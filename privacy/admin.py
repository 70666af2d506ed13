"""People's data requests and the retention settings in the Django admin.

Staff see the open erasure requests first, by deadline (overdue ones flagged), and carry one
out or refuse it with the actions below; both call ``privacy.services`` and need
``privacy.change_erasurerequest`` (Club admins)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin
from privacy.models import ErasureRequest, ErasureStatus, RetentionSettings
from privacy.services import PrivacyError, erasure_confirm


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "user", "status", "requested_at", "due_at", "overdue", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["user__email", "pseudonym"]
    list_select_related = ["user", "decided_by"]
    actions = ["carry_out"]
    ordering = ["status", "due_at"]

    @admin.display(boolean=True, description=_("overdue"))
    def overdue(self, obj: ErasureRequest) -> bool:
        return obj.is_overdue

    @admin.action(description=_("Erase the selected people's data"), permissions=["erase"])
    def carry_out(self, request, queryset):
        done = 0
        for erasure in queryset.filter(status=ErasureStatus.REQUESTED).select_related("user"):
            try:
                erasure_confirm(request=erasure, by=request.user)
            except PrivacyError as error:
                self.message_user(request, f"{erasure}: {error}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d person erased.", "%(count)d people erased.", done) % {"count": done},
                messages.SUCCESS,
            )

    def has_erase_permission(self, request) -> bool:
        return request.user.has_perm("privacy.change_erasurerequest")


@admin.register(RetentionSettings)
class RetentionSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "expired_invitation_days", "removed_contact_days", "attachment_days"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not RetentionSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
