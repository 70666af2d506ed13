"""Filters of orders: the member's order list and the staff fulfilment queue."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rewards.models import (
    OPEN_STATUSES,
    TO_FULFIL,
    Redemption,
    RedemptionStatus,
    RewardKind,
)
from rewards.redemptions.forms import id_from_text


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
        number = id_from_text(value.upper().removeprefix("R-"))
        condition = (
            Q(company__name__icontains=value) | Q(reward_title__icontains=value) | Q(company__external_id__iexact=value)
        )
        if number is not None:
            condition |= Q(pk=number)
        return queryset.filter(condition)
