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


@hooks.register("register_admin_urls")
def register_untranslated_pages_report():
    from django.urls import path

    from .translation_report import UntranslatedPagesView

    return [
        path("reports/untranslated/", UntranslatedPagesView.as_view(), name="cms_untranslated_pages"),
        path(
            "reports/untranslated/results/",
            UntranslatedPagesView.as_view(results_only=True),
            name="cms_untranslated_pages_results",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_untranslated_pages_menu_item():
    from django.urls import reverse
    from wagtail.admin.menu import MenuItem

    class UntranslatedPagesMenuItem(MenuItem):
        def is_shown(self, request):
            return request.user.has_perm("wagtailadmin.access_admin")

    return UntranslatedPagesMenuItem(
        _("Untranslated pages"),
        reverse("cms_untranslated_pages"),
        name="untranslated-pages",
        icon_name="globe",
        order=650,
    )


@hooks.register("before_serve_document")
def documents_are_for_members(document, request):
    """Documents are members only, like the pages that link to them: an anonymous visitor
    is sent to the login (and back), and only members and staff are served. Wagtail's own
    collection view restrictions are checked as well (its hook runs for everyone)."""
    from django.conf import settings
    from django.contrib.auth.views import redirect_to_login
    from django.core.exceptions import PermissionDenied

    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url=settings.WAGTAIL_FRONTEND_LOGIN_URL)
    if not (user.is_active and (user.is_staff or getattr(request, "membership", None))):
        raise PermissionDenied(_("This document is for contacts of member companies."))
    return None
