"""``manage.py check`` fails when an admin action declares no permission."""

from __future__ import annotations

from django.contrib import admin

from core.admin import require_permissions
from core.checks import unguarded_admin_actions
from members.models import Company


def test_the_projects_admin_actions_all_declare_a_permission():
    assert unguarded_admin_actions() == []


def test_an_action_without_a_permission_is_reported_and_a_declared_one_is_not():
    def undeclared(modeladmin, request, queryset):
        queryset.update(status="active")

    def declared(modeladmin, request, queryset):
        queryset.update(status="active")

    class CompanyActionsAdmin(admin.ModelAdmin):
        actions = [undeclared, require_permissions(declared, "change")]

    site = admin.AdminSite(name="check-test")
    site.register(Company, CompanyActionsAdmin)

    found = unguarded_admin_actions(site)
    # Django checks every admin site still alive; this one must not outlive the test.
    site.unregister(Company)

    assert len(found) == 1
    assert found[0][1] == "undeclared"
