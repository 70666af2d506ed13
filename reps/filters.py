"""Filters for "My accounts" (and the broadcast audience, which uses the same filters)."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Country, User
from members.staff_groups import SALES_REPS
from rewards.models import Tier

QUIET_DAYS = 60
FALLING_PERCENT = -20


class Attention:
    UNREAD = "unread"
    FALLING = "falling"
    QUIET = "quiet"
    CHOICES = [
        (UNREAD, _("Unread messages")),
        (FALLING, _("Purchases down 20 per cent or more")),
        (QUIET, _("No purchase in 60 days")),
    ]


class AccountFilter(django_filters.FilterSet):
    """Search, tier, country, what needs attention, and (club admins) the rep. Works on
    ``reps.selectors.rep_accounts``, whose annotations the attention filter reads."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": _("Name, city, org. number")}),
    )
    tier = django_filters.ModelChoiceFilter(
        label=_("Tier"),
        field_name="points_account__tier",
        queryset=Tier.objects.order_by("qualifying_points"),
        empty_label=_("All tiers"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    country = django_filters.ChoiceFilter(
        label=_("Country"),
        choices=Country.choices,
        empty_label=_("All countries"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    attention = django_filters.ChoiceFilter(
        label=_("Needs attention"),
        choices=Attention.CHOICES,
        empty_label=_("All accounts"),
        method="needs_attention",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    rep = django_filters.ModelChoiceFilter(
        label=_("Sales rep"),
        field_name="sales_rep",
        queryset=User.objects.filter(is_staff=True, groups__name=SALES_REPS).order_by("first_name", "email"),
        empty_label=_("All reps"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, show_rep: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_rep:
            del self.filters["rep"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(city__icontains=value)
            | Q(org_number__icontains=value)
            | Q(external_id__iexact=value)
        )

    def needs_attention(self, queryset, name, value):
        if value == Attention.UNREAD:
            return queryset.filter(unread__gt=0)
        if value == Attention.FALLING:
            return queryset.filter(trend__lte=FALLING_PERCENT)
        if value == Attention.QUIET:
            quiet_since = timezone.now() - timedelta(days=QUIET_DAYS)
            return queryset.filter(Q(last_purchase_at__lt=quiet_since) | Q(last_purchase_at__isnull=True))
        return queryset

    def problems(self, data: QueryDict) -> list[str]:
        """Why ``data``'s filters cannot pick an audience: an invalid value, or a filter this
        person does not have (a rep choosing another rep's accounts). Empty when they can."""
        found = []
        if "rep" in data and "rep" not in self.filters:
            found.append(_("Only club admins can choose the accounts of a sales rep."))
        if self.is_bound and not self.form.is_valid():
            for name, errors in self.form.errors.items():
                label = self.form.fields[name].label if name in self.form.fields else name
                found.extend(f"{label}: {error}" for error in errors)
        return found

    def chosen(self) -> str:
        """The valid chosen filters as a query string (``tier=3&country=SE``): what a
        broadcast keeps of its audience, described in each reader's language when shown
        (``describe_audience``)."""
        if not self.is_bound or not self.form.is_valid():
            return ""
        chosen = QueryDict(mutable=True)
        for name, value in self.form.cleaned_data.items():
            if value:
                chosen[name] = value.pk if hasattr(value, "pk") else value
        return chosen.urlencode()

    @property
    def is_filtered(self) -> bool:
        return bool(self.is_bound and any(self.data.get(name) for name in self.filters))

    def describe(self) -> str:
        """The chosen filters in words, for the broadcast's record ("Tier: Gold; Country: Sweden")."""
        if not self.is_bound or not self.form.is_valid():
            return ""
        parts = []
        for name, field in self.form.fields.items():
            value = self.form.cleaned_data.get(name)
            if not value:
                continue
            if hasattr(field, "choices") and not hasattr(value, "pk"):
                value = dict(field.choices).get(value, value)
            parts.append(f"{field.label}: {value}")
        return "; ".join(str(part) for part in parts)


def describe_audience(stored: str) -> str:
    """A broadcast's audience in the reader's language: its filters (``AccountFilter.chosen``)
    in words, "All accounts" for none. Text stored before the filters were kept as a query
    string (it has no ``=``) is shown as it was written."""
    from members.models import Company

    if stored and "=" not in stored:
        return stored
    filterset = AccountFilter(QueryDict(stored), queryset=Company.objects.none(), show_rep=True)
    return filterset.describe() or str(_("All accounts"))
