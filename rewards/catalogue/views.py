"""Member catalogue pages under /rewards/: the catalogue, a reward's page, the company's goal.
Thin: the company comes from the membership (never from the URL)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django_filters.views import FilterView

from core.pagination import ForgivingPaginationMixin
from members.views import MemberRequiredMixin
from rewards.catalogue.filters import RewardCatalogueFilter
from rewards.catalogue.selectors import (
    catalogue_rewards,
    company_reward_position,
    reward_standing,
    rewards_offered_to,
)
from rewards.catalogue.services import CatalogueError, reward_goal_clear, reward_goal_set
from rewards.ledger.selectors import programme_rules_for_request
from rewards.models import CompanyRewardSettings
from rewards.redemptions.selectors import redemptions_awaiting_approval
from rewards.redemptions.services import (
    can_redeem,
    redeemed_in_period,
)

CATALOGUE_PER_PAGE = 12


class RewardsSectionMixin:
    """Context every rewards page shares: the sub-navigation and, for company admins, how
    many orders wait for their approval (one query)."""

    rewards_section = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rewards_section"] = self.rewards_section
        context["can_redeem"] = can_redeem(self.membership)
        # A reward's regular price is shown in the company's own currency only: the points
        # figure beside it already says what it is worth in that currency.
        context["company_currency"] = self.company.purchase_currency
        if self.membership.is_admin:
            context["awaiting_approval_count"] = redemptions_awaiting_approval(company=self.company).count()
        return context


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


class CatalogueView(MemberRequiredMixin, RewardsSectionMixin, ForgivingPaginationMixin, FilterView):
    """The catalogue: a grid of rewards with search, filters and sort, 12 a page. Each card
    says whether the company can redeem it now or how many points it still needs. A fixed
    number of queries per page (``catalogue_rewards``)."""

    filterset_class = RewardCatalogueFilter
    template_name = "rewards/catalogue.html"
    paginate_by = CATALOGUE_PER_PAGE
    strict = False
    rewards_section = "catalogue"

    def get(self, request, *args, **kwargs):
        self.now = timezone.now()
        self.position = company_reward_position(company=self.company)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return catalogue_rewards(company=self.company, now=self.now)

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "position": self.position, "now": self.now}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rewards = context["object_list"]
        context.update(
            cards=[
                (
                    reward,
                    reward_standing(
                        reward=reward, balance=self.position.balance, tier=self.position.tier, now=self.now
                    ),
                )
                for reward in rewards
            ],
            position=self.position,
            points_rules=programme_rules_for_request(self.request),
            filtered=any(self.request.GET.get(name) for name in self.filterset.filters),
        )
        return context


class RewardDetailView(MemberRequiredMixin, RewardsSectionMixin, TemplateView):
    """One reward with its pictures, details and the company's standing; the quantity form
    leads to the redeem page."""

    template_name = "rewards/reward_detail.html"
    rewards_section = "catalogue"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        # Another currency's money reward is not offered to this company: a 404, like an
        # unpublished one.
        reward = get_object_or_404(catalogue_rewards(company=self.company, now=now), pk=self.kwargs["pk"])
        position = company_reward_position(company=self.company)
        context.update(
            reward=reward,
            images=reward.ordered_images,
            position=position,
            standing=reward_standing(reward=reward, balance=position.balance, tier=position.tier, now=now),
            is_goal=position.goal_reward_id == reward.pk,
            # Another goal is set (perhaps by a colleague): the button says it replaces it.
            other_goal=CompanyRewardSettings.objects.select_related("goal_reward", "goal_set_by")
            .filter(company=self.company)
            .first()
            if position.goal_reward_id not in (None, reward.pk)
            else None,
            redeemed_in_period=redeemed_in_period(company_id=self.company.pk, reward=reward, now=now)
            if reward.company_limit
            else None,
            points_rules=programme_rules_for_request(self.request),
        )
        return context


class GoalSetView(MemberRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        reward = get_object_or_404(rewards_offered_to(self.company), pk=pk)
        try:
            reward_goal_set(company=self.company, reward=reward, by=request.user)
        except CatalogueError as exc:
            raise PermissionDenied(str(exc)) from exc
        messages.success(
            request,
            _("%(reward)s is now your company's goal; the dashboard shows how close you are.") % {"reward": reward},
        )
        return redirect(_safe_next(request, reward.get_absolute_url()))


class GoalClearView(MemberRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        try:
            reward_goal_clear(company=self.company, by=request.user)
        except CatalogueError as exc:
            raise PermissionDenied(str(exc)) from exc
        messages.success(request, _("Your company has no goal now."))
        return redirect(_safe_next(request, reverse("rewards:catalogue")))
