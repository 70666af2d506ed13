"""Django admin for members. Changes to memberships, invitations and company status go
through the services, the same as in the portal."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Company, CompanyStatus, Invitation, Membership, MembershipRole, User
from .services import MembersError, company_set_status, invitation_create, invitation_precheck, invitation_revoke


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "phone", "language", "email_notifications"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["user", "role", "created_at"]
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


class InviteCompanyAdminForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of the company's admin"))


class CompanyAdminForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = [
            "name",
            "country",
            "org_number",
            "external_id",
            "sales_rep",
            "street_address",
            "postal_code",
            "city",
            "status",
            "suspension_reason",
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == CompanyStatus.SUSPENDED and not (cleaned.get("suspension_reason") or "").strip():
            self.add_error("suspension_reason", _("Give a reason; the company's contacts will see it."))
        return cleaned


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "org_number", "country", "status", "sales_rep", "external_id"]
    list_filter = ["status", "country", "sales_rep"]
    search_fields = ["name", "org_number", "external_id"]
    list_select_related = ["sales_rep"]
    form = CompanyAdminForm
    readonly_fields = ["created_at"]
    inlines = [MembershipInline]
    actions = ["reactivate"]
    fieldsets = [
        (None, {"fields": ["name", "country", "org_number", "external_id", "sales_rep"]}),
        (_("Address"), {"fields": ["street_address", "postal_code", "city"]}),
        (_("Status"), {"fields": ["status", "suspension_reason", "created_at"]}),
    ]

    def save_model(self, request, obj, form, change):
        status_changed = {"status", "suspension_reason"} & set(form.changed_data)
        if change and status_changed:
            # Status changes go through the service; save everything else first.
            original = Company.objects.get(pk=obj.pk)
            obj.status, obj.suspension_reason = original.status, original.suspension_reason
            super().save_model(request, obj, form, change)
            company_set_status(
                company=obj,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["suspension_reason"],
                actor=request.user,
            )
            obj.refresh_from_db()
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description=_("Reactivate selected companies"))
    def reactivate(self, request, queryset):
        for company in queryset:
            company_set_status(company=company, status=CompanyStatus.ACTIVE, actor=request.user)
        self.message_user(request, _("Reactivated %(count)d companies.") % {"count": queryset.count()})


class InvitationAdminForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["company", "email", "role"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("company") and cleaned.get("email"):
            try:
                invitation_precheck(company=cleaned["company"], email=cleaned["email"])
            except MembersError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return cleaned


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Staff invite a company's first admin here; the service sends the e-mail."""

    form = InvitationAdminForm
    list_display = ["email", "company", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role", "accepted_at", "revoked_at"]
    search_fields = ["email", "company__name"]
    list_select_related = ["company"]
    actions = ["revoke"]

    def get_changeform_initial_data(self, request):
        return {"role": MembershipRole.ADMIN, **super().get_changeform_initial_data(request)}

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [
                "company",
                "email",
                "role",
                "invited_by",
                "created_at",
                "expires_at",
                "accepted_at",
                "accepted_by",
                "revoked_at",
            ]
        return []

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Creation goes through the service, which checks the rules again under a lock.
        created = invitation_create(
            company=form.cleaned_data["company"],
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            invited_by=request.user,
        )
        obj.pk = created.pk

    @admin.action(description=_("Withdraw selected invitations"))
    def revoke(self, request, queryset):
        for invitation in queryset:
            try:
                invitation_revoke(invitation=invitation, actor=request.user)
            except MembersError as exc:
                self.message_user(request, f"{invitation.email}: {exc}", level=messages.WARNING)
