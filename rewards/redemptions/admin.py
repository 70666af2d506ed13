"""Admin of redemptions: read-only, with their event trail; orders move only through the
fulfilment pages (``rewards.redemptions.staff_views``) and the company's own pages."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdminMixin
from members.admin_scoping import CompanyScopedAdminMixin
from rewards.models import InvoiceCredit, Redemption, RedemptionEvent


class RedemptionEventInline(admin.TabularInline):
    model = RedemptionEvent
    fields = ["created_at", "status", "actor", "actor_label", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Redemption)
class RedemptionAdmin(CompanyScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: redemptions move only through the fulfilment pages and the company's own pages."""

    company_path = "company"
    list_display = [
        "number",
        "requested_at",
        "company",
        "reward_title",
        "quantity",
        "points_total",
        "status",
        "staff_link",
    ]
    list_filter = ["status", "reward_kind"]
    list_select_related = ["company"]
    search_fields = ["company__name", "reward_title", "=id"]
    date_hierarchy = "requested_at"
    inlines = [RedemptionEventInline]
    exclude = ["request_key"]

    @admin.display(description=gettext_lazy("Fulfilment"))
    def staff_link(self, redemption: Redemption):
        return format_html('<a href="{}">{}</a>', reverse("rewards_staff:redemption", args=[redemption.pk]), _("Open"))


@admin.register(InvoiceCredit)
class InvoiceCreditAdmin(CompanyScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Credits bought with points, for the ERP's next invoice: read-only, since the ERP marks
    them applied through the API (``rewards.redemptions.credits``)."""

    company_path = "company"
    list_display = [
        "__str__",
        "company",
        "source",
        "points",
        "amount",
        "currency",
        "status",
        "created_at",
        "applied_at",
    ]
    list_filter = ["status", "source"]
    search_fields = ["company__name", "invoice_reference"]
    list_select_related = ["company"]
    date_hierarchy = "created_at"
