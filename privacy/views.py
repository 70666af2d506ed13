"""A person's own data: the readable page, the JSON download and the erasure request."""

from __future__ import annotations

import json

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from privacy.models import ErasureRequest
from privacy.registry import PERSONAL_DATA
from privacy.selectors import open_erasure_request, person_data
from privacy.services import PrivacyError, erasure_confirm, erasure_refusal_reason, erasure_request
from privacy.sessions import sessions_of

SECTION_LABELS = {
    "profile": gettext_lazy("Profile"),
    "membership": gettext_lazy("Membership"),
    "invitations": gettext_lazy("Invitations"),
    "notifications": gettext_lazy("Notifications"),
    "notification_preferences": gettext_lazy("E-mail choices"),
    "conversations_started": gettext_lazy("Conversations you started"),
    "messages": gettext_lazy("Messages you wrote"),
    "conversations_read": gettext_lazy("Conversations you have read"),
    "broadcasts": gettext_lazy("Broadcasts you sent"),
    "activity_answers": gettext_lazy("Activity answers"),
    "activity_answers_decided": gettext_lazy("Activity answers you decided"),
    "referrals": gettext_lazy("Referrals"),
    "leaderboard_consents": gettext_lazy("Leaderboard consent"),
    "event_registrations": gettext_lazy("Event sign-ups"),
    "orders_placed": gettext_lazy("Orders you placed"),
    "orders_decided": gettext_lazy("Orders you decided"),
    "order_events": gettext_lazy("Order history entries"),
    "staff_notes": gettext_lazy("Notes you wrote"),
    "goodwill_given": gettext_lazy("Goodwill points you gave"),
    "logins": gettext_lazy("Log-ins and consents"),
    "email_addresses": gettext_lazy("E-mail addresses"),
    "single_sign_on": gettext_lazy("Single sign-on"),
    "second_factors": gettext_lazy("Two-factor authentication"),
    "sessions": gettext_lazy("Open sessions"),
}


def _data(user) -> dict:
    data = person_data(user=user)
    data["sessions"] = [{"expires": session.expire_date.isoformat()} for session in sessions_of(user=user)]
    return data


EXTRA_LABELS = {
    "last_login": gettext_lazy("last log-in"),
    "date_joined": gettext_lazy("joined"),
    "email_notifications": gettext_lazy("e-mail notifications"),
    "email": gettext_lazy("e-mail address"),
    "verified": gettext_lazy("verified"),
    "primary": gettext_lazy("primary"),
    "provider": gettext_lazy("provider"),
    "uid": gettext_lazy("account id"),
    "type": gettext_lazy("type"),
    "created_at": gettext_lazy("created"),
    "last_used_at": gettext_lazy("last used"),
    "expires": gettext_lazy("expires"),
}


def _labels() -> dict[str, dict[str, str]]:
    """Per export section, each key's label: the model field's verbose name."""
    labels: dict[str, dict[str, str]] = {}
    for entry in PERSONAL_DATA:
        model = apps.get_model(entry.model)
        labels[entry.title] = {field.name: field.verbose_name for field in model._meta.concrete_fields}
    return labels


def _readable(value):
    """A value as a person reads it: dates in their format, yes/no, a dash for nothing."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        moment = parse_datetime(value)
        if moment is not None:
            return date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    return value


def readable_sections(data: dict) -> list[tuple[str, list[list[tuple[str, object]]]]]:
    labels = _labels()
    sections = []
    for title, rows in data.items():
        if not rows:
            continue
        names = labels.get(title, {})
        sections.append(
            (
                SECTION_LABELS.get(title, title),
                [
                    [(names.get(key) or EXTRA_LABELS.get(key) or key, _readable(value)) for key, value in row.items()]
                    for row in rows
                ],
            )
        )
    return sections


class MyDataView(LoginRequiredMixin, TemplateView):
    template_name = "privacy/my_data.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data = _data(self.request.user)
        context["sections"] = readable_sections(data)
        context["open_request"] = open_erasure_request(user=self.request.user)
        context["refusal"] = erasure_refusal_reason(user=self.request.user)
        return context


class MyDataDownloadView(LoginRequiredMixin, View):
    def get(self, request):
        body = json.dumps(
            {"exported_at": timezone.now().isoformat(), "person": request.user.pk, "data": _data(request.user)},
            cls=DjangoJSONEncoder,
            indent=2,
            ensure_ascii=False,
        )
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="my-data-{timezone.localdate().isoformat()}.json"'
        return response


class ErasureRequestView(LoginRequiredMixin, TemplateView):
    template_name = "privacy/erasure_request.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["open_request"] = open_erasure_request(user=self.request.user)
        context["refusal"] = erasure_refusal_reason(user=self.request.user)
        return context

    def post(self, request):
        if request.POST.get("confirm") != "yes":
            messages.error(request, _("Tick the box to confirm that you want your data erased."))
            return HttpResponseRedirect(reverse("privacy:erasure"))
        try:
            erasure_request(user=request.user)
        except PrivacyError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(reverse("privacy:erasure"))
        messages.success(
            request,
            _("Your request has been received. It is carried out within 30 days; after that you can no longer log in."),
        )
        return HttpResponseRedirect(reverse("privacy:my_data"))


class ErasureConfirmView(LoginRequiredMixin, View):
    """A company admin confirms a colleague's request (the service checks who may)."""

    def post(self, request, pk: int):
        erasure = get_object_or_404(ErasureRequest, pk=pk)
        try:
            erasure_confirm(request=erasure, by=request.user)
        except PrivacyError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The colleague's personal data has been erased."))
        return HttpResponseRedirect(reverse("members:company"))
