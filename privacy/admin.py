"""People's data requests and the retention settings in the Django admin.

Staff see the open erasure requests first, by deadline (overdue ones flagged), and carry one
out or refuse it with the actions below; both call ``privacy.services`` and need
``privacy.change_erasurerequest`` (Club admins)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
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
        if not super().has_add_permission(request):
            return False
        # One row: asked on this model's own pages only, not by the app list that every admin
        # page draws (a query per admin page otherwise). Its add view asks again.
        match = getattr(request, "resolver_match", None)
        prefix = f"{self.opts.app_label}_{self.opts.model_name}_"
        if match is None or not (match.url_name or "").startswith(prefix):
            return True
        return not RetentionSettings.objects.exists()

    def add_view(self, request, form_url="", extra_context=None):
        existing = RetentionSettings.objects.order_by("pk").first()
        if existing is not None:  # an "Add" link of the app list leads to the one row
            return redirect(reverse("admin:privacy_retentionsettings_change", args=[existing.pk]))
        return super().add_view(request, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        return False
