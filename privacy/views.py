"""A person's own data: the readable page, the JSON download and the erasure request."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from privacy.models import ErasureRequest
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


class MyDataView(LoginRequiredMixin, TemplateView):
    template_name = "privacy/my_data.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data = _data(self.request.user)
        context["sections"] = [(SECTION_LABELS.get(title, title), rows) for title, rows in data.items() if rows]
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
