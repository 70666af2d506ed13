"""API clients in the Django admin: create (the token is shown once), list, revoke."""

from __future__ import annotations

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ApiClient
from .services import api_client_create, api_client_revoke


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "token_prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "token_prefix", "source"]
    readonly_fields = ["token_prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "source"]
        return ["name", "source", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        # The source decides which purchases count as the same; it never changes afterwards.
        return [*self.readonly_fields, "source"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row records who created the client and when

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        client, token = api_client_create(name=obj.name, source=obj.source, created_by=request.user)
        obj.pk = client.pk
        obj.__dict__.update(client.__dict__)
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
