"""The filter picker of the Insights pages (country, tier, sales rep, value segment) and the
resolution of a segment to its companies; the condition itself is ``insights.scope``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Country, User
from members.selectors import staff_sees_every_company
from members.staff_groups import SALES_REPS
from rewards.models import Tier

from .scope import NO_FILTERS, Filters, scope_q  # noqa: F401 (NO_FILTERS: for the views)
from .selectors import SEGMENTS


class FilterForm(forms.Form):
    """Optional filters; a rep has no rep filter (their own accounts are the scope)."""

    country = forms.ChoiceField(
        label=_("Country"), required=False, widget=forms.Select(attrs={"class": "form-select form-select-sm"})
    )
    tier = forms.ModelChoiceField(
        label=_("Tier"),
        queryset=Tier.objects.order_by("qualifying_points"),
        required=False,
        empty_label=_("All tiers"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    rep = forms.ModelChoiceField(
        label=_("Sales rep"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("All reps"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    segment = forms.ChoiceField(
        label=_("Segment"), required=False, widget=forms.Select(attrs={"class": "form-select form-select-sm"})
    )

    def __init__(self, data=None, *, user: User, **kwargs):
        super().__init__(data, prefix=None, **kwargs)
        self.fields["country"].choices = [("", _("All countries")), *Country.choices]
        self.fields["segment"].choices = [("", _("All segments"))] + [
            (key, label) for key, (label, _definition) in SEGMENTS.items()
        ]
        if staff_sees_every_company(user):
            self.fields["rep"].queryset = User.objects.filter(groups__name=SALES_REPS, is_active=True).order_by(
                "first_name", "last_name", "email"
            )
            self.fields["rep"].label_from_instance = lambda rep: rep.get_full_name() or rep.email
        else:
            del self.fields["rep"]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"id_filter_{name}")
        self.user = user

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"

    def filters(self) -> Filters:
        """The chosen filters (call after ``is_valid``); a segment is not resolved yet."""
        data = self.cleaned_data
        tier = data.get("tier")
        rep = data.get("rep")
        return Filters(
            country=data.get("country") or "",
            tier_id=tier.pk if tier else None,
            rep_id=rep.pk if rep else None,
            segment=data.get("segment") or "",
        )


def resolve(filters: Filters, *, user: User, now=None) -> Filters:
    """``filters`` with the chosen segment turned into its companies' ids (one grouped query
    over the purchases; nothing when no segment is chosen). "Never ordered" is the members
    in scope without an order (one more query)."""
    if not filters.segment:
        return filters
    from dataclasses import replace

    from members.models import Company, CompanyStatus

    from .selectors import NEVER, company_standings

    base = replace(filters, segment_ids=None)
    values = company_standings(user=user, now=now, filters=base)  # the stored segments when taken
    if filters.segment == NEVER:
        ordered = {value.company_id for value in values}
        ids = (
            set(
                Company.objects.filter(scope_q(user=user, filters=base))
                .exclude(status=CompanyStatus.SUSPENDED)
                .values_list("pk", flat=True)
            )
            - ordered
        )
    else:
        ids = {value.company_id for value in values if value.segment == filters.segment}
    return replace(filters, segment_ids=frozenset(ids))
