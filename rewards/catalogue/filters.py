"""Filters of the reward catalogue: search, category, kind, tier, "I can afford it now", sort."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.content_language import shown_text_contains
from rewards.models import (
    Reward,
    RewardCategory,
    RewardKind,
    Tier,
)

# --- The reward catalogue -----------------------------------------------------------------


class RewardCatalogueFilter(django_filters.FilterSet):
    """Search, category, kind, "I can afford it now", tier, and the sort order.

    Needs the member's company position (balance, tier) and ``now``: "I can afford it now"
    keeps the rewards the company can redeem at once (enough points, its tier, in stock,
    inside the window), and "my tier" those its tier may redeem.
    """

    SORTS = [
        ("", _("Recommended")),
        ("points", _("Points: low to high")),
        ("-points", _("Points: high to low")),
        ("newest", _("Newest")),
        ("popular", _("Most popular")),
    ]
    MY_TIER = "mine"

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search", "placeholder": _("Search rewards")}),
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"),
        queryset=None,
        to_field_name="slug",
        empty_label=_("All categories"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"),
        choices=[],
        empty_label=_("All kinds"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    tier = django_filters.ChoiceFilter(
        label=_("Tier"),
        choices=[],
        empty_label=_("All tiers"),
        method="filter_tier",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    affordable = django_filters.BooleanFilter(
        label=_("I can afford it now"),
        method="filter_affordable",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=SORTS[1:],
        empty_label=SORTS[0][1],
        method="filter_sort",
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    class Meta:
        model = Reward
        fields: list[str] = []

    def __init__(self, *args, position, now, **kwargs):
        super().__init__(*args, **kwargs)
        self.position = position
        self.now = now
        self.filters["category"].queryset = RewardCategory.objects.all()
        self.filters["kind"].extra["choices"] = RewardKind.choices
        self.tiers = list(Tier.objects.order_by("qualifying_points"))
        tier_choices = [(str(tier.pk), tier.name) for tier in self.tiers]
        if position.tier is not None:
            tier_choices.insert(0, (self.MY_TIER, _("Available at my tier (%(tier)s)") % {"tier": position.tier.name}))
        self.filters["tier"].extra["choices"] = tier_choices

    @property
    def qs(self):
        queryset = super().qs
        if not (self.form.is_valid() and self.form.cleaned_data.get("sort")):
            queryset = self.filter_sort(queryset, "sort", "")
        return queryset

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # In the reader's language and its fallbacks: what they see is what they can find.
        return queryset.filter(
            shown_text_contains("title", value)
            | shown_text_contains("summary", value)
            | shown_text_contains("description", value)
        )

    def _tier_allows(self):
        tier = self.position.tier
        if tier is None:
            return Q(tier_required__isnull=True)
        return Q(tier_required__isnull=True) | Q(tier_required__qualifying_points__lte=tier.qualifying_points)

    def filter_tier(self, queryset, name, value):
        if value == self.MY_TIER:
            return queryset.filter(self._tier_allows())
        if value:
            return queryset.filter(tier_required_id=value)
        return queryset

    def filter_affordable(self, queryset, name, value):
        if not value:
            return queryset
        now = self.now
        return queryset.filter(
            self._tier_allows(),
            Q(available_from__isnull=True) | Q(available_from__lte=now),
            Q(available_until__isnull=True) | Q(available_until__gt=now),
            Q(left__isnull=True) | Q(left__gt=0),
            points_cost__lte=self.position.balance,
        )

    def filter_sort(self, queryset, name, value):
        orderings = {
            "points": ("points_cost", "title"),
            "-points": ("-points_cost", "title"),
            "newest": ("-created_at", "-pk"),
            "popular": ("-popularity", "points_cost", "title"),
        }
        return queryset.order_by(*orderings.get(value, ("-featured", "points_cost", "title")))


# --- Order history and the staff queue -----------------------------------------------------
