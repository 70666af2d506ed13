"""People's data requests and the retention settings in the Django admin.

Staff see the open erasure requests first, by deadline (overdue ones flagged), and carry one
out or refuse it with the actions below; both call ``privacy.services`` and need
``privacy.change_erasurerequest`` (Club admins)."""

from __future__ import annotations

from auditlog.models import LogEntry as AuditEntry
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.services import audit_record
from core.admin import ReadOnlyAdminMixin
from core.formatting import format_money, format_points
from members.admin_scoping import CompanyScopedAdminMixin
from members.models import Company
from members.selectors import staff_company_q
from privacy.closing import CLOSE_PERMISSION, closing_preview, company_close, company_reopen
from privacy.company_export import company_export_chunks
from privacy.models import CompanyClosure, ErasureRequest, ErasureStatus, RetentionSettings
from privacy.services import PrivacyError, erasure_confirm
from rewards.ledger.selectors import points_value
from rewards.models import ProgrammeRules


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "user", "status", "requested_at", "due_at", "overdue", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["user__email", "pseudonym"]
    list_select_related = ["user", "decided_by"]
    actions = ["carry_out"]
    ordering = ["status", "due_at"]

    @admin.display(boolean=True, description=_("overdue"))
    def overdue(self, obj: ErasureRequest) -> bool:
        return obj.is_overdue

    @admin.action(description=_("Erase the selected people's data"), permissions=["erase"])
    def carry_out(self, request, queryset):
        done = 0
        for erasure in queryset.filter(status=ErasureStatus.REQUESTED).select_related("user"):
            try:
                erasure_confirm(request=erasure, by=request.user)
            except PrivacyError as error:
                self.message_user(request, f"{erasure}: {error}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d person erased.", "%(count)d people erased.", done) % {"count": done},
                messages.SUCCESS,
            )

    def has_erase_permission(self, request) -> bool:
        return request.user.has_perm("privacy.change_erasurerequest")


@admin.register(RetentionSettings)
class RetentionSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "expired_invitation_days", "removed_contact_days", "attachment_days"]

    def has_add_permission(self, request):
        if not super().has_add_permission(request):
            return False
        # One row: asked on this model's own pages only, not by the app list that every admin
        # page draws (a query per admin page otherwise). Its add view asks again.
        match = getattr(request, "resolver_match", None)
        prefix = f"{self.opts.app_label}_{self.opts.model_name}_"
        if match is None or not (match.url_name or "").startswith(prefix):
            return True
        return not RetentionSettings.objects.exists()

    def add_view(self, request, form_url="", extra_context=None):
        existing = RetentionSettings.objects.order_by("pk").first()
        if existing is not None:  # an "Add" link of the app list leads to the one row
            return redirect(reverse("admin:privacy_retentionsettings_change", args=[existing.pk]))
        return super().add_view(request, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CompanyClosure)
class CompanyClosureAdmin(CompanyScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The companies that left the club, and the three pages of leaving: export the
    company's data, close it, reopen it. Each page needs ``privacy.close_company`` (Club
    admins) and a company in the person's scope (404 otherwise, like any scoped row); they
    are reached from the company's page (buttons) or its list (action), and call
    ``privacy.closing`` / ``privacy.company_export``."""

    company_path = "company"
    list_display = [
        "company",
        "closed_at",
        "closed_by",
        "rule",
        "points",
        "invoice_credit",
        "orders_cancelled",
        "reopened_at",
        "reopened_by",
    ]
    list_filter = ["rule", ("reopened_at", admin.EmptyFieldListFilter)]
    search_fields = ["company__name", "company__org_number"]
    list_select_related = ["company", "closed_by", "reopened_by", "invoice_credit"]

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("company/<int:company_id>/export/", wrap(self.export_view), name="privacy_company_export"),
            path("company/<int:company_id>/close/", wrap(self.close_view), name="privacy_company_close"),
            path("company/<int:company_id>/reopen/", wrap(self.reopen_view), name="privacy_company_reopen"),
            *super().get_urls(),
        ]

    def _company(self, request, company_id: int) -> Company:
        """The company, if the person may close it: no permission → 403; outside their
        scope (or no such company) → 404."""
        if not request.user.has_perm(CLOSE_PERMISSION):
            raise PermissionDenied
        company = Company.objects.filter(staff_company_q(user=request.user), pk=company_id).first()
        if company is None:
            raise Http404(_("No such company, or not one of your accounts."))
        return company

    def _page(self, request, company: Company, template: str, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": Company._meta,
                "company": company,
                "title": context.pop("title"),
                **context,
            },
        )

    def export_view(self, request, company_id: int):
        company = self._company(request, company_id)
        audit_record(
            instance=company,
            actor=request.user,
            action=AuditEntry.Action.ACCESS,
            changes={},
            note="company data export",
        )
        response = StreamingHttpResponse(company_export_chunks(company=company), content_type="application/json")
        filename = f"company-{company.pk}-{timezone.localdate():%Y%m%d}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def close_view(self, request, company_id: int):
        company = self._company(request, company_id)
        change_url = reverse("admin:members_company_change", args=[company.pk])
        if request.method == "POST":
            try:
                closure = company_close(company=company, by=request.user)
            except PrivacyError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                rules = ProgrammeRules.current()
                self.message_user(
                    request,
                    _("%(company)s is closed: %(points)s (%(value)s) settled, %(orders)s open orders cancelled.")
                    % {
                        "company": company.name,
                        "points": format_points(closure.points),
                        "value": format_money(points_value(points=closure.points, rules=rules), rules.currency),
                        "orders": closure.orders_cancelled,
                    },
                    messages.SUCCESS,
                )
            return redirect(change_url)
        return self._page(
            request,
            company,
            "admin/privacy/company_close.html",
            title=_("Close %(company)s") % {"company": company.name},
            preview=closing_preview(company=company),
            change_url=change_url,
        )

    def reopen_view(self, request, company_id: int):
        company = self._company(request, company_id)
        change_url = reverse("admin:members_company_change", args=[company.pk])
        if request.method == "POST":
            try:
                closure = company_reopen(
                    company=company, by=request.user, reactivate_contacts=request.POST.get("reactivate") == "on"
                )
            except PrivacyError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(company)s is open again; %(count)d contact can log in again.",
                        "%(company)s is open again; %(count)d contacts can log in again.",
                        closure.contacts_reactivated,
                    )
                    % {"company": company.name, "count": closure.contacts_reactivated},
                    messages.SUCCESS,
                )
            return redirect(change_url)
        closure = CompanyClosure.objects.filter(company=company, reopened_at__isnull=True).first()
        return self._page(
            request,
            company,
            "admin/privacy/company_reopen.html",
            title=_("Reopen %(company)s") % {"company": company.name},
            closure=closure,
            change_url=change_url,
        )
