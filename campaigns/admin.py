"""Staff plan and follow campaigns in the Django admin.

The campaign list shows status, dates, audience, participants, points issued against the
budget and redemptions in a fixed number of queries (``selectors.campaigns_with_figures``);
status changes are buttons that call ``campaigns.services`` (the beat task starts and ends
campaigns); each campaign has a results page against its hold-out group with a chart and a
CSV export, and there is an NPS page. Activities waiting for staff (custom activities,
event attendance) are confirmed here too. Views only check permissions and call services.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F
from django.http import HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cms.models import EventRegistration, RegistrationStatus
from core.admin import ReadOnlyAdminMixin
from core.content_language import languages, translated_fields
from core.formatting import format_money, format_number, format_points
from core.spreadsheets import csv_stream
from core.translation_admin import TranslatedContentAdmin
from members.admin_scoping import CompanyScopedAdminMixin
from members.models import Country
from members.selectors import staff_company_q, staff_sees_every_company
from rewards.ledger.selectors import points_value, programme_rules_for_request
from rewards.models import ProgrammeRules

from .forms import AttendanceForm, CampaignAdminForm, CampaignRuleForm, CampaignRuleFormSet
from .models import (
    Activity,
    ActivityCompletion,
    ActivityKind,
    Badge,
    BadgeAward,
    Campaign,
    CampaignAward,
    CampaignRule,
    CampaignStatus,
    Challenge,
    ChallengeCompletion,
    CompletionStatus,
    Referral,
    ReferralStatus,
    Segment,
)
from .selectors import (
    campaign_results_by_company,
    campaign_trail,
    campaigns_with_figures,
    nps_by_campaign,
    nps_by_month,
    nps_figures,
    nps_latest_comments,
    remembered_campaign_results,
)
from .services import (
    CampaignError,
    activity_confirm,
    activity_reject,
    campaign_audience_refresh,
    campaign_cancel,
    campaign_create,
    campaign_editable_fields,
    campaign_related_changed,
    campaign_schedule,
    campaign_unschedule,
    campaign_update,
    event_attendance_confirm,
    referral_decline,
)


class CampaignStateFilter(admin.SimpleListFilter):
    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("running", _("Running")),
            ("scheduled", _("Scheduled")),
            ("ended", _("Ended")),
            ("over_budget", _("Budget used up")),
            ("draft", _("Draft")),
            ("cancelled", _("Cancelled")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "running":
            return queryset.filter(status=CampaignStatus.ACTIVE)
        if value == "scheduled":
            return queryset.filter(status=CampaignStatus.SCHEDULED)
        if value == "ended":
            return queryset.filter(status=CampaignStatus.ENDED)
        if value == "over_budget":
            return queryset.filter(points_awarded__gte=F("points_budget"))
        if value == "draft":
            return queryset.filter(status=CampaignStatus.DRAFT)
        if value == "cancelled":
            return queryset.filter(status=CampaignStatus.CANCELLED)
        return queryset


class CampaignRuleInline(admin.StackedInline):
    model = CampaignRule
    form = CampaignRuleForm
    formset = CampaignRuleFormSet
    extra = 0
    verbose_name = gettext_lazy("rule")
    verbose_name_plural = gettext_lazy("Rules (what the campaign rewards)")

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == CampaignStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class CampaignActivityInline(admin.TabularInline):
    """The campaign's activities, for reference; they are edited under Activities."""

    model = Activity
    fields = ["title", "kind", "points", "scope", "is_published"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False
    verbose_name_plural = gettext_lazy("Activities of this campaign")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


STATUS_CLASSES = {
    CampaignStatus.DRAFT: "campaign-status--draft",
    CampaignStatus.SCHEDULED: "campaign-status--scheduled",
    CampaignStatus.ACTIVE: "campaign-status--active",
    CampaignStatus.ENDED: "campaign-status--ended",
    CampaignStatus.CANCELLED: "campaign-status--cancelled",
}


@admin.register(Campaign)
class CampaignAdmin(TranslatedContentAdmin):
    form = CampaignAdminForm
    change_form_template = "campaigns/admin/campaign_change_form.html"
    change_list_template = "campaigns/admin/campaign_change_list.html"
    list_display = [
        "name",
        "status_badge",
        "period",
        "audience",
        "participants",
        "budget",
        "redemptions",
        "results_link",
    ]
    list_filter = [CampaignStateFilter, "audience_kind"]
    search_fields = ["name", "headline"]
    date_hierarchy = "starts_at"
    inlines = [CampaignRuleInline, CampaignActivityInline]
    filter_horizontal = ["tiers", "companies"]
    autocomplete_fields = ["segment"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["name", "headline", "description", "owner", "offer_page"]}),
        (gettext_lazy("When"), {"fields": ["starts_at", "ends_at"]}),
        (
            gettext_lazy("Who"),
            {
                "fields": ["audience_kind", "tiers", "countries", "companies", "segment", "holdout_percent"],
                "description": gettext_lazy(
                    "The audience is fixed when the campaign starts; the hold-out share of it gets nothing and "
                    "sees nothing, so the results can compare the two groups."
                ),
            },
        ),
        (gettext_lazy("Budget"), {"fields": ["points_budget"]}),
    ]

    def get_queryset(self, request):
        return campaigns_with_figures(super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        # Staff who see only some companies (reps) never see or set the chosen companies
        # outside their scope: the field is replaced by the list of their own among them.
        scoped = [] if staff_sees_every_company(request.user) else ["companies_in_scope"]
        if obj is None:
            return scoped
        editable = campaign_editable_fields(obj)
        if editable is None:
            return scoped
        every = [name for _title, options in self.fieldsets for name in options["fields"]]
        readonly = [name for name in every if name not in editable]
        # The translated texts are edited per language (name_en, name_sv...): each follows its field.
        readonly += [
            f"{name}_{language}" for name in readonly if name in translated_fields(Campaign) for language in languages()
        ]
        return [*readonly, *scoped, "countries_label"] if "countries" in readonly else [*readonly, *scoped]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        readonly = self.get_readonly_fields(request, obj)
        swaps = {
            "countries": "countries_label" if "countries" in readonly else "countries",
            "companies": "companies_in_scope" if "companies_in_scope" in readonly else "companies",
        }
        return [
            (title, {**options, "fields": [swaps.get(f, f) for f in options["fields"]]}) for title, options in fieldsets
        ]

    def get_object(self, request, object_id, from_field=None):
        campaign = super().get_object(request, object_id, from_field)
        if campaign is not None and not staff_sees_every_company(request.user):
            chosen = campaign.companies.all()
            campaign.companies_visible = list(chosen.filter(staff_company_q(user=request.user)).order_by("name"))
            campaign.companies_hidden = chosen.count() - len(campaign.companies_visible)
        return campaign

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def has_delete_permission(self, request, obj=None):
        # Drafts only: anything scheduled or started is part of the record (cancel instead).
        if obj is not None and obj.status != CampaignStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, campaign: Campaign):
        return format_html(
            '<span class="campaign-status {}">{}</span>', STATUS_CLASSES[campaign.status], campaign.get_status_display()
        )

    @admin.display(description=gettext_lazy("period"), ordering="starts_at")
    def period(self, campaign: Campaign):
        # The last day, as members read it: an end at midnight belongs to the day before.
        return format_html(
            "{} – {}",
            date_format(timezone.localtime(campaign.starts_at), "SHORT_DATE_FORMAT"),
            date_format(campaign.last_day, "SHORT_DATE_FORMAT"),
        )

    @admin.display(description=gettext_lazy("countries"))
    def countries_label(self, campaign: Campaign):
        labels = dict(Country.choices)
        return ", ".join(str(labels.get(code, code)) for code in campaign.countries) or "–"

    @admin.display(description=gettext_lazy("companies"))
    def companies_in_scope(self, campaign: Campaign):
        """The chosen companies among the person's own accounts, and how many others."""
        names = [company.name for company in getattr(campaign, "companies_visible", [])]
        hidden = getattr(campaign, "companies_hidden", 0)
        if hidden:
            names.append(
                ngettext("and %(count)s account of other reps", "and %(count)s accounts of other reps", hidden)
                % {"count": hidden}
            )
        return ", ".join(names) or "–"

    @admin.display(description=gettext_lazy("audience"), ordering="audience_size")
    def audience(self, campaign: Campaign):
        estimate = campaign.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)
        return format_html(
            "{}{} <small>({})</small>",
            "≈ " if estimate else "",
            campaign.audience_size,
            _("%(count)s held out") % {"count": campaign.holdout_size},
        )

    @admin.display(description=gettext_lazy("participants"), ordering="participant_count")
    def participants(self, campaign: Campaign):
        return campaign.participant_count

    @admin.display(description=gettext_lazy("points issued / budget"), ordering="points_awarded")
    def budget(self, campaign: Campaign):
        # Replaced per request by get_list_display's column (with money values); this one
        # satisfies the admin's checks and any caller without a request.
        return format_html(
            "{} / {} ({}%)",
            format_number(campaign.points_awarded),
            format_points(campaign.points_budget),
            campaign.budget_used_percent,
        )

    def get_list_display(self, request):
        # The budget column shows money values at the programme's point value, read once
        # per request; a column made per request keeps the shared admin free of state.
        rules = programme_rules_for_request(request)

        @admin.display(description=gettext_lazy("points issued / budget"), ordering="points_awarded")
        def budget(campaign: Campaign):
            return format_html(
                '<span class="{}">{} / {} ({}%)</span><br><small class="campaign-budget__value">{} / {}</small>',
                "campaign-budget--spent" if campaign.points_left == 0 else "",
                format_number(campaign.points_awarded),
                format_points(campaign.points_budget),
                campaign.budget_used_percent,
                format_money(points_value(points=campaign.points_awarded, rules=rules), rules.currency),
                format_money(points_value(points=campaign.points_budget, rules=rules), rules.currency),
            )

        return [budget if name == "budget" else name for name in super().get_list_display(request)]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        field = form.base_fields.get("points_budget")  # the form class is made per request
        if field is not None:
            rules = programme_rules_for_request(request)
            example = 10_000 if obj is None else obj.points_budget
            field.help_text = format_html(
                "{} {}",
                field.help_text,
                _("At today's point value, %(points)s are worth %(value)s.")
                % {
                    "points": format_points(example),
                    "value": format_money(points_value(points=example, rules=rules), rules.currency),
                },
            )
        return form

    @admin.display(description=gettext_lazy("redemptions"), ordering="redemption_count")
    def redemptions(self, campaign: Campaign):
        return campaign.redemption_count

    @admin.display(description=gettext_lazy("results"))
    def results_link(self, campaign: Campaign):
        if campaign.status not in (CampaignStatus.ACTIVE, CampaignStatus.ENDED, CampaignStatus.CANCELLED):
            return "–"
        if campaign.started_at is None:
            return "–"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:campaigns_campaign_results", args=[campaign.pk]), _("Results")
        )

    # --- saving: drafts as forms do; scheduled and running campaigns through the service

    def save_model(self, request, obj, form, change):
        if not change:
            campaign_create(campaign=obj, by=request.user)
            return
        model_fields = {field.name for field in Campaign._meta.concrete_fields}
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in model_fields}
        campaign_update(campaign_id=obj.pk, changes=changes, by=request.user)

    def save_related(self, request, form, formsets, change):
        # The chosen tiers and companies, rules and activities are saved by the admin's forms:
        # what they were before goes into the audit trail next to what they are now.
        campaign = form.instance
        related = {
            name: getattr(campaign, name)
            for name in ("tiers", "companies")
            if change and name in form.changed_data and name in form.fields
        }
        related.update({formset.prefix: formset.queryset for formset in formsets if change and formset.has_changed()})
        before = {name: [str(item) for item in items.all()] for name, items in related.items()}
        super().save_related(request, form, formsets, change)
        after = {name: [str(item) for item in items.all()] for name, items in related.items()}
        changes = {name: (before[name], after[name]) for name in related if before[name] != after[name]}
        if changes:
            campaign_related_changed(campaign=campaign, changes=changes, by=request.user)
        campaign_audience_refresh(campaign=campaign)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except CampaignError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return redirect(request.path)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["campaign_actions"] = self._actions_for(request, obj) if obj else []
        context["campaign_trail"] = campaign_trail(campaign=obj, viewer=request.user) if obj else []
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _actions_for(self, request, campaign: Campaign) -> list[dict]:
        if not self.has_change_permission(request, campaign):
            return []
        actions = []
        if campaign.status == CampaignStatus.DRAFT:
            actions.append({"name": "schedule", "label": _("Schedule"), "style": "default"})
        if campaign.status == CampaignStatus.SCHEDULED:
            actions.append({"name": "unschedule", "label": _("Back to draft"), "style": ""})
        if campaign.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE):
            actions.append(
                {
                    "name": "cancel",
                    "label": _("Cancel the campaign"),
                    "style": "danger",
                    "confirm": _("Cancel “%(name)s”? It stops rewarding at once.") % {"name": campaign.name},
                }
            )
        return actions

    # --- extra views

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("nps/", view(self.nps_view), name="campaigns_campaign_nps"),
            path("<int:pk>/results/", view(self.results_view), name="campaigns_campaign_results"),
            path("<int:pk>/results.csv", view(self.results_csv_view), name="campaigns_campaign_results_csv"),
            path("<int:pk>/status/<str:action>/", view(self.status_view), name="campaigns_campaign_status"),
            *super().get_urls(),
        ]

    def status_view(self, request, pk: int, action: str):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        campaign = get_object_or_404(Campaign, pk=pk)
        if not self.has_change_permission(request, campaign):
            raise PermissionDenied
        services = {"schedule": campaign_schedule, "unschedule": campaign_unschedule, "cancel": campaign_cancel}
        if action not in services:
            raise PermissionDenied
        try:
            campaign = services[action](campaign=campaign, by=request.user)
        except CampaignError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                _("“%(name)s” is now %(status)s.")
                % {"name": campaign.name, "status": campaign.get_status_display().lower()},
                messages.SUCCESS,
            )
        return redirect("admin:campaigns_campaign_change", campaign.pk)

    def _started_campaign(self, request, pk: int) -> Campaign:
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaign = get_object_or_404(Campaign.objects.select_related("owner"), pk=pk)
        if campaign.started_at is None:
            raise PermissionDenied(_("The campaign has not started: there are no results yet."))
        return campaign

    def results_view(self, request, pk: int):
        campaign = self._started_campaign(request, pk)
        rules = programme_rules_for_request(request)
        results, computed_at = remembered_campaign_results(campaign=campaign, rules=rules)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Results of %(name)s") % {"name": campaign.name},
            "campaign": campaign,
            "results": results,
            "figures_as_of": computed_at,
            "points_rules": rules,
        }
        return TemplateResponse(request, "campaigns/admin/campaign_results.html", context)

    def results_csv_view(self, request, pk: int):
        campaign = self._started_campaign(request, pk)

        # Revenue in the base currency, other currencies at their reporting rate (as on the page).
        currency = {"currency": ProgrammeRules.current().currency}
        header = [
            _("company"),
            _("external id"),
            _("group"),
            _("revenue before (%(currency)s)") % currency,
            _("revenue during (%(currency)s)") % currency,
            _("purchases during"),
            _("campaign points"),
        ]

        def rows():
            yield header
            for row in campaign_results_by_company(campaign=campaign, visible_to=request.user):
                yield [
                    row.company_name,
                    row.external_id,
                    _("hold-out") if row.in_holdout else _("treated"),
                    row.revenue_before,
                    row.revenue_during,
                    row.purchases_during,
                    row.campaign_points,
                ]

        # Company names are typed by members: formula cells are neutralised.
        response = StreamingHttpResponse(csv_stream(rows()), content_type="text/csv; charset=utf-8")
        filename = f"campaign-{campaign.pk}-{slugify(campaign.name)}-{timezone.localdate().isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def nps_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Net Promoter Score"),
            "overall": nps_figures(ActivityCompletion.objects.all()),
            "by_campaign": nps_by_campaign(),
            "by_month": nps_by_month(),
            "comments": nps_latest_comments(visible_to=request.user),
        }
        return TemplateResponse(request, "campaigns/admin/nps.html", context)


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "no_purchase_days", "min_spend", "max_spend", "spend_days"]
    search_fields = ["name"]


# --- Activities ----------------------------------------------------------------------------------


@admin.register(Activity)
class ActivityAdmin(TranslatedContentAdmin):
    change_form_template = "campaigns/admin/activity_change_form.html"
    list_display = ["title", "kind", "points", "scope", "campaign", "opens_at", "closes_at", "is_published"]
    list_filter = ["kind", "is_published", "scope"]
    list_select_related = ["campaign"]
    search_fields = ["title", "subject"]
    autocomplete_fields = ["campaign"]
    raw_id_fields = ["event"]
    fieldsets = [
        (None, {"fields": ["kind", "title", "description", "points", "scope", "is_published"]}),
        (gettext_lazy("When and for whom"), {"fields": ["campaign", "opens_at", "closes_at"]}),
        (
            gettext_lazy("Details per kind"),
            {
                "fields": ["subject", "question", "event"],
                "description": gettext_lazy(
                    "A review names its product or range; a survey may reword the NPS question; event attendance "
                    "needs the event. A referral gives its points for each company referred, at its first purchase."
                ),
            },
        ),
    ]

    def get_urls(self):
        return [
            path(
                "<int:pk>/attendance/",
                self.admin_site.admin_view(self.attendance_view),
                name="campaigns_activity_attendance",
            ),
            *super().get_urls(),
        ]

    def attendance_view(self, request, pk: int):
        """Staff tick the attendees among the event's confirmed sign-ups; each gets the points once."""
        activity = get_object_or_404(
            Activity.objects.select_related("event", "campaign"), pk=pk, kind=ActivityKind.EVENT
        )
        if not self.has_change_permission(request, activity):
            raise PermissionDenied
        registrations = list(
            EventRegistration.objects.filter(event=activity.event, status=RegistrationStatus.CONFIRMED)
            .filter(staff_company_q(user=request.user, path="user__membership__company"))
            .select_related("user__membership__company")
            .order_by("user__last_name", "user__first_name", "pk")
        )
        confirmed = set(
            ActivityCompletion.objects.filter(activity=activity, status=CompletionStatus.AWARDED).values_list(
                "user_id", flat=True
            )
        )
        pending = [registration for registration in registrations if registration.user_id not in confirmed]
        form = AttendanceForm(request.POST or None, registrations=pending)
        if request.method == "POST" and form.is_valid():
            try:
                awarded, problems = event_attendance_confirm(
                    activity_id=activity.pk, user_ids=form.cleaned_data["attendees"], by=request.user
                )
            except CampaignError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(
                    request, _("Attendance confirmed: %(count)s awarded.") % {"count": awarded}, messages.SUCCESS
                )
                for problem in problems:
                    self.message_user(request, problem, messages.WARNING)
                return redirect("admin:campaigns_activity_attendance", activity.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Confirm attendance: %(event)s") % {"event": activity.event.title},
            "activity": activity,
            "form": form,
            "registrations": registrations,
            "confirmed": confirmed,
            "event_started": activity.event.starts_at <= timezone.now(),
        }
        return TemplateResponse(request, "campaigns/admin/attendance.html", context)


@admin.register(ActivityCompletion)
class ActivityCompletionAdmin(CompanyScopedAdminMixin, admin.ModelAdmin):
    """Completions are written by the services; staff confirm or turn down custom activities."""

    company_path = "company"
    list_display = ["created_at", "activity", "company", "user", "status", "points", "score", "rating"]
    list_filter = ["status", "activity__kind", "activity"]
    list_select_related = ["activity", "company", "user"]
    search_fields = ["company__name", "user__email", "text"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "activity",
        "company",
        "user",
        "scope_key",
        "status",
        "points",
        "entry",
        "rating",
        "score",
        "text",
        "decided_by",
        "decided_at",
        "created_at",
    ]
    actions = ["confirm_selected", "reject_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, service, done_message):
        done = 0
        for completion in queryset.filter(status=CompletionStatus.SUBMITTED).order_by("pk"):
            try:
                service(completion_id=completion.pk, by=request.user)
            except CampaignError as exc:
                self.message_user(request, f"{completion}: {exc}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, done_message % {"count": done}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Confirm and award the selected activities"), permissions=["change"])
    def confirm_selected(self, request, queryset):
        self._decide(request, queryset, activity_confirm, _("%(count)s confirmed and awarded."))

    @admin.action(description=gettext_lazy("Turn down the selected activities"), permissions=["change"])
    def reject_selected(self, request, queryset):
        self._decide(request, queryset, activity_reject, _("%(count)s turned down."))


@admin.register(Referral)
class ReferralAdmin(CompanyScopedAdminMixin, admin.ModelAdmin):
    company_path = "referrer"  # the member company that referred (the referred one may not be a member yet)
    list_display = ["created_at", "company_name", "org_number", "country", "referrer", "status", "rewarded_at"]
    list_filter = ["status", "country"]
    list_select_related = ["referrer"]
    search_fields = ["company_name", "org_number", "referrer__name"]
    readonly_fields = [field.name for field in Referral._meta.fields]
    actions = ["decline_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Decline the selected referrals"), permissions=["change"])
    def decline_selected(self, request, queryset):
        declined = 0
        for referral in queryset.filter(status=ReferralStatus.PENDING):
            referral_decline(referral_id=referral.pk, by=request.user)
            declined += 1
        self.message_user(request, _("%(count)s declined.") % {"count": declined}, messages.SUCCESS)


@admin.register(CampaignAward)
class CampaignAwardAdmin(CompanyScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: what each campaign gave, linked to the ledger."""

    company_path = "company"
    list_display = ["created_at", "campaign", "company", "kind", "points", "entry"]
    list_filter = ["kind", "campaign"]
    list_select_related = ["campaign", "company", "entry"]
    raw_id_fields = ["campaign", "company", "entry", "purchase"]


# --- Challenges and badges ------------------------------------------------------------------------


@admin.register(Challenge)
class ChallengeAdmin(TranslatedContentAdmin):
    list_display = ["title", "goal", "target", "starts_at", "ends_at", "points", "badge", "campaign", "completed"]
    list_filter = ["goal", "is_published"]
    list_select_related = ["badge", "campaign"]
    autocomplete_fields = ["campaign"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(completion_count=Count("completions"))

    @admin.display(description=gettext_lazy("completed by"), ordering="completion_count")
    def completed(self, challenge):
        return challenge.completion_count


@admin.register(Badge)
class BadgeAdmin(TranslatedContentAdmin):
    list_display = ["name", "icon", "colour", "holders"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(holder_count=Count("awards"))

    @admin.display(description=gettext_lazy("companies holding it"), ordering="holder_count")
    def holders(self, badge):
        return badge.holder_count


@admin.register(BadgeAward)
class BadgeAwardAdmin(CompanyScopedAdminMixin, admin.ModelAdmin):
    company_path = "company"
    list_display = ["awarded_at", "badge", "company", "challenge"]
    list_select_related = ["badge", "company", "challenge"]
    list_filter = ["badge"]
    autocomplete_fields = ["company"]  # searches only the companies the person may see
    raw_id_fields = ["challenge"]


@admin.register(ChallengeCompletion)
class ChallengeCompletionAdmin(CompanyScopedAdminMixin, admin.ModelAdmin):
    company_path = "company"
    list_display = ["completed_at", "challenge", "company", "points"]
    list_select_related = ["challenge", "company"]
    list_filter = ["challenge"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
