"""The sales rep workspace under ``/staff/`` (two-factor authentication enforced).

A sales rep sees the accounts assigned to them; a club admin sees every account. An
account outside that scope is a 404 on every URL. Views stay thin: a selector reads, a
service writes, and a refused write re-renders the page with the reason.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export import ExportMixin

from campaigns.selectors import company_campaigns
from core.db import LockWaitTimeout, bounded_lock_wait, busy_message
from core.spreadsheets import SafeTableExport, StreamingCsvExportMixin
from members.models import Company, CompanyStatus
from members.selectors import company_colleagues, is_sales_rep
from members.views import SalesStaffRequiredMixin
from messaging.selectors import recent_broadcasts, staff_company, staff_threads
from messaging.services import MessagingError, broadcast_create, broadcast_key, thread_start
from rewards.ledger.selectors import account_summary, programme_rules_for_request

from .activity import account_activity_as_of, account_activity_rebuild
from .filters import AccountFilter, describe_audience
from .forms import BroadcastForm, GoodwillForm, StaffNoteForm, StaffThreadStartForm
from .selectors import (
    account_months,
    accounts_expiring,
    goodwill_awards,
    goodwill_status,
    recent_redemptions,
    rep_accounts,
    staff_notes,
)
from .services import RepsError, goodwill_award, staff_note_add
from .tables import AccountTable

ACCOUNTS_PER_PAGE = 25
BROADCAST_PREVIEW = 12


class AccountListView(SalesStaffRequiredMixin, StreamingCsvExportMixin, ExportMixin, SingleTableMixin, FilterView):
    """My accounts (every account for a club admin), filterable and sortable. The query count
    of a page is fixed: when the purchase figures were computed, one annotated query for the
    rows, one to count them, two for the points expiring on that page. ``?_export=csv``
    streams every account in the filter and sort, not only the page; any other ``?_export=``
    is a 400 (``core.spreadsheets.DeclaredExportFormatsMixin``)."""

    table_class = AccountTable
    export_class = SafeTableExport
    export_formats = ("csv",)
    filterset_class = AccountFilter
    template_name = "reps/account_list.html"
    table_pagination = {"per_page": ACCOUNTS_PER_PAGE}

    def get_queryset(self):
        self.activity_as_of = account_activity_as_of()
        if self.activity_as_of is None:  # a new installation: compute the figures once
            account_activity_rebuild()
            self.activity_as_of = account_activity_as_of()
        return rep_accounts(user=self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "show_rep": self.is_club_admin}

    def get_table_kwargs(self):
        return {"rules": programme_rules_for_request(self.request), "show_rep": self.is_club_admin}

    def get_export_filename(self, export_format):
        return f"accounts-{timezone.localtime().strftime('%Y%m%d-%H%M')}.{export_format}"

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        if self.requested_export_format():
            return table  # the export leaves the expiring points out
        table.expiring = accounts_expiring(companies=[row.record for row in table.page.object_list])
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            is_club_admin=self.is_club_admin,
            is_rep=is_sales_rep(self.request.user),
            filtered=self.filterset.is_filtered,
            activity_as_of=self.activity_as_of,
            base_currency=programme_rules_for_request(self.request).currency,  # the purchase amounts' currency
            query_string=self.request.GET.urlencode(),
            goodwill=goodwill_status(rep=self.request.user) if is_sales_rep(self.request.user) else None,
        )
        return context


class _AccountMixin(SalesStaffRequiredMixin):
    """Finds the account in the person's scope (404 otherwise) and renders its page."""

    template_name = "reps/account_detail.html"

    def get_company(self, pk: int):
        company = staff_company(user=self.request.user, company_id=pk)
        if company is None:
            raise Http404(_("No such account."))
        return company

    def render_page(self, company, *, note_form=None, goodwill_form=None, status=200):
        user = self.request.user
        is_own_rep = company.sales_rep_id == user.pk and is_sales_rep(user)
        context = {
            "company": company,
            "colleagues": list(company_colleagues(company)),
            "summary": account_summary(company=company),
            "months": account_months(company=company),
            "points_rules": programme_rules_for_request(self.request),
            "redemptions": recent_redemptions(company=company),
            "campaigns": company_campaigns(company=company),
            "threads": list(staff_threads(user=user, company=company)[:10]),
            "notes": staff_notes(company=company),
            "note_form": note_form or StaffNoteForm(),
            "awards": goodwill_awards(company=company),
            "is_own_rep": is_own_rep,
            "goodwill": goodwill_status(rep=user) if is_own_rep else None,
            "goodwill_form": goodwill_form or GoodwillForm(initial={"key": broadcast_key()}),
        }
        return render(self.request, self.template_name, context, status=status)


class AccountDetailView(_AccountMixin, View):
    """One account: contacts and roles, points, recent redemptions, campaigns, conversations,
    goodwill and private staff notes."""

    def get(self, request, pk: int):
        return self.render_page(self.get_company(pk))


class StaffNoteCreateView(_AccountMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        company = self.get_company(pk)
        form = StaffNoteForm(request.POST)
        if form.is_valid():
            try:
                staff_note_add(company=company, author=request.user, body=form.cleaned_data["body"])
            except RepsError as exc:
                form.add_error("body", str(exc))
            else:
                messages.success(request, _("Note saved."))
                return redirect(f"{reverse('reps:account', args=[company.pk])}#notes")
        return self.render_page(company, note_form=form, status=400)


class GoodwillAwardView(_AccountMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        company = self.get_company(pk)
        form = GoodwillForm(request.POST)
        if form.is_valid():
            try:
                with bounded_lock_wait():  # an import may hold the account: answer, do not hang
                    award = goodwill_award(
                        rep=request.user,
                        company=company,
                        points=form.cleaned_data["points"],
                        reason=form.cleaned_data["reason"],
                        key=form.cleaned_data["key"],
                    )
            except RepsError as exc:
                form.add_error(None, str(exc))
            except LockWaitTimeout:
                form.add_error(None, busy_message())
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s goodwill point given to %(company)s.",
                        "%(count)s goodwill points given to %(company)s.",
                        award.points,
                    )
                    % {"count": award.points, "company": company.name},
                )
                return redirect(f"{reverse('reps:account', args=[company.pk])}#goodwill")
        messages.error(request, _("No points were given. Please correct the problem below."))
        return self.render_page(company, goodwill_form=form, status=400)


class AccountThreadStartView(_AccountMixin, View):
    """Start a conversation with one account."""

    template_name_start = "reps/thread_start.html"

    def _render(self, company, form, status=200):
        return render(
            self.request,
            self.template_name_start,
            {"company": company, "form": form, "cancel_url": reverse("reps:account", args=[company.pk])},
            status=status,
        )

    def get(self, request, pk: int):
        return self._render(self.get_company(pk), StaffThreadStartForm())

    def post(self, request, pk: int):
        company = self.get_company(pk)
        form = StaffThreadStartForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                thread = thread_start(
                    company=company,
                    author=request.user,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                )
            except MessagingError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your message has been sent to %(company)s.") % {"company": company.name})
                return redirect("staff_messages:thread", thread.pk)
        return self._render(company, form, status=400)


class BroadcastView(SalesStaffRequiredMixin, View):
    """One message to all of the rep's accounts, or those the "My accounts" filters pick
    (the filters travel in the query string). Each company gets it in a new conversation."""

    template_name = "reps/broadcast.html"

    def _audience(self):
        """The filters, why they cannot pick an audience (a wrong value, a filter this person
        does not have: never a silently wider audience), and the audience when they can."""
        filterset = AccountFilter(
            self.request.GET or None, queryset=rep_accounts(user=self.request.user), show_rep=self.is_club_admin
        )
        problems = filterset.problems(self.request.GET)
        if problems:
            return filterset, problems, Company.objects.none()
        # Suspended companies get no messages (broadcast_create leaves them out too).
        return filterset, [], filterset.qs.filter(status=CompanyStatus.ACTIVE)

    def _render(self, form, status=200):
        filterset, problems, audience = self._audience()
        count = audience.count()
        recent = recent_broadcasts(user=self.request.user)
        for broadcast in recent:
            broadcast.audience_text = describe_audience(broadcast.audience)
        context = {
            "form": form,
            "filter": filterset,
            "problems": problems,
            "count": count,
            "preview": list(audience.order_by("name")[:BROADCAST_PREVIEW]),
            "more": max(0, count - BROADCAST_PREVIEW),
            "query_string": self.request.GET.urlencode(),
            "recent": recent,
        }
        return render(self.request, self.template_name, context, status=400 if problems else status)

    def get(self, request):
        return self._render(BroadcastForm(initial={"key": broadcast_key()}))

    def post(self, request):
        form = BroadcastForm(request.POST, request.FILES)
        filterset, problems, audience = self._audience()
        if form.is_valid() and not problems:
            try:
                broadcast = broadcast_create(
                    sender=request.user,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                    companies=audience,
                    key=form.cleaned_data["key"],
                    audience=filterset.chosen(),
                )
            except MessagingError as exc:
                form.add_error(None, str(exc))
            else:
                reached = broadcast.companies.count()
                messages.success(
                    request,
                    ngettext(
                        "Your message is on its way to %(count)s account.",
                        "Your message is on its way to %(count)s accounts.",
                        reached,
                    )
                    % {"count": reached},
                )
                return redirect("staff_messages:list")
        messages.error(request, _("Nothing was sent. Please correct the problems below."))
        return self._render(form, status=400)
