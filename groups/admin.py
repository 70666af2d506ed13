"""The club's side of company groups in the Django admin: groups with their branches and
group admins, the points mode and the approval threshold (every change audit-trailed:
``audit.registration`` follows these admins), and the transfers, read-only.

Scoped like every company's data (``members.admin_scoping``): a sales rep sees the groups
that hold one of their accounts, and the transfers sent or received by one.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef

from core.admin import ReadOnlyAdminMixin
from members.admin_scoping import CompanyScopedAdminMixin
from members.selectors import staff_company_q

from .models import CompanyGroup, CompanyGroupAdmin, CompanyGroupMember, PointsTransfer


class CompanyGroupMemberInline(admin.TabularInline):
    model = CompanyGroupMember
    extra = 0
    autocomplete_fields = ["company"]


class CompanyGroupAdminInline(admin.TabularInline):
    model = CompanyGroupAdmin
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(CompanyGroup)
class CompanyGroupModelAdmin(CompanyScopedAdminMixin, admin.ModelAdmin):
    company_path = None
    # The way from a group to the companies it holds (several), for tests walking the admin.
    company_lookup = "members__company"
    list_display = ["name", "points_mode", "approval_threshold", "pool_company"]
    list_filter = ["points_mode"]
    search_fields = ["name", "members__company__name"]
    autocomplete_fields = ["pool_company"]
    inlines = [CompanyGroupMemberInline, CompanyGroupAdminInline]

    def scope_queryset_for(self, request, queryset):
        in_scope = CompanyGroupMember.objects.filter(
            staff_company_q(user=request.user, path="company"), group=OuterRef("pk")
        )
        return queryset.filter(Exists(in_scope))


@admin.register(PointsTransfer)
class PointsTransferAdmin(CompanyScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    company_path = "from_company"
    list_display = ["__str__", "group", "status", "requested_by", "requested_at", "decided_by"]
    # Only the groups of the rows in scope: a plain filter would list every group's name.
    list_filter = ["status", ("group", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["from_company__name", "to_company__name", "key"]
    list_select_related = ["from_company", "to_company", "group", "requested_by", "decided_by"]
    date_hierarchy = "requested_at"

    def scope_queryset_for(self, request, queryset):
        return queryset.filter(
            staff_company_q(user=request.user, path="from_company")
            | staff_company_q(user=request.user, path="to_company")
        )
