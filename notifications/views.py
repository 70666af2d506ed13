"""Notification pages: e-mail preferences and the one-click unsubscribe from an e-mail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from .forms import NotificationPreferencesForm
from .models import NotificationKind
from .selectors import notification_email_preferences
from .services import NotificationsError, notification_preferences_set, unsubscribe_token_read


class PreferencesView(LoginRequiredMixin, View):
    """Save which kinds of notification the person wants by e-mail (the form is on the profile page)."""

    def post(self, request):
        form = NotificationPreferencesForm(
            request.POST, initial_preferences=notification_email_preferences(user=request.user)
        )
        if form.is_valid():
            notification_preferences_set(user=request.user, email_by_kind=form.email_by_kind())
            messages.success(request, _("Your e-mail choices have been saved."))
        return redirect("members:profile")


class UnsubscribeView(View):
    """The link at the bottom of a notification e-mail: no login needed, the signed token is
    the proof. GET shows what will change; POST changes it (mail scanners only GET)."""

    template_name = "notifications/unsubscribe.html"

    def _read(self, token):
        try:
            return unsubscribe_token_read(token)
        except NotificationsError as exc:
            return None, str(exc)

    def get(self, request, token):
        user, kind_or_error = self._read(token)
        if user is None:
            return render(request, self.template_name, {"error": kind_or_error}, status=400)
        return render(request, self.template_name, {"kind_label": NotificationKind(kind_or_error).label})

    def post(self, request, token):
        user, kind_or_error = self._read(token)
        if user is None:
            return render(request, self.template_name, {"error": kind_or_error}, status=400)
        notification_preferences_set(user=user, email_by_kind={kind_or_error: False})
        return render(request, self.template_name, {"kind_label": NotificationKind(kind_or_error).label, "done": True})
