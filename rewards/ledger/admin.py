"""Admin of the ledger: accounts and entries (registered with the staff corrections in
``admin_staff``), the earn rules (programme rules, product categories, tiers)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin
from core.translation_admin import TranslatedContentAdmin
from members.admin_scoping import CompanyScopedAdminMixin
from members.models import Company
from rewards.ledger.selectors import purchase_sources
from rewards.models import (
    LedgerEntry,
    PointsAccount,
    ProductCategory,
    ProgrammeCurrency,
    ProgrammeRules,
    Purchase,
    Tier,
)


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Viewable, never changed here: balances and entries move only through rewards.ledger.services."""


@admin.display(description=_("Description"))
def entry_description(entry: LedgerEntry) -> str:
    """The entry's text in the reader's (the staff member's) language: ``core.texts``."""
    return entry.memo


class LedgerEntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = LedgerEntry
    fk_name = "account"
    fields = ["created_at", "kind", "points", "pending_points", "shortfall_points", entry_description, "created_by"]
    readonly_fields = fields
    ordering = ["-created_at", "-pk"]
    extra = 0
    max_num = 0
    show_change_link = True
    can_delete = False


class PointsAccountAdmin(CompanyScopedAdminMixin, ReadOnlyAdmin):
    company_path = "company"
    show_full_result_count = False
    list_display = ["company", "balance", "pending", "shortfall", "tier"]
    list_select_related = ["company", "tier"]
    list_filter = ["tier"]
    search_fields = ["company__name", "company__external_id"]


class LedgerEntryAdmin(CompanyScopedAdminMixin, LargeTableAdminMixin, ReadOnlyAdmin):
    """Millions of rows: a capped count, no date hierarchy (a date filter instead), and a
    search that finds the companies first (``get_search_results``)."""

    company_path = "account__company"
    list_display = [
        "created_at",
        "account",
        "kind",
        "points",
        "pending_points",
        "shortfall_points",
        entry_description,
        "created_by",
    ]
    list_select_related = ["account__company", "created_by"]
    list_filter = ["kind", "created_at"]
    # The description is a key and parameters now; the purchase reference and the key
    # (which names the order, the goodwill gift, the activity) are what staff look for.
    search_fields = ["account__company__name", "idempotency_key", "purchase__external_id"]
    search_help_text = _("A company's name or customer number, an entry's key, or a purchase reference (exactly).")
    readonly_fields = [entry_description]
    raw_id_fields = ["account", "purchase", "reverses", "releases", "created_by"]

    def get_search_results(self, request, queryset, search_term):
        """Entries of the companies whose name contains the term (or whose customer number
        is it), or whose key or purchase reference is the term. Each part is a lookup on an
        index — the companies are a small table, keys and references unique keys — instead
        of ``ILIKE '%…%'`` on millions of joined rows."""
        term = search_term.strip()
        if not term:
            return queryset, False
        # The ids first (small tables, unique keys), so PostgreSQL combines index scans on
        # the entries instead of joining millions of rows to test each one.
        companies = Company.objects.filter(Q(name__icontains=term) | Q(external_id__iexact=term))
        accounts = list(PointsAccount.objects.filter(company__in=companies).values_list("pk", flat=True))
        condition = Q(account_id__in=accounts) | Q(idempotency_key=term)
        if len(term) <= 100:
            purchases = list(
                Purchase.objects.filter(source__in=purchase_sources(), external_id=term).values_list("pk", flat=True)
            )
            condition |= Q(purchase_id__in=purchases)
        return queryset.filter(condition), False


@admin.register(ProductCategory)
class ProductCategoryAdmin(TranslatedContentAdmin):
    list_display = ["name", "code", "multiplier"]
    search_fields = ["name", "code"]


@admin.register(Tier)
class TierAdmin(TranslatedContentAdmin):
    list_display = ["name", "qualifying_points", "earn_multiplier", "colour"]


@admin.register(ProgrammeCurrency)
class ProgrammeCurrencyAdmin(admin.ModelAdmin):
    """The programme's other currencies: each its own earn rate and point value, and the rate
    its revenue is reported at in the base currency."""

    list_display = ["currency", "points_per_currency_unit", "point_value", "reporting_rate"]


@admin.register(ProgrammeRules)
class ProgrammeRulesAdmin(admin.ModelAdmin):
    """One row: add only while none exists, never delete."""

    list_display = [
        "__str__",
        "points_per_currency_unit",
        "point_value",
        "currency",
        "return_window_days",
        "expiry_months",
    ]

    def has_add_permission(self, request):
        # The permission first: without it any member of staff could write the first row.
        return super().has_add_permission(request) and not ProgrammeRules.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
