"""Member pages: activities, an activity's form, a campaign's page, the leaderboard.

Thin: the company always comes from the membership, never from the URL; an id in the URL
only names an activity or campaign, and one the company may not see is a 404 (a hold-out
company cannot tell a campaign exists).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from members.views import MemberRequiredMixin
from rewards.ledger.selectors import programme_rules_for_request

from .forms import CustomClaimForm, ProfileClaimForm, ReferralForm, ReviewForm, SurveyForm
from .models import ActivityCompletion, ActivityKind, CompletionStatus
from .selectors import (
    activities_page,
    activity_for_member,
    campaign_for_member,
    campaign_stacking_example,
    leaderboard_for,
    open_activities_for,
    profile_completeness,
    scope_key_for,
)
from .services import CampaignError, activity_complete, leaderboard_join, leaderboard_leave, referral_create

FORMS = {
    ActivityKind.REVIEW: ReviewForm,
    ActivityKind.SURVEY: SurveyForm,
    ActivityKind.CUSTOM: CustomClaimForm,
    ActivityKind.PROFILE: ProfileClaimForm,
    ActivityKind.REFERRAL: ReferralForm,
}


class ActivitiesView(MemberRequiredMixin, TemplateView):
    """What is open, what each gives (with its value), progress, and what is done."""

    template_name = "campaigns/activities.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page"] = activities_page(membership=self.membership)
        context["points_rules"] = programme_rules_for_request(self.request)
        return context


class ActivityView(MemberRequiredMixin, TemplateView):
    template_name = "campaigns/activity_detail.html"

    def _activity(self):
        activity = activity_for_member(company=self.company, activity_id=self.kwargs["pk"])
        if activity is None:
            raise Http404(_("This activity is not open to your company."))
        return activity

    def _form(self, activity, data=None):
        form_class = FORMS.get(activity.kind)
        if form_class is None:
            return None
        kwargs = {"question": activity.survey_question} if activity.kind == ActivityKind.SURVEY else {}
        return form_class(data, **kwargs)

    def _completion(self, activity):
        key = scope_key_for(activity, company_id=self.company.pk, user_id=self.request.user.pk)
        return (
            ActivityCompletion.objects.filter(
                activity=activity, scope_key=key, status__in=[CompletionStatus.SUBMITTED, CompletionStatus.AWARDED]
            )
            .select_related("user")
            .first()
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        activity = kwargs.get("activity") or self._activity()
        completion = self._completion(activity) if activity.kind != ActivityKind.REFERRAL else None
        context.update(
            activity=activity,
            completion=completion,
            form=kwargs.get("form") or (self._form(activity) if completion is None else None),
            points_rules=programme_rules_for_request(self.request),
            profile=profile_completeness(self.request.user),
        )
        return context

    def post(self, request, *args, **kwargs):
        activity = self._activity()
        form = self._form(activity, request.POST)
        if form is None:
            raise Http404(_("There is nothing to fill in for this activity."))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(activity=activity, form=form))
        data = form.cleaned_data
        try:
            if activity.kind == ActivityKind.REFERRAL:
                referral = referral_create(activity_id=activity.pk, user=request.user, **data)
                messages.success(
                    request,
                    _("Thank you! You get %(points)s points when %(company)s makes its first purchase.")
                    % {"points": activity.points, "company": referral.company_name},
                )
                return redirect("campaigns:activities")
            completion, created = activity_complete(
                activity_id=activity.pk,
                user=request.user,
                rating=data.get("rating"),
                score=data.get("score"),
                text=data.get("text", ""),
            )
        except CampaignError as exc:
            form.add_error(None, str(exc))
            return self.render_to_response(self.get_context_data(activity=activity, form=form))
        if not created:
            messages.info(request, _("This was already done; the points were given once."))
        elif completion.status == CompletionStatus.AWARDED:
            messages.success(request, _("Done! %(points)s points are yours.") % {"points": completion.points})
        else:
            messages.success(request, _("Thank you! Staff confirm it soon and the points follow."))
        return redirect("campaigns:activities")


class CampaignView(MemberRequiredMixin, TemplateView):
    """A campaign the company is treated in: what it rewards, until when, how it stacks."""

    template_name = "campaigns/campaign_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign = campaign_for_member(company=self.company, campaign_id=self.kwargs["pk"])
        if campaign is None:
            raise Http404(_("No such campaign."))
        rules = programme_rules_for_request(self.request)
        context.update(
            campaign=campaign,
            running=campaign.status == "active" and campaign.ends_at > timezone.now(),
            activities=list(open_activities_for(company=self.company, now=timezone.now()).filter(campaign=campaign)),
            points_rules=rules,
            example=campaign_stacking_example(campaign=campaign, company=self.company, rules=rules),
        )
        return context


class LeaderboardView(MemberRequiredMixin, TemplateView):
    """The opt-in leaderboard of the company's tier; company admins join or leave it."""

    template_name = "campaigns/leaderboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["board"] = leaderboard_for(company=self.company)
        context["can_manage"] = self.membership.is_admin
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        try:
            if action == "join":
                leaderboard_join(membership=self.membership)
                messages.success(request, _("Your company is on the leaderboard."))
            elif action == "leave":
                leaderboard_leave(membership=self.membership)
                messages.success(request, _("Your company is no longer on the leaderboard."))
        except CampaignError as exc:
            raise PermissionDenied(str(exc)) from exc
        return redirect("campaigns:leaderboard")
