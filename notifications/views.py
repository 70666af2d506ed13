"""Notification pages: the notification centre (list, open, mark read), e-mail preferences,
and the one-click unsubscribe from an e-mail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from core.pagination import ForgivingPaginationMixin

from .forms import NotificationPreferencesForm
from .models import NotificationKind
from .selectors import notification_email_preferences, unread_notification_count, user_notification, user_notifications
from .services import (
    NotificationsError,
    notification_preferences_set,
    notifications_mark_read,
    unsubscribe_token_read,
)

NOTIFICATIONS_PER_PAGE = 20


def _portal_path(url: str, request) -> str | None:
    """``url`` if it is a path inside the portal (never another site), else None."""
    if url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return None


class NotificationListView(LoginRequiredMixin, ForgivingPaginationMixin, ListView):
    """The notification centre: everything that happened to the person, newest first,
    ``?show=unread`` for the unread ones. A fixed number of queries per page."""

    template_name = "notifications/notification_list.html"
    context_object_name = "notifications"
    paginate_by = NOTIFICATIONS_PER_PAGE

    def get_queryset(self):
        self.unread_only = self.request.GET.get("show") == "unread"
        return user_notifications(user=self.request.user, unread_only=self.unread_only)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            unread_only=self.unread_only,
            unread_count=unread_notification_count(user=self.request.user),
            current_url=self.request.get_full_path(),
        )
        return context


class NotificationOpenView(LoginRequiredMixin, View):
    """Follow a notification's link: it is marked read, then the person goes where it points.

    A GET with a small side effect on the person's own data, like any "mark as read on
    open"; someone else's notification is a 404.
    """

    def get(self, request, pk: int):
        notification = user_notification(user=request.user, notification_id=pk)
        if notification is None:
            raise Http404(_("No such notification."))
        notifications_mark_read(user=request.user, notification_ids=[notification.pk])
        return redirect(_portal_path(notification.url, request) or reverse("notifications:list"))


class _MarkReadMixin(LoginRequiredMixin):
    http_method_names = ["post"]

    def _back(self, request):
        return redirect(_portal_path(request.POST.get("next", ""), request) or reverse("notifications:list"))


class NotificationReadView(_MarkReadMixin, View):
    def post(self, request, pk: int):
        if user_notification(user=request.user, notification_id=pk) is None:
            raise Http404(_("No such notification."))
        notifications_mark_read(user=request.user, notification_ids=[pk])
        return self._back(request)


class NotificationReadAllView(_MarkReadMixin, View):
    def post(self, request):
        changed = notifications_mark_read(user=request.user)
        if changed:
            messages.success(request, _("All notifications are marked as read."))
        return self._back(request)


class PreferencesView(LoginRequiredMixin, View):
    """Save which kinds of notification the person wants by e-mail (the form is on the profile page)."""

    def get(self, request):
        # Someone who reloads or bookmarks this address (the form posts here) is sent to the
        # form itself, on the profile page, instead of a blank "405 Method Not Allowed".
        return redirect(f"{reverse('members:profile')}#notification-preferences")

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
