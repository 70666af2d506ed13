"""Admin of the ledger: accounts and entries (registered with the staff corrections in
``admin_staff``), the earn rules (programme rules, product categories, tiers)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from core.translation_admin import TranslatedContentAdmin
from members.admin_scoping import CompanyScopedAdminMixin
from rewards.models import LedgerEntry, ProductCategory, ProgrammeCurrency, ProgrammeRules, Tier


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
    list_display = ["company", "balance", "pending", "shortfall", "tier"]
    list_select_related = ["company", "tier"]
    list_filter = ["tier"]
    search_fields = ["company__name", "company__external_id"]


class LedgerEntryAdmin(CompanyScopedAdminMixin, ReadOnlyAdmin):
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
    list_filter = ["kind"]
    # The description is a key and parameters now; the purchase reference and the key
    # (which names the order, the goodwill gift, the activity) are what staff look for.
    search_fields = ["account__company__name", "idempotency_key", "purchase__external_id"]
    readonly_fields = [entry_description]
    date_hierarchy = "created_at"
    raw_id_fields = ["account", "purchase", "reverses", "releases", "created_by"]


@admin.register(ProductCategory)
class ProductCategoryAdmin(TranslatedContentAdmin):
    list_display = ["name", "code", "multiplier"]
    search_fields = ["name", "code"]


@admin.register(Tier)
class TierAdmin(TranslatedContentAdmin):
    list_display = ["name", "qualifying_points", "earn_multiplier", "colour"]


@admin.register(ProgrammeCurrency)
class ProgrammeCurrencyAdmin(admin.ModelAdmin):
    """The programme's other currencies: each its own earn rate and point value."""

    list_display = ["currency", "points_per_currency_unit", "point_value"]


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
