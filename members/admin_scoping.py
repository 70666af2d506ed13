"""Company scoping for the Django admin: staff see, in every list, page, autocomplete,
export and action, only the rows of the companies their role lets them see
(``members.selectors.staff_company_q``: a rep's own accounts; every company for club
admins and Marketing).

A model admin whose rows belong to a company uses ``CompanyScopedAdminMixin`` and names
the way from its model to the company in ``company_path``::

    class LedgerEntryAdmin(CompanyScopedAdminMixin, admin.ModelAdmin):
        company_path = "account__company"

Everything the admin reads goes through ``get_queryset``, so the mixin scopes there once:
the change list and its counts, filters and facets, search, the autocomplete endpoint (it
asks the target admin's ``get_queryset``), the rows an action receives (Django selects
them from ``get_queryset``), and the change, history and delete pages (``get_object``),
which answer 404 for a row outside the scope rather than Django's redirect. Choice lists
of companies in forms are narrowed the same way.

``members.checks`` fails ``manage.py check`` (and the test suite) when a registered admin
of a company-owned model does without the mixin, or names a path that does not lead to
a company.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Company
from .selectors import staff_company_q, staff_sees_every_company


class CompanyScopedAdminMixin:
    """For a ``ModelAdmin`` whose rows belong to a company; put it before ``ModelAdmin``.

    ``company_path`` leads from the model to its ``Company`` through single-valued
    relations (``""`` for ``Company`` itself). An admin whose rows belong to someone other
    than a company sets ``company_path = None`` and overrides ``scope_queryset_for``.
    """

    company_path: str | None

    def scope_queryset_for(self, request, queryset: QuerySet) -> QuerySet:
        """``queryset`` narrowed to what ``request.user`` may see. The one place to change
        an admin's scope; adds a condition to the query, never a query per row."""
        return queryset.filter(staff_company_q(user=request.user, path=self.company_path))

    def get_queryset(self, request):
        return self.scope_queryset_for(request, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not staff_sees_every_company(request.user):
            # Not in this person's scope (or no such row: the same answer, so an id outside
            # the scope cannot be told from one that does not exist).
            raise Http404(_("No such object, or not one of your accounts."))
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Company and "queryset" not in kwargs:
            kwargs["queryset"] = Company.objects.filter(staff_company_q(user=request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model is Company and "queryset" not in kwargs:
            kwargs["queryset"] = Company.objects.filter(staff_company_q(user=request.user))
        return super().formfield_for_manytomany(db_field, request, **kwargs)
