"""Filters for the member's points history."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import (
    OPEN_STATUSES,
    TO_FULFIL,
    EntryKind,
    LedgerEntry,
    Redemption,
    RedemptionStatus,
    Reward,
    RewardCategory,
    RewardKind,
    Tier,
)


class DateInput(forms.DateInput):
    input_type = "date"


class LedgerEntryFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        label=_("Kind"),
        choices=EntryKind.choices,
        empty_label=_("All kinds"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    date_from = django_filters.DateFilter(
        label=_("From"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=DateInput(attrs={"class": "form-control"}),
    )
    date_to = django_filters.DateFilter(
        label=_("To"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=DateInput(attrs={"class": "form-control"}),
    )

    class Meta:
        model = LedgerEntry
        fields = ["kind", "date_from", "date_to"]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        start, end = self.form.cleaned_data.get("date_from"), self.form.cleaned_data.get("date_to")
        if start and end and start > end:
            return queryset.none()
        return queryset


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
        return queryset.filter(
            Q(title__icontains=value) | Q(summary__icontains=value) | Q(description__icontains=value)
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


class RedemptionFilter(django_filters.FilterSet):
    """The member's order history: by status."""

    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[],
        empty_label=_("All statuses"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    class Meta:
        model = Redemption
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["status"].extra["choices"] = RedemptionStatus.choices


class FulfilmentFilter(django_filters.FilterSet):
    """The staff queue: status (by default what is ready to fulfil), kind, age, and a search
    over order number, company and reward."""

    TO_FULFIL_CHOICE = "to_fulfil"
    OPEN_CHOICE = "open"
    AGES = [
        ("1", _("Older than a day")),
        ("3", _("Older than 3 days")),
        ("7", _("Older than a week")),
        ("14", _("Older than two weeks")),
    ]

    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[],
        empty_label=_("All statuses"),
        method="filter_status",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"),
        field_name="reward_kind",
        choices=[],
        empty_label=_("All kinds"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    age = django_filters.ChoiceFilter(
        label=_("Age"),
        choices=AGES,
        empty_label=_("Any age"),
        method="filter_age",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={"class": "form-control", "type": "search", "placeholder": _("Order, company or reward")}
        ),
    )

    class Meta:
        model = Redemption
        fields: list[str] = []

    def __init__(self, data=None, *args, **kwargs):
        if data is None or "status" not in data:
            # The queue opens on what is ready to fulfil (and is always bound, so it filters).
            data = data.copy() if data is not None else QueryDict(mutable=True)
            data["status"] = self.TO_FULFIL_CHOICE
        super().__init__(data, *args, **kwargs)
        self.filters["status"].extra["choices"] = [
            (self.TO_FULFIL_CHOICE, _("To fulfil")),
            (self.OPEN_CHOICE, _("Open")),
            *RedemptionStatus.choices,
        ]
        self.filters["kind"].extra["choices"] = RewardKind.choices

    def filter_status(self, queryset, name, value):
        if value == self.TO_FULFIL_CHOICE:
            return queryset.filter(status__in=TO_FULFIL)
        if value == self.OPEN_CHOICE:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value) if value else queryset

    def filter_age(self, queryset, name, value):
        return queryset.filter(requested_at__lte=timezone.now() - timedelta(days=int(value))) if value else queryset

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        number = value.upper().removeprefix("R-").lstrip("0")
        condition = (
            Q(company__name__icontains=value) | Q(reward_title__icontains=value) | Q(company__external_id__iexact=value)
        )
        if number.isdigit():
            condition |= Q(pk=int(number))
        return queryset.filter(condition)
