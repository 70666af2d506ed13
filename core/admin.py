"""What the apps' Django admin classes share, and the libraries' admin actions made to
declare their permissions.

Every admin action declares the permission it needs (``@admin.action(permissions=[...])``):
Django then offers it only to staff who hold it and refuses a POST of it from anyone else.
An action without a declaration is run by anyone who may *view* the list.
``core.checks`` fails ``manage.py check`` (and the test suite) when one is missing;
Django's own "delete selected" checks the delete permission itself.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.core.paginator import Paginator
from django.utils.functional import cached_property


class ReadOnlyAdminMixin:
    """For a model admin or inline whose rows change only through a service (the ledger,
    redemptions, awards, messages): viewable, never added, changed or deleted in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def require_permissions(action, *permissions: str):
    """A library's admin action, unchanged, but declaring the ``permissions`` it needs
    (``"change"`` for ``has_change_permission``, and so on); keeps its description."""

    @wraps(action)
    def guarded(modeladmin, request, queryset):
        return action(modeladmin, request, queryset)

    guarded.allowed_permissions = permissions
    return guarded


# --- Libraries' admins whose actions declare nothing ----------------------------------------
# Their apps come after this one in INSTALLED_APPS: their admin modules are imported here
# first and the admins replaced (admin autodiscovery imports a module once).

from django_celery_beat import admin as beat_admin  # noqa: E402
from django_celery_beat.models import PeriodicTask  # noqa: E402
from taggit import admin as taggit_admin  # noqa: E402
from taggit.models import Tag  # noqa: E402


class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    # Club admins may view the schedule; enabling, disabling or running a job needs change.
    enable_tasks = require_permissions(beat_admin.PeriodicTaskAdmin.enable_tasks, "change")
    disable_tasks = require_permissions(beat_admin.PeriodicTaskAdmin.disable_tasks, "change")
    toggle_tasks = require_permissions(beat_admin.PeriodicTaskAdmin.toggle_tasks, "change")
    run_tasks = require_permissions(beat_admin.PeriodicTaskAdmin.run_tasks, "change")


class TagAdmin(taggit_admin.TagAdmin):
    render_tag_form = require_permissions(taggit_admin.TagAdmin.render_tag_form, "change")


admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, PeriodicTaskAdmin)
admin.site.unregister(Tag)
admin.site.register(Tag, TagAdmin)


class CappedCountPaginator(Paginator):
    """A change-list paginator for tables of millions of rows: it counts at most ``cap`` + 1
    rows (``SELECT COUNT(*) FROM (… LIMIT cap + 1)``) instead of all of them on every page
    view. Past the cap the list says "more than …" and offers the first pages; filters and
    search narrow it down. Use it with ``show_full_result_count = False`` (that count is
    over the whole table) and the ``admin/capped_pagination.html`` template."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class LargeTableAdminMixin:
    """For the change lists of the ledger and the purchases: a capped count, no count of
    the whole table, no date hierarchy (its year list is a scan of every row), and pages of
    50 rows: staff find entries by search and filters, not by paging through millions, and
    each row costs its cells' rendering (the ledger's: 11 cells and an action checkbox, two
    thirds of the page's time at 100 rows)."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    date_hierarchy = None
    list_per_page = 50
