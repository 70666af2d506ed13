"""Filters of the points history."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from rewards.models import (
    EntryKind,
    LedgerEntry,
)


class DateInput(forms.DateInput):
    input_type = "date"


class LedgerEntryFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error(
                "date_to",
                _("“To” is before “From”: choose a date on or after %(date)s.") % {"date": date_format(start)},
            )
            data.pop("date_from", None)  # neither date applies: the list shows every entry, not none
        return data


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
        form = LedgerEntryFilterForm
