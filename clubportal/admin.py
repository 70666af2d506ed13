"""What the apps' Django admin classes share."""

from __future__ import annotations


class ReadOnlyAdminMixin:
    """For a model admin or inline whose rows change only through a service (the ledger,
    redemptions, awards, messages): viewable, never added, changed or deleted in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
