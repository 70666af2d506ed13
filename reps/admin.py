"""Goodwill budgets in the Django admin: club admins set each rep's monthly budget here.
Gifts and notes are read-only (they are written in the rep workspace)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from members.admin_scoping import CompanyScopedAdminMixin
from members.selectors import staff_sees_every_company

from .models import GoodwillAward, GoodwillBudget, StaffNote
from .services import RepsError, goodwill_budget_set


class GoodwillBudgetForm(forms.ModelForm):
    class Meta:
        model = GoodwillBudget
        fields = ["rep", "month", "points"]
        help_texts = {"points": _("Budgets carry over to the next months until changed here.")}

    def clean(self):
        cleaned = super().clean()
        points = cleaned.get("points")
        if self.instance.pk and points is not None and points < self.instance.awarded:
            raise ValidationError(
                {
                    "points": _("%(awarded)s points were already given this month; the budget cannot be lower.")
                    % {"awarded": self.instance.awarded}
                }
            )
        return cleaned


@admin.register(GoodwillBudget)
class GoodwillBudgetAdmin(CompanyScopedAdminMixin, admin.ModelAdmin):
    form = GoodwillBudgetForm
    company_path = None  # a rep's budget, not an account's
    list_display = ["rep", "month", "points", "awarded", "updated_by", "updated_at"]
    list_filter = ["month"]
    list_select_related = ["rep", "updated_by"]
    search_fields = ["rep__email", "rep__first_name", "rep__last_name"]
    readonly_fields = ["awarded", "updated_by", "updated_at"]

    def save_model(self, request, obj, form, change):
        # Through the service: it locks the row (as gifts do) and refuses a budget below what is given.
        try:
            saved = goodwill_budget_set(rep=obj.rep, month=obj.month, points=obj.points, by=request.user)
        except RepsError as exc:
            messages.error(request, str(exc))
            return
        obj.pk, obj.awarded = saved.pk, saved.awarded

    def scope_queryset_for(self, request, queryset):
        # Whole-club roles see every rep's budget; anyone else at most their own.
        return queryset if staff_sees_every_company(request.user) else queryset.filter(rep=request.user)

    def has_delete_permission(self, request, obj=None):
        # The permission first: without it any member of staff could delete an unused budget.
        return super().has_delete_permission(request, obj) and (obj is None or obj.awarded == 0)


@admin.register(GoodwillAward)
class GoodwillAwardAdmin(CompanyScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    company_path = "company"
    list_display = ["created_at", "rep", "company", "points", "reason"]
    list_select_related = ["rep", "company"]
    search_fields = ["company__name", "rep__email", "reason"]
    date_hierarchy = "created_at"


@admin.register(StaffNote)
class StaffNoteAdmin(GoodwillAwardAdmin):
    list_display = ["created_at", "company", "author", "body"]
    list_select_related = ["company", "author"]
    search_fields = ["company__name", "body"]
