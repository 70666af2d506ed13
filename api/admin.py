"""API clients in the Django admin: create (the token is shown once), list, choose what each
may do (scopes, companies), revoke; their webhook endpoints and the delivery log."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin
from members.admin_scoping import CompanyScopedAdminMixin
from members.models import Company
from members.selectors import staff_company_q

from .models import ApiClient, ApiScope, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .services import api_client_create, api_client_revoke
from .webhooks import webhook_deliveries_resend, webhook_endpoint_update


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


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Endpoints are registered by their clients through the API (the secret is the client's);
    staff see them, and enable or disable them here."""

    list_display = ["url", "client", "event_list", "is_active", "failing_since", "disabled_at"]
    list_filter = ["is_active", "client"]
    search_fields = ["url", "client__name", "description"]
    readonly_fields = [
        "client",
        "url",
        "description",
        "event_list",
        "is_active",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "previous_secret_until",
        "created_at",
    ]
    fields = readonly_fields
    actions = ["enable", "disable"]

    @admin.display(description=_("events"))
    def event_list(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.event_types or []) or "—"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description=_("Enable the selected endpoints (waiting deliveries go out in order)"), permissions=["change"]
    )
    def enable(self, request, queryset):
        count = 0
        for endpoint in queryset.filter(is_active=False):
            webhook_endpoint_update(endpoint=endpoint, is_active=True)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d endpoint enabled.", "%(count)d endpoints enabled.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Disable the selected endpoints"), permissions=["change"])
    def disable(self, request, queryset):
        count = 0
        for endpoint in queryset.filter(is_active=True):
            webhook_endpoint_update(endpoint=endpoint, is_active=False)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d endpoint disabled.", "%(count)d endpoints disabled.", count) % {"count": count},
            messages.SUCCESS,
        )


class WebhookAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WebhookAttempt
    fields = ["attempted_at", "succeeded", "status_code", "duration_ms", "error", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(CompanyScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The delivery log: every event sent to every endpoint, each attempt with its response
    code and duration; resend sends chosen deliveries again (same event id)."""

    company_path = "company"

    class Media:
        css = {"all": ["api/webhooks-admin.css"]}

    # Narrow enough for a laptop: the event id and the endpoint's URL are on the delivery's page
    # (and searchable); the list names the endpoint by its client.
    list_display = [
        "event_type",
        "company",
        "client",
        "status",
        "attempts",
        "last_status_code",
        "last_attempt_at",
        "next_attempt_at",
    ]
    list_filter = ["status", "event__type", "endpoint__client"]
    search_fields = ["event__event_id", "company__name", "company__external_id", "endpoint__url"]
    list_select_related = ["event", "company", "endpoint__client"]
    readonly_fields = [
        "event_id",
        "event_type",
        "company",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "last_status_code",
        "delivered_at",
        "created_at",
        "payload",
    ]
    fields = readonly_fields
    inlines = [WebhookAttemptInline]
    actions = ["resend"]
    show_full_result_count = False

    @admin.display(description=_("event"), ordering="event__type")
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.type

    @admin.display(description=_("API client"), ordering="endpoint__client__name")
    def client(self, obj: WebhookDelivery) -> str:
        return obj.endpoint.client.name

    @admin.display(description=_("event id"))
    def event_id(self, obj: WebhookDelivery) -> str:
        return obj.event.event_id

    @admin.display(description=_("payload"))
    def payload(self, obj: WebhookDelivery) -> str:
        return format_html(
            '<pre class="webhook-payload">{}</pre>', json.dumps(obj.event.payload, indent=2, ensure_ascii=False)
        )

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("api.resend_webhookdelivery")

    @admin.action(description=_("Resend the selected deliveries"), permissions=["resend"])
    def resend(self, request, queryset):
        count = webhook_deliveries_resend(delivery_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued to be sent again.", "%(count)d deliveries queued to be sent again.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )
