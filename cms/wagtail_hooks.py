"""Wagtail admin additions: who signed up for which event."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet

from .models import EventRegistration


class EventRegistrationViewSet(ModelViewSet):
    """Sign-ups per event, for marketing to follow (read-only: changes go through the
    member's own sign-up and cancel buttons, which keep the waiting list in order)."""

    model = EventRegistration
    menu_label = _("Event sign-ups")
    icon = "date"
    add_to_admin_menu = True
    menu_order = 300
    list_display = ["event", "user", "status", "created_at"]
    list_filter = ["status", "event"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    form_fields = ["status"]
    inspect_view_enabled = True
    # Its CSV/XLSX export neutralises formula cells, as every Wagtail export does
    # (core.spreadsheets.guard_wagtail_exports).
    list_export = ["event", "user", "status", "created_at", "cancelled_at"]


@hooks.register("register_admin_viewset")
def register_event_registration_viewset():
    return EventRegistrationViewSet("event_registrations")
