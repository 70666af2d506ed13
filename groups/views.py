"""Member pages of company groups (/groups/): the group overview, the transfer form, the
transfers list, the approvals of a group admin, and a branch's points history and orders
for its group admins. Thin: rules in ``groups.services``, reads in ``groups.selectors``;
a company another person may not see is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, ListView, TemplateView, View

from members.models import Company
from rewards.ledger.selectors import programme_rules_for_request
from rewards.ledger.views import PointsHistoryView
from rewards.redemptions.views import OrderDetailView, OrderListView

from . import selectors
from .forms import DecisionForm, TransferForm
from .models import PointsMode, PointsTransfer, TransferStatus
from .services import GroupError, transfer_approve, transfer_reject, transfer_request


class GroupMemberMixin(LoginRequiredMixin):
    """A contact of a company in a group, or a group admin. Sets ``self.company`` (the
    person's own, or None), ``self.group`` and ``self.administered`` (groups they run)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = getattr(request, "membership", None)
        self.company = membership.company if membership else None
        self.membership = membership
        self.administered = list(selectors.groups_administered(user=request.user))
        own = selectors.group_for_company(company_id=self.company.pk) if self.company else None
        self.group = own or (self.administered[0] if self.administered else None)
        if self.group is None:
            raise PermissionDenied(_("This page is for companies in a company group."))
        self.is_group_admin = any(group.pk == self.group.pk for group in self.administered)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(group=self.group, is_group_admin=self.is_group_admin, own_company=self.company)
        return context


class GroupOverviewView(GroupMemberMixin, TemplateView):
    """The group's branches with their balance and its money value (a group admin sees every
    branch; a branch's contact sees the group's name and their own branch)."""

    template_name = "groups/overview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        all_branches = selectors.branches(group=self.group)
        pooled = self.group.points_mode == PointsMode.POOLED
        visible = (
            all_branches
            if self.is_group_admin
            else [c for c in all_branches if self.company and c.pk == self.company.pk]
        )
        context.update(
            branches=visible,
            # A pooled group's balance is everyone's business; per-branch balances are the admins'.
            group_balance=sum(c.balance for c in all_branches) if self.is_group_admin or pooled else None,
            pooled=pooled,
            points_rules=programme_rules_for_request(self.request),
            awaiting=selectors.transfers_awaiting_count(user=self.request.user) if self.is_group_admin else 0,
            may_transfer=self.group.points_mode == PointsMode.TRANSFERS
            and (self.is_group_admin or bool(self.membership and self.membership.is_admin)),
        )
        return context


class TransferView(GroupMemberMixin, FormView):
    """Send points to another branch: a group admin from any branch, a company admin from
    their own. Errors are shown on the form; nothing changes."""

    template_name = "groups/transfer.html"
    form_class = TransferForm

    def _senders_receivers(self):
        branches = selectors.branches(group=self.group)
        senders = branches if self.is_group_admin else [c for c in branches if self.company and c.pk == self.company.pk]
        return senders, branches

    def get(self, request, *args, **kwargs):
        self._check_may_transfer()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self._check_may_transfer()
        return super().post(request, *args, **kwargs)

    def _check_may_transfer(self):
        if self.group.points_mode != PointsMode.TRANSFERS:
            raise PermissionDenied(
                _("%(group)s pools its points: there is nothing to transfer.") % {"group": self.group.name}
            )
        if not (self.is_group_admin or (self.membership and self.membership.is_admin)):
            raise PermissionDenied(_("Only a company admin or a group admin can transfer points."))

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        self.senders, self.receivers = self._senders_receivers()
        kwargs.update(senders=self.senders, receivers=self.receivers)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            senders=self.senders,
            points_rules=programme_rules_for_request(self.request),
            threshold=self.group.approval_threshold,
        )
        return context

    def form_valid(self, form):
        by_pk = {c.pk: c for c in self.receivers}
        sender = by_pk.get(form.cleaned_data["from_company"])
        receiver = by_pk.get(form.cleaned_data["to_company"])
        if sender is None or receiver is None or sender not in self.senders:
            form.add_error(None, _("Choose branches of your group."))
            return self.form_invalid(form)
        try:
            transfer, _created = transfer_request(
                by=self.request.user,
                from_company=Company.objects.get(pk=sender.pk),
                to_company=Company.objects.get(pk=receiver.pk),
                points=form.cleaned_data["points"],
                key=form.cleaned_data["key"],
                note=form.cleaned_data["note"],
            )
        except GroupError as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        if transfer.status == TransferStatus.DONE:
            messages.success(self.request, _("Transfer T-%(number)s is done.") % {"number": transfer.pk})
        else:
            messages.info(
                self.request,
                _("Transfer T-%(number)s is waiting for a group admin's approval.") % {"number": transfer.pk},
            )
        return redirect("groups:transfers")


class TransferListView(GroupMemberMixin, ListView):
    """Transfers the person may see: their branch's, or every one of the groups they run."""

    template_name = "groups/transfers.html"
    paginate_by = 25
    context_object_name = "transfers"

    def get_queryset(self):
        return selectors.transfers_visible(user=self.request.user, company=self.company)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["points_rules"] = programme_rules_for_request(self.request)
        return context


class ApprovalsView(GroupMemberMixin, TemplateView):
    """Transfers waiting for a group admin, with approve and reject."""

    template_name = "groups/approvals.html"

    def get_context_data(self, **kwargs):
        if not self.administered:
            raise PermissionDenied(_("Only a group admin can approve transfers."))
        context = super().get_context_data(**kwargs)
        context.update(
            transfers=list(selectors.transfers_awaiting(user=self.request.user)),
            points_rules=programme_rules_for_request(self.request),
            form=DecisionForm(),
        )
        return context


class ApprovalDecideView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        transfer = get_object_or_404(PointsTransfer.objects.filter(group__admins__user=request.user).distinct(), pk=pk)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose approve or reject."))
            return redirect("groups:approvals")
        try:
            if form.cleaned_data["decision"] == "approve":
                transfer_approve(transfer=transfer, by=request.user)
                messages.success(
                    request, _("Transfer T-%(number)s approved: the points have moved.") % {"number": transfer.pk}
                )
            else:
                transfer_reject(transfer=transfer, by=request.user, comment=form.cleaned_data["comment"])
                messages.success(request, _("Transfer T-%(number)s rejected.") % {"number": transfer.pk})
        except GroupError as exc:
            messages.error(request, str(exc))
        return redirect("groups:approvals")


class BranchScopeMixin:
    """For a group admin's view of one branch, on top of the member page's own view: the
    company comes from the URL and must be a branch of a group the person administers (else
    404, like a company that does not exist); the page then reads that company's data and
    knows it shows a ``branch``."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        branch = selectors.branch_for_viewer(user=request.user, company_id=kwargs["company_pk"])
        if branch is None:
            raise Http404(_("No such branch in your groups."))
        self.branch = branch
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        self.company = self.branch
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["branch"] = self.branch
        return context


class BranchHistoryView(BranchScopeMixin, PointsHistoryView):
    """A branch's points history, for its group admins: the member page, scoped to the branch."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["history_url"] = reverse("groups:branch_history", args=[self.branch.pk])
        return context


class BranchOrdersView(BranchScopeMixin, OrderListView):
    """A branch's reward orders, for its group admins; each leads to the branch's order page."""

    def get_table_kwargs(self):
        branch = self.branch.pk
        return {
            **super().get_table_kwargs(),
            "order_url": lambda record: reverse("groups:branch_order", args=[branch, record.pk]),
        }


class BranchOrderDetailView(BranchScopeMixin, OrderDetailView):
    """One of a branch's orders, read-only, for its group admins (no actions, no codes)."""

    read_only = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["orders_url"] = reverse("groups:branch_orders", args=[self.branch.pk])
        return context
