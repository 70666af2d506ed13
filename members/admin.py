"""Django admin for members. Changes to memberships, invitations and company status go
through the services, the same as in the portal. Every list is scoped to the companies the
member of staff may see (``members.admin_scoping``): a rep sees their own accounts, their
contacts and invitations, and nothing of anyone else's."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db import models
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.currencies import currency_for_country

from . import sso
from .admin_scoping import CompanyScopedAdminMixin
from .currency_guards import company_currency_change_refusal
from .models import (
    Company,
    CompanyStatus,
    IdentityProvider,
    IdentityProviderDomain,
    Invitation,
    Membership,
    MembershipRole,
    User,
)
from .services import MembersError, company_set_status, invitation_create, invitation_precheck, invitation_revoke
from .validators import normalise_email_domain


class UserAddForm(forms.ModelForm):
    """A new person without a password: they choose one through allauth ("Forgot your
    password?"), the one place passwords are set, throttled and behind the same login."""

    class Meta:
        model = User
        fields = ["email"]

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(CompanyScopedAdminMixin, DjangoUserAdmin):
    """People: club admins see everyone; a rep the contacts of their own accounts (staff
    have no company, so only whole-club roles see them).

    The admin neither shows, sets nor resets passwords (no password field, no "set
    password" page): everyone changes or resets theirs through allauth."""

    company_path = "membership__company"
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "phone", "language", "email_notifications"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email"]})]
    form = forms.ModelForm
    add_form = UserAddForm
    add_form_template = None  # Django's asks for a password first

    def get_urls(self):
        # Without Django's "<id>/password/" page (auth_user_password_change).
        return [url for url in super().get_urls() if getattr(url, "name", None) != "auth_user_password_change"]


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
            "currency",
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
        closing = CompanyStatus.CLOSED in (cleaned.get("status"), self.instance.status if self.instance.pk else None)
        if "status" in self.changed_data and closing:
            self.add_error(
                "status",
                _("Use the Close company or Reopen company button: the points and the contacts' log-ins change too."),
            )
        if self.instance.pk and "currency" in cleaned and cleaned.get("country"):
            # The currency it would buy in once saved (empty: the new country's). The admin's
            # change view runs in a transaction: what the guards locked holds until the save.
            currency = cleaned["currency"] or currency_for_country(cleaned["country"])
            if refusal := company_currency_change_refusal(company=self.instance, currency=currency):
                self.add_error("currency", refusal)
        return cleaned


@admin.register(Company)
class CompanyAdmin(CompanyScopedAdminMixin, admin.ModelAdmin):
    company_path = ""
    list_display = ["name", "org_number", "country", "status", "sales_rep", "external_id"]
    # Only the reps of the companies in the list (the whole club for club admins).
    list_filter = ["status", "country", ("sales_rep", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "org_number", "external_id"]
    list_select_related = ["sales_rep"]
    form = CompanyAdminForm
    readonly_fields = ["created_at"]
    inlines = [MembershipInline]
    actions = ["reactivate", "close"]
    fieldsets = [
        (None, {"fields": ["name", "country", "currency", "org_number", "external_id", "sales_rep"]}),
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

    @admin.action(description=_("Close the selected company (leaves the club)…"), permissions=["close"])
    def close(self, request, queryset):
        """To the closing's confirmation page (``privacy.admin``), one company at a time:
        closing settles money and closes log-ins, so each is confirmed on its own page."""
        companies = list(queryset.order_by("pk")[:2])
        if len(companies) != 1:
            self.message_user(request, _("Choose exactly one company to close."), level=messages.WARNING)
            return None
        return redirect("admin:privacy_company_close", company_id=companies[0].pk)

    def has_close_permission(self, request) -> bool:
        # Declared by the privacy app (its model's permission); named here, not imported.
        return request.user.has_perm("privacy.close_company")

    @admin.action(description=_("Reactivate selected companies"), permissions=["change"])
    def reactivate(self, request, queryset):
        """Through the service, one company at a time, like a status change on the form.
        Django offers the action only to staff who may change companies and hands it only
        the selected companies within their scope."""
        reactivated = 0
        for company in queryset.filter(status=CompanyStatus.SUSPENDED).order_by("pk"):
            try:
                company_set_status(company=company, status=CompanyStatus.ACTIVE, actor=request.user)
            except MembersError as exc:
                self.message_user(request, f"{company}: {exc}", level=messages.ERROR)
            else:
                reactivated += 1
        self.message_user(
            request,
            ngettext("Reactivated %(count)d company.", "Reactivated %(count)d companies.", reactivated)
            % {"count": reactivated},
        )


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
class InvitationAdmin(CompanyScopedAdminMixin, admin.ModelAdmin):
    """Staff invite a company's first admin here; the service sends the e-mail."""

    company_path = "company"
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

    @admin.action(description=_("Withdraw selected invitations"), permissions=["change"])
    def revoke(self, request, queryset):
        for invitation in queryset:
            try:
                invitation_revoke(invitation=invitation, actor=request.user)
            except MembersError as exc:
                self.message_user(request, f"{invitation.email}: {exc}", level=messages.WARNING)


# --- Single sign-on: each company's own identity provider -------------------------------------


class IdentityProviderAdminForm(forms.ModelForm):
    """The provider's settings, with the client secret write-only: typed once, sealed, and
    never shown again (leave it empty when changing anything else)."""

    client_secret = forms.CharField(
        label=_("client secret"),
        required=False,
        strip=True,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again. Leave empty to keep the current secret."),
    )

    class Meta:
        model = IdentityProvider
        fields = ["company", "name", "slug", "issuer", "client_id", "client_secret", "is_active"]

    def clean_issuer(self) -> str:
        issuer = self.cleaned_data["issuer"].strip().rstrip("/")
        if not sso.issuer_is_allowed(issuer):
            raise forms.ValidationError(_("The issuer must be an https:// address."))
        return issuer

    def clean_client_secret(self) -> str:
        secret = self.cleaned_data["client_secret"]
        if "\x00" in secret:
            raise forms.ValidationError(_("The secret contains a character that is not allowed."))
        if not secret and not self.instance.client_secret_sealed:
            raise forms.ValidationError(_("Enter the client secret the company's IT gave you."))
        return secret

    def save(self, commit=True):
        provider = super().save(commit=False)
        if self.cleaned_data["client_secret"]:
            provider.client_secret_sealed = sso.seal_secret(self.cleaned_data["client_secret"])
            provider.secret_changed_at = timezone.now()
        if commit:
            provider.save()
        return provider


class IdentityProviderDomainForm(forms.ModelForm):
    class Meta:
        model = IdentityProviderDomain
        fields = ["domain", "auto_join"]

    def clean_domain(self) -> str:
        try:
            return normalise_email_domain(self.cleaned_data["domain"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc


class IdentityProviderDomainInline(admin.TabularInline):
    model = IdentityProviderDomain
    form = IdentityProviderDomainForm
    extra = 1
    fields = ["domain", "auto_join", "approved_by", "approved_at"]
    readonly_fields = ["approved_by", "approved_at"]


@admin.register(IdentityProvider)
class IdentityProviderAdmin(CompanyScopedAdminMixin, admin.ModelAdmin):
    """Club admins configure a company's provider here (the permission is ``members.*``,
    which only Club admins hold). The page shows the redirect and logout URIs that the
    company's IT registers with their provider."""

    company_path = "company"
    form = IdentityProviderAdminForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [IdentityProviderDomainInline]
    list_display = ["name", "company", "issuer", "is_active", "domain_list", "secret_changed_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "company__name", "issuer", "domains__domain"]
    autocomplete_fields = ["company"]
    readonly_fields = ["redirect_uri", "post_logout_redirect_uri", "secret_changed_at"]
    fieldsets = [
        (None, {"fields": ["company", "name", "slug", "is_active"]}),
        (_("Provider"), {"fields": ["issuer", "client_id", "client_secret", "secret_changed_at"]}),
        (_("To register with the provider"), {"fields": ["redirect_uri", "post_logout_redirect_uri"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("company").prefetch_related("domains")

    @admin.display(description=_("e-mail domains"))
    def domain_list(self, obj) -> str:
        return ", ".join(domain.domain for domain in obj.domains.all()) or "—"

    @admin.display(description=_("redirect URI"))
    def redirect_uri(self, obj) -> str:
        if obj is None or not obj.slug:
            return _("Shown once the provider is saved.")
        path = reverse("openid_connect_callback", kwargs={"provider_id": obj.provider_id})
        return settings.SITE_URL.rstrip("/") + path

    @admin.display(description=_("post-logout redirect URI"))
    def post_logout_redirect_uri(self, obj) -> str:
        return settings.SITE_URL.rstrip("/") + reverse("account_login")

    def save_formset(self, request, form, formset, change):
        # Turning "new people join" on is a club admin's approval: record who and when.
        domains = formset.save(commit=False)
        for domain in domains:
            if domain.auto_join and domain.approved_at is None:
                domain.approved_by, domain.approved_at = request.user, timezone.now()
            elif not domain.auto_join:
                domain.approved_by, domain.approved_at = None, None
            domain.save()
        for removed in formset.deleted_objects:
            removed.delete()
        formset.save_m2m()


# allauth's own provider admin would keep a secret readable and a provider bound to no
# company; providers are configured above, or (the club's own) from the environment.
from allauth.socialaccount.models import SocialApp  # noqa: E402

if admin.site.is_registered(SocialApp):
    admin.site.unregister(SocialApp)


# --- People's data kept by libraries: the same scoping -------------------------------------
# allauth registers these admins itself; they are listed after this app in INSTALLED_APPS,
# so their admin modules are imported here first and their admins replaced by scoped ones
# (admin autodiscovery imports a module once, so they are not registered again).

from allauth.account import admin as account_admin  # noqa: E402
from allauth.account.models import EmailAddress  # noqa: E402
from allauth.mfa import admin as mfa_admin  # noqa: E402
from allauth.mfa.models import Authenticator  # noqa: E402
from allauth.socialaccount import admin as socialaccount_admin  # noqa: E402
from allauth.socialaccount.models import SocialAccount, SocialToken  # noqa: E402

from core.admin import require_permissions  # noqa: E402


class EmailAddressAdmin(CompanyScopedAdminMixin, account_admin.EmailAddressAdmin):
    company_path = "user__membership__company"
    make_verified = require_permissions(account_admin.EmailAddressAdmin.make_verified, "change")


class AuthenticatorAdmin(CompanyScopedAdminMixin, mfa_admin.AuthenticatorAdmin):
    company_path = "user__membership__company"


class SocialAccountAdmin(CompanyScopedAdminMixin, socialaccount_admin.SocialAccountAdmin):
    company_path = "user__membership__company"


class SocialTokenAdmin(CompanyScopedAdminMixin, socialaccount_admin.SocialTokenAdmin):
    company_path = "account__user__membership__company"


for _model, _scoped_admin in [
    (EmailAddress, EmailAddressAdmin),
    (Authenticator, AuthenticatorAdmin),
    (SocialAccount, SocialAccountAdmin),
    (SocialToken, SocialTokenAdmin),
]:
    admin.site.unregister(_model)
    admin.site.register(_model, _scoped_admin)
