"""Conversations in the Django admin: read-only, for club admins to look things up.
Messages are written in the portal only (``messaging.services``)."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from members.admin_scoping import CompanyScopedAdminMixin

from .models import Broadcast, Message, Thread


class MessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Message
    fields = ["created_at", "author", "body"]
    readonly_fields = fields
    extra = 0
    show_change_link = False


@admin.register(Thread)
class ThreadAdmin(CompanyScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    company_path = "company"
    list_display = ["subject", "company", "message_count", "last_message_at", "broadcast"]
    list_select_related = ["company", "broadcast"]
    search_fields = ["subject", "company__name"]
    date_hierarchy = "last_message_at"
    inlines = [MessageInline]
    readonly_fields = ["company", "subject", "created_by", "created_at", "broadcast", "message_count"]
    fields = readonly_fields


@admin.register(Broadcast)
class BroadcastAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["subject", "sender", "audience", "created_at", "delivered_at"]
    list_select_related = ["sender"]
    search_fields = ["subject", "sender__email"]
    fields = ["sender", "subject", "body", "audience", "created_at", "delivered_at"]
    readonly_fields = fields
