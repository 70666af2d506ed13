"""API clients in the Django admin: create (the token is shown once), list, choose what each
may do (scopes, companies), revoke."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from members.models import Company
from members.selectors import staff_company_q

from .models import ApiClient, ApiScope
from .services import api_client_create, api_client_revoke


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("permissions"),
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("What this client may do; a call outside these answers 403."),
    )

    class Meta:
        model = ApiClient
        fields = ["name", "source", "scopes", "all_companies", "companies"]

    def clean_scopes(self):
        chosen = set(self.cleaned_data["scopes"])
        return [scope for scope in ApiScope.values if scope in chosen]  # a stable order


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "source", "scope_list", "all_companies", "token_prefix", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "all_companies"]
    search_fields = ["name", "token_prefix", "source"]
    readonly_fields = ["token_prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    autocomplete_fields = ["companies"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "source", "scopes", "all_companies", "companies"]
        return ["name", "source", "scopes", "all_companies", "companies", *self.readonly_fields]

    @admin.display(description=_("permissions"))
    def scope_list(self, obj: ApiClient) -> str:
        return ", ".join(obj.scopes or []) or "—"

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Only companies this member of staff may see can be given to a client.
        if db_field.related_model is Company:
            kwargs["queryset"] = Company.objects.filter(staff_company_q(user=request.user))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # The source decides which purchases count as the same; it never changes afterwards.
        return [*self.readonly_fields, "source"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row records who created the client and when

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        client, token = api_client_create(
            name=obj.name,
            source=obj.source,
            created_by=request.user,
            scopes=obj.scopes,
            all_companies=obj.all_companies,
        )
        obj.pk = client.pk
        obj.__dict__.update(client.__dict__)  # the form then saves the chosen companies
        # Kept on the request only: the token is rendered once by response_add and never stored.
        request._api_client_token = token

    def response_add(self, request, obj, post_url_continue=None):
        token = getattr(request, "_api_client_token", None)
        if token is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": _("API client created"),
            "opts": self.model._meta,
            "client": obj,
            "token": token,
        }
        response = TemplateResponse(request, "admin/api/apiclient/token_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke the selected clients' tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        count = 0
        for client in queryset.filter(revoked_at__isnull=True):
            api_client_revoke(client=client)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d client revoked.", "%(count)d clients revoked.", count) % {"count": count},
            messages.SUCCESS,
        )
