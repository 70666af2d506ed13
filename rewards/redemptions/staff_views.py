"""Staff fulfilment pages under /staff/rewards/: the queue (filters, bulk "mark fulfilled",
CSV export for the warehouse, low-stock warnings), one redemption (fulfil with tracking,
reject with the points returned, correct delivery details), and the voucher code upload.

Only staff with ``rewards.fulfil_redemption`` (Club admins) get in; anyone else gets a 403,
anonymous visitors the login page. Orders are those of the companies the person may see
(``members.selectors.staff_company_q``: every company for club admins); any other order
is a 404 and is left alone by the bulk action. The pages stay thin: reads from ``rewards.ledger.selectors``,
writes through ``rewards.redemptions.services`` and ``rewards.catalogue.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export import ExportMixin

from core.filters import RefusedFilterMixin
from core.formatting import format_points
from core.spreadsheets import SafeTableExport, StreamingCsvExportMixin
from rewards.catalogue.selectors import rewards_low_on_stock
from rewards.catalogue.services import CatalogueError, voucher_codes_upload
from rewards.ledger.selectors import programme_rules_for_request
from rewards.redemptions.filters import FulfilmentFilter
from rewards.redemptions.forms import BulkFulfilForm, FulfilForm, StaffRejectForm, VoucherUploadForm
from rewards.redemptions.selectors import fulfilment_queue, fulfilment_queue_page, staff_redemption
from rewards.redemptions.services import (
    RedemptionError,
    can_fulfil,
    redemption_delivery_update,
    redemption_fulfil,
    redemption_reject,
    redemptions_fulfil_bulk,
)
from rewards.redemptions.tables import FulfilmentTable

QUEUE_PER_PAGE = 50


class FulfilmentStaffRequiredMixin(LoginRequiredMixin):
    """Staff who may fulfil redemptions; everyone else who is logged in gets a 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_fulfil(request.user):
            raise PermissionDenied(_("Only the club's fulfilment staff can open this page."))
        return super().dispatch(request, *args, **kwargs)


def _queue_url(querystring: str = "") -> str:
    url = reverse("rewards_staff:queue")
    return f"{url}?{querystring}" if querystring else url


class FulfilmentQueueView(
    FulfilmentStaffRequiredMixin,
    RefusedFilterMixin,
    StreamingCsvExportMixin,
    ExportMixin,
    SingleTableMixin,
    FilterView,
):
    """Redemptions to deal with, oldest first (default: ready to fulfil), 50 a page, with
    bulk "mark fulfilled" and the filtered rows as CSV for the warehouse (``?_export=csv``,
    streamed: ``core.spreadsheets.StreamingCsvExportMixin``).
    A filter value the queue does not offer (``?status=bogus``) is a 400 that says so instead
    of an empty queue reading "all dealt with", and makes no export (``core.filters``).
    A fixed number of queries per page."""

    table_class = FulfilmentTable
    filterset_class = FulfilmentFilter
    template_name = "rewards/staff/queue.html"
    table_pagination = {"per_page": QUEUE_PER_PAGE}
    export_class = SafeTableExport  # formula cells neutralised (core.spreadsheets)
    export_formats = ("csv",)

    def get_queryset(self):
        if self.requested_export_format() is None:
            return fulfilment_queue_page(visible_to=self.request.user)
        return fulfilment_queue(visible_to=self.request.user)

    def get_table_kwargs(self):
        return {"rules": programme_rules_for_request(self.request)}

    def get_export_filename(self, export_format):
        return f"redemptions-{timezone.localtime().strftime('%Y%m%d-%H%M')}.{export_format}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.requested_export_format() is not None:
            return context
        context.update(
            low_stock=rewards_low_on_stock(),
            bulk_form=BulkFulfilForm(),
            querystring=self.request.GET.urlencode(),
        )
        return context


class BulkFulfilView(FulfilmentStaffRequiredMixin, View):
    """Mark the ticked redemptions fulfilled, each in its own transaction, and say what
    happened to each: fulfilled, already fulfilled, or refused with the reason."""

    http_method_names = ["post"]

    def post(self, request):
        form = BulkFulfilForm(request.POST)
        back = _queue_url(request.POST.get("querystring", ""))
        if not form.is_valid():
            for error in form.non_field_errors():
                messages.error(request, error)
            return redirect(back)
        selected = form.cleaned_data["selected"]
        in_scope = list(fulfilment_queue(visible_to=request.user).filter(pk__in=selected).values_list("pk", flat=True))
        # Ids that are no order, or another team's: left alone, and said so (the same words
        # for both, so the count reveals nothing about orders the person may not see).
        not_found = form.cleaned_data["not_ids"] + len(selected) - len(in_scope)
        result = redemptions_fulfil_bulk(redemption_ids=in_scope, by=request.user, note=form.cleaned_data["note"])
        if result.fulfilled:
            count = len(result.fulfilled)
            messages.success(
                request,
                ngettext("%(count)s order marked fulfilled.", "%(count)s orders marked fulfilled.", count)
                % {"count": count},
            )
        if result.already:
            messages.info(
                request,
                _("Already fulfilled: %(numbers)s.") % {"numbers": ", ".join(r.number for r in result.already)},
            )
        for _redemption, reason in result.refused:
            messages.error(request, reason)
        if not_found:
            messages.warning(
                request,
                ngettext(
                    "%(count)s ticked order was not found in your queue; it was left alone.",
                    "%(count)s ticked orders were not found in your queue; they were left alone.",
                    not_found,
                )
                % {"count": not_found},
            )
        return redirect(back)


class StaffRedemptionView(FulfilmentStaffRequiredMixin, TemplateView):
    template_name = "rewards/staff/redemption_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        redemption = staff_redemption(pk=self.kwargs["pk"], visible_to=self.request.user)
        if redemption is None:
            raise Http404(_("No such order."))
        context.update(
            redemption=redemption,
            events=list(redemption.events.all()),
            codes=list(redemption.voucher_codes.all()),
            fulfil_form=kwargs.get("fulfil_form") or FulfilForm(),
            reject_form=kwargs.get("reject_form") or StaffRejectForm(),
            delivery_form=kwargs.get("delivery_form")
            or FulfilForm(
                initial={"tracking_reference": redemption.tracking_reference, "note": redemption.fulfilment_note}
            ),
            points_rules=programme_rules_for_request(self.request),
        )
        return context


class _StaffActionView(FulfilmentStaffRequiredMixin, View):
    """POST-only action on one redemption; a broken rule comes back as a message."""

    http_method_names = ["post"]
    form_class = FulfilForm

    def post(self, request, pk: int):
        redemption = get_object_or_404(fulfilment_queue(visible_to=request.user), pk=pk)
        form = self.form_class(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("rewards_staff:redemption", pk)
        try:
            self.act(request, redemption, form.cleaned_data)
        except RedemptionError as exc:
            messages.error(request, str(exc))
        return redirect("rewards_staff:redemption", pk)


class StaffFulfilView(_StaffActionView):
    def act(self, request, redemption, data):
        redemption, changed = redemption_fulfil(
            redemption=redemption, by=request.user, tracking_reference=data["tracking_reference"], note=data["note"]
        )
        if changed:
            messages.success(request, _("Order %(number)s is fulfilled.") % {"number": redemption.number})
        else:
            messages.info(request, _("Order %(number)s was already fulfilled.") % {"number": redemption.number})


class StaffRejectView(_StaffActionView):
    form_class = StaffRejectForm

    def act(self, request, redemption, data):
        now = timezone.now()
        redemption = redemption_reject(redemption=redemption, by=request.user, comment=data["reason"], now=now)
        if redemption.closed_at != now:  # rejected before (the service returns it unchanged)
            messages.info(
                request,
                _("Order %(number)s was already rejected; its points went back then.") % {"number": redemption.number},
            )
            return
        # (The company's name last would end "B.V.." with the sentence's full stop.)
        messages.success(
            request,
            _("Order %(number)s is rejected; %(company)s has its %(points)s back.")
            % {
                "number": redemption.number,
                "points": format_points(redemption.points_total),
                "company": redemption.company,
            },
        )


class StaffDeliveryUpdateView(_StaffActionView):
    def act(self, request, redemption, data):
        redemption_delivery_update(
            redemption=redemption, by=request.user, tracking_reference=data["tracking_reference"], note=data["note"]
        )
        messages.success(request, _("The delivery details are saved."))


class VoucherUploadView(FulfilmentStaffRequiredMixin, FormView):
    """Upload voucher codes (CSV) to a voucher reward's pool; the report lists every line not
    added with its number and why: rejected (not a plain code, too long, unreadable), blank,
    repeated within the file, already in the pool. A file that cannot be read at all is the
    form's error, and adds nothing."""

    template_name = "rewards/staff/voucher_upload.html"
    form_class = VoucherUploadForm

    def get_initial(self):
        return {"reward": self.request.GET.get("reward")}

    def form_valid(self, form):
        reward = form.cleaned_data["reward"]
        try:
            report = voucher_codes_upload(reward=reward, data=form.cleaned_data["file"].read(), by=self.request.user)
        except CatalogueError as exc:
            form.add_error("file", str(exc))
            return self.form_invalid(form)
        if report.added:
            messages.success(
                self.request,
                ngettext("%(count)s code added to %(reward)s.", "%(count)s codes added to %(reward)s.", report.added)
                % {"count": report.added, "reward": reward},
            )
        else:
            messages.warning(self.request, _("No new codes were added; the report says why for each line."))
        if report.rejected:
            messages.error(
                self.request,
                ngettext(
                    "%(count)s line was rejected; the report lists it with the reason.",
                    "%(count)s lines were rejected; the report lists each with the reason.",
                    len(report.rejected),
                )
                % {"count": len(report.rejected)},
            )
        return self.render_to_response(self.get_context_data(form=self.form_class(), report=report, reward=reward))
