"""Staff corrections in the Django admin: adjust an account's points with a mandatory reason,
reverse entries, and the points liability.

Accounts and entries stay read-only (``rewards.ledger.admin``); these views only call
``rewards.ledger.services.points_adjust`` / ``entry_reverse`` with ``request.user``, so every
correction is a new ledger entry that names the staff user and the reason. Only staff
with the ``rewards.add_ledgerentry`` permission (Club admins) may correct; anyone who can
view accounts may see the liability of the accounts they may see (the club's, for club
admins). Every view reads through the admin's company-scoped ``get_queryset``.

The two admins are registered here, with these extras (``rewards/admin.py`` imports
this module; nothing is registered twice).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rewards.ledger.admin import LedgerEntryAdmin, PointsAccountAdmin
from rewards.ledger.forms import AdjustPointsForm, ReverseEntryForm
from rewards.ledger.selectors import points_liability, points_value, programme_rules_for_request
from rewards.ledger.services import LedgerError, entry_reverse, points_adjust
from rewards.models import EntryKind, LedgerEntry, PointsAccount

CORRECT_PERMISSION = "rewards.add_ledgerentry"
NOT_REVERSIBLE = (EntryKind.RELEASE, EntryKind.REVERSAL)


def can_correct_points(user) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(CORRECT_PERMISSION))


class StaffPointsAccountAdmin(PointsAccountAdmin):
    change_list_template = "rewards/admin/pointsaccount_change_list.html"
    change_form_template = "rewards/admin/pointsaccount_change_form.html"

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        return [*columns, "adjust_link"] if can_correct_points(request.user) else columns

    @admin.display(description=gettext_lazy("Correct"))
    def adjust_link(self, account: PointsAccount):
        url = reverse("admin:rewards_pointsaccount_adjust", args=[account.pk])
        return format_html('<a href="{}">{}</a>', url, _("Adjust points"))

    def get_urls(self):
        return [
            path("liability/", self.admin_site.admin_view(self.liability_view), name="rewards_pointsaccount_liability"),
            path("<int:pk>/adjust/", self.admin_site.admin_view(self.adjust_view), name="rewards_pointsaccount_adjust"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_correct_points": can_correct_points(request.user)}
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_correct_points": can_correct_points(request.user)}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def adjust_view(self, request, pk: int):
        if not can_correct_points(request.user):
            raise PermissionDenied
        account = get_object_or_404(self.get_queryset(request).select_related("company", "tier"), pk=pk)
        rules = programme_rules_for_request(request)
        form = AdjustPointsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                entry = points_adjust(
                    account=account,
                    points=form.cleaned_data["points"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                    key=f"admin:{request.user.pk}:{form.cleaned_data['key']}",
                )
            except LedgerError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    _("%(company)s: %(points)+d points (%(value)s %(currency)s) recorded.")
                    % {
                        "company": account.company,
                        "points": entry.points,
                        "value": points_value(points=entry.points, rules=rules),
                        "currency": rules.currency,
                    },
                    messages.SUCCESS,
                )
                return redirect("admin:rewards_pointsaccount_change", account.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Adjust points for %(company)s") % {"company": account.company},
            "account": account,
            "form": form,
            "points_rules": rules,
            "balance_value": points_value(points=account.balance, rules=rules),
        }
        return TemplateResponse(request, "rewards/admin/adjust_points.html", context)

    def liability_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        rules = programme_rules_for_request(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Points liability"),
            # The accounts this person may see: the club's liability for club admins.
            "liability": points_liability(rules=rules, accounts=self.get_queryset(request)),
            "points_rules": rules,
        }
        return TemplateResponse(request, "rewards/admin/liability.html", context)


class StaffLedgerEntryAdmin(LedgerEntryAdmin):
    actions = ["reverse_entries"]
    change_form_template = "rewards/admin/ledgerentry_change_form.html"

    def has_correct_permission(self, request) -> bool:
        return can_correct_points(request.user)

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        return [*columns, "reverse_link"] if can_correct_points(request.user) else columns

    # One list of joins, not a get_queryset(...).select_related(): Django's change list drops
    # list_select_related when the queryset already selects related rows, and every row then
    # fetched its account and company (two queries a row).
    list_select_related = [*LedgerEntryAdmin.list_select_related, "reversed_by"]

    @admin.display(description=gettext_lazy("Correct"))
    def reverse_link(self, entry: LedgerEntry):
        if entry.kind in NOT_REVERSIBLE:
            return ""
        if _reversal_of(entry) is not None:
            return _("Reversed")
        url = reverse("admin:rewards_ledgerentry_reverse", args=[entry.pk])
        return format_html('<a href="{}">{}</a>', url, _("Reverse"))

    def get_urls(self):
        return [
            path(
                "<int:pk>/reverse/", self.admin_site.admin_view(self.reverse_view), name="rewards_ledgerentry_reverse"
            ),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_correct_points": can_correct_points(request.user)}
        return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.action(description=gettext_lazy("Reverse selected entries"), permissions=["correct"])
    def reverse_entries(self, request, queryset):
        """Ask for one reason, then reverse every selected entry with it (like "delete selected")."""
        entries = list(queryset.select_related("account__company", "reversed_by").order_by("pk"))
        form = ReverseEntryForm(request.POST if request.POST.get("confirm") else None)
        if form.is_bound and form.is_valid():
            self._reverse(request, entries, form.cleaned_data["reason"])
            return None  # back to the change list
        return self._reverse_page(request, entries, form, from_action=True)

    def reverse_view(self, request, pk: int):
        if not can_correct_points(request.user):
            raise PermissionDenied
        entry = get_object_or_404(self.get_queryset(request).select_related("account__company", "reversed_by"), pk=pk)
        form = ReverseEntryForm(request.POST or None)
        if (
            request.method == "POST"
            and form.is_valid()
            and self._reverse(request, [entry], form.cleaned_data["reason"])
        ):
            return redirect("admin:rewards_ledgerentry_change", entry.pk)
        return self._reverse_page(request, [entry], form, from_action=False)

    def _reverse(self, request, entries: list[LedgerEntry], reason: str) -> int:
        """Reverse each entry with ``reason`` by ``request.user``; report what happened. Returns how many."""
        reversed_count = 0
        for entry in entries:
            if _reversal_of(entry) is not None:
                self.message_user(request, _("%(entry)s was already reversed.") % {"entry": entry}, messages.WARNING)
                continue
            try:
                entry_reverse(entry=entry, reason=reason, by=request.user)
            except LedgerError as exc:
                self.message_user(request, f"{entry}: {exc}", messages.ERROR)
            else:
                reversed_count += 1
        if reversed_count:
            self.message_user(
                request,
                _("Reversed %(count)d entries.") % {"count": reversed_count}
                if reversed_count != 1
                else _("Reversed 1 entry."),
                messages.SUCCESS,
            )
        return reversed_count

    def _reverse_page(self, request, entries, form, *, from_action: bool):
        rules = programme_rules_for_request(request)
        rows = [
            {
                "entry": entry,
                "value": points_value(points=entry.net_points, rules=rules),
                "problem": _("already reversed")
                if _reversal_of(entry) is not None
                else (_("cannot be reversed") if entry.kind in NOT_REVERSIBLE else ""),
            }
            for entry in entries
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Reverse ledger entries") if from_action else _("Reverse this entry"),
            "rows": rows,
            "form": form,
            "from_action": from_action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "points_rules": rules,
        }
        return TemplateResponse(request, "rewards/admin/reverse_entries.html", context)


def _reversal_of(entry: LedgerEntry) -> LedgerEntry | None:
    try:
        return entry.reversed_by
    except LedgerEntry.reversed_by.RelatedObjectDoesNotExist:
        return None


admin.site.register(PointsAccount, StaffPointsAccountAdmin)
admin.site.register(LedgerEntry, StaffLedgerEntryAdmin)
