"""Member order pages under /rewards/: redeem, the company's orders, cancelling, approvals.
Thin: the company comes from the membership (never from the URL), the programme rules are
read once per request."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django.views.generic.base import ContextMixin
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from core.db import LockWaitTimeout, bounded_lock_wait, busy_message
from core.filters import RefusedFilterMixin
from members.views import CompanyAdminRequiredMixin, MemberRequiredMixin
from rewards.catalogue.selectors import rewards_offered_to
from rewards.catalogue.services import CatalogueError, approval_threshold_set
from rewards.catalogue.views import RewardsSectionMixin, _safe_next
from rewards.ledger.selectors import programme_rules_for_request
from rewards.models import InvoiceCredit, Redemption, RedemptionStatus, Reward, RewardKind
from rewards.redemptions.filters import RedemptionFilter
from rewards.redemptions.forms import ApprovalThresholdForm, CancelRedemptionForm, DecisionForm, RedeemForm
from rewards.redemptions.selectors import company_redemption, company_redemptions, redemptions_awaiting_approval
from rewards.redemptions.services import (
    DeliveryAddress,
    RedemptionError,
    approval_threshold,
    can_redeem,
    redemption_approve,
    redemption_cancel,
    redemption_quote,
    redemption_reject,
    redemption_request,
)
from rewards.redemptions.tables import OrderTable

# --- The reward catalogue, redeeming, orders and approvals ---------------------------------------

ORDERS_PER_PAGE = 25


class RedeemView(MemberRequiredMixin, RewardsSectionMixin, ContextMixin, View):
    """Order a reward in two steps: the form (quantity, delivery address prefilled from the
    company) and the confirm page with the balance before and after. Confirming calls
    ``redemption_request`` with the confirm page's key, so submitting twice orders once.
    Viewers get a 403; a broken rule shows its message and reserves nothing."""

    rewards_section = "catalogue"
    form_template = "rewards/redeem_form.html"
    confirm_template = "rewards/redeem_confirm.html"

    def dispatch(self, request, *args, **kwargs):
        membership = request.membership if request.user.is_authenticated else None
        if membership and not can_redeem(membership):
            raise PermissionDenied(_("Viewers cannot redeem rewards. Ask a purchaser or a company admin."))
        return super().dispatch(request, *args, **kwargs)

    def get_reward(self) -> Reward:
        # A reward not offered to the company (another currency's money) is a 404, as on its
        # page; ``redemption_request`` refuses it too.
        return get_object_or_404(rewards_offered_to(self.company).select_related("tier_required"), pk=self.kwargs["pk"])

    def _page(self, template: str, form: RedeemForm, **extra):
        context = self.get_context_data(
            reward=form.reward, form=form, points_rules=programme_rules_for_request(self.request), **extra
        )
        return render(self.request, template, context)

    def get(self, request, pk: int):
        reward = self.get_reward()
        initial = {"quantity": request.GET.get("quantity") or 1}
        if reward.needs_delivery_address:
            address = DeliveryAddress.for_member(company=self.company, user=request.user)
            initial.update(
                delivery_name=address.name,
                delivery_street=address.street,
                delivery_postal_code=address.postal_code,
                delivery_city=address.city,
                delivery_country=address.country,
                delivery_phone=address.phone,
            )
        return self._page(self.form_template, RedeemForm(reward=reward, initial=initial))

    def post(self, request, pk: int):
        reward = self.get_reward()
        form = RedeemForm(request.POST, reward=reward)
        step = request.POST.get("step", "review")
        if not form.is_valid() or step == "edit":
            return self._page(self.form_template, form)
        data = form.cleaned_data
        if step == "confirm" and data.get("request_key"):
            try:
                with bounded_lock_wait():  # an import may hold the points: answer, do not hang
                    redemption, created = redemption_request(
                        reward=reward,
                        membership=self.membership,
                        quantity=data["quantity"],
                        request_key=data["request_key"],
                        delivery=form.delivery(),
                        note=data["note"],
                    )
            except RedemptionError as exc:
                form.add_error(None, str(exc))
                return self._page(self.form_template, form)
            except LockWaitTimeout:
                form.add_error(None, busy_message())
                return self._page(self.form_template, form)
            if not created:
                messages.info(
                    request, _("Order %(number)s was already placed; here it is.") % {"number": redemption.number}
                )
            elif redemption.status == RedemptionStatus.AWAITING_APPROVAL:
                messages.success(
                    request,
                    _("Order %(number)s is placed and waits for a company admin's approval. The points are reserved.")
                    % {"number": redemption.number},
                )
            elif redemption.status == RedemptionStatus.FULFILLED:
                messages.success(
                    request,
                    _("Order %(number)s is done: your voucher code is below, and we have e-mailed it to you.")
                    % {"number": redemption.number},
                )
            else:
                messages.success(
                    request, _("Order %(number)s is placed. The points are reserved.") % {"number": redemption.number}
                )
            return redirect(redemption)
        try:
            quote = redemption_quote(reward=reward, membership=self.membership, quantity=data["quantity"])
        except RedemptionError as exc:
            form.add_error(None, str(exc))
            return self._page(self.form_template, form)
        return self._page(self.confirm_template, form, quote=quote, request_key=RedeemForm.new_request_key())


class OrderListView(MemberRequiredMixin, RewardsSectionMixin, RefusedFilterMixin, SingleTableMixin, FilterView):
    """Every redemption of the company, newest first, filterable by status; 25 a page with a
    fixed number of queries. A status the list does not offer (``?status=bogus``) is a 400
    that says so, not an empty list reading "No orders match." (``core.filters``)."""

    table_class = OrderTable
    filterset_class = RedemptionFilter
    template_name = "rewards/order_list.html"
    table_pagination = {"per_page": ORDERS_PER_PAGE}
    rewards_section = "orders"

    def get_queryset(self):
        return company_redemptions(company=self.company)

    def get_table_kwargs(self):
        return {"rules": programme_rules_for_request(self.request)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filtered"] = bool(self.request.GET.get("status"))
        return context


def _may_cancel(redemption: Redemption, membership) -> bool:
    return redemption.is_open and (redemption.requested_by_id == membership.user_id or membership.is_admin)


class OrderDetailView(MemberRequiredMixin, RewardsSectionMixin, TemplateView):
    """One order: what, how many, the points, the delivery address, its timeline, the
    voucher codes once fulfilled, and the actions the person may take (cancel; approve or
    reject for a company admin). Another company's order is a 404."""

    template_name = "rewards/order_detail.html"
    rewards_section = "orders"
    # A group admin's look at a branch's order (groups.views): no actions, and the voucher
    # codes stay with the branch's own contacts (a code is money to whoever reads it).
    read_only = False

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        redemption = company_redemption(company=self.company, pk=self.kwargs["pk"])
        if redemption is None:
            raise Http404(_("No such order."))
        fulfilled = redemption.status == RedemptionStatus.FULFILLED
        may_act = not self.read_only
        context.update(
            redemption=redemption,
            read_only=self.read_only,
            orders_url=reverse("rewards:orders"),
            events=list(redemption.events.all()),
            codes=list(redemption.voucher_codes.all()) if fulfilled and may_act else [],
            invoice_credit=(
                InvoiceCredit.objects.filter(redemption=redemption).first()
                if redemption.reward_kind == RewardKind.INVOICE_CREDIT
                else None
            ),
            may_cancel=may_act and _may_cancel(redemption, self.membership),
            may_decide=may_act and self.membership.is_admin and redemption.status == RedemptionStatus.AWAITING_APPROVAL,
            decision_form=DecisionForm(),
            cancel_form=CancelRedemptionForm(),
            points_rules=programme_rules_for_request(self.request),
        )
        return context


class OrderCancelView(MemberRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        redemption = get_object_or_404(Redemption, pk=pk, company=self.company)
        if not (redemption.requested_by_id == request.user.pk or self.membership.is_admin):
            raise PermissionDenied(_("Only the person who placed the order or a company admin can cancel it."))
        form = CancelRedemptionForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        try:
            redemption = redemption_cancel(redemption=redemption, by=request.user, reason=reason)
        except RedemptionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Order %(number)s is cancelled; its points are back in your balance.")
                % {"number": redemption.number},
            )
        return redirect(redemption)


class ApprovalsView(CompanyAdminRequiredMixin, RewardsSectionMixin, TemplateView):
    """For company admins: the orders waiting for approval, oldest first, each with approve
    and reject; and the company's approval limit."""

    template_name = "rewards/approvals.html"
    rewards_section = "approvals"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        threshold = approval_threshold(company_id=self.company.pk)
        context.update(
            awaiting=list(redemptions_awaiting_approval(company=self.company)),
            threshold=threshold,
            threshold_form=kwargs.get("threshold_form")
            or ApprovalThresholdForm(initial={"approval_threshold": threshold}),
            decision_form=DecisionForm(),
            points_rules=programme_rules_for_request(self.request),
        )
        return context

    def post(self, request):
        form = ApprovalThresholdForm(request.POST)
        if form.is_valid():
            try:
                approval_threshold_set(
                    company=self.company, threshold=form.cleaned_data["approval_threshold"], by=request.user
                )
            except CatalogueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The approval limit is saved."))
                return redirect("rewards:approvals")
        return self.render_to_response(self.get_context_data(threshold_form=form))


class ApprovalDecideView(CompanyAdminRequiredMixin, View):
    """A company admin approves or rejects (with a comment) one of the company's orders."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        redemption = get_object_or_404(Redemption, pk=pk, company=self.company)
        form = DecisionForm(request.POST)
        fallback = reverse("rewards:approvals")
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:  # the banner names the order: the page may list several
                    messages.error(
                        request, _("Order %(number)s: %(error)s") % {"number": redemption.number, "error": error}
                    )
            return redirect(_safe_next(request, fallback))
        try:
            if form.cleaned_data["decision"] == DecisionForm.APPROVE:
                redemption = redemption_approve(
                    redemption=redemption, by=request.user, comment=form.cleaned_data["comment"]
                )
                messages.success(request, _("Order %(number)s is approved.") % {"number": redemption.number})
            else:
                redemption = redemption_reject(
                    redemption=redemption, by=request.user, comment=form.cleaned_data["comment"]
                )
                messages.success(
                    request,
                    _("Order %(number)s is rejected; its points are back in your balance.")
                    % {"number": redemption.number},
                )
        except RedemptionError as exc:
            messages.error(request, str(exc))
        return redirect(_safe_next(request, fallback))
