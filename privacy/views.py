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
from django.views import View
from django.views.generic import TemplateView

from privacy.models import ErasureRequest
from privacy.readable import readable_sections
from privacy.selectors import open_erasure_request, person_data
from privacy.services import PrivacyError, erasure_confirm, erasure_refusal_reason, erasure_request
from privacy.sessions import sessions_of


def _data(user) -> dict:
    data = person_data(user=user)
    data["sessions"] = [{"expires": session.expire_date.isoformat()} for session in sessions_of(user=user)]
    return data


class MyDataView(LoginRequiredMixin, TemplateView):
    template_name = "privacy/my_data.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sections"] = readable_sections(self.request, self.request.user)
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
