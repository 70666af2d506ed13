"""The period picker: a GET form whose every bad input is a message, never an error page."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .periods import CUSTOM, FIRST_YEAR, KIND_CHOICES, LAST_YEAR, MAX_CUSTOM_DAYS, MONTH, Period


class PeriodForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Period"), choices=KIND_CHOICES, initial=MONTH, widget=forms.Select(attrs={"class": "form-select"})
    )
    start = forms.DateField(
        label=_("From (or any day in the period)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To (custom period)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )

    def __init__(self, data=None, **kwargs):
        # An unsubmitted picker shows this month (a bound form, so the page has figures).
        if not data or "kind" not in data:
            data = {"kind": MONTH, "start": timezone.localdate().isoformat()}
        super().__init__(data, **kwargs)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"id_{name}-error"

    def _check_year(self, name: str) -> date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise forms.ValidationError(
                _("Choose a date between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        return value

    def clean_start(self):
        return self._check_year("start")

    def clean_end(self):
        return self._check_year("end")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        kind, start, end = cleaned.get("kind"), cleaned.get("start"), cleaned.get("end")
        if kind == CUSTOM:
            if start is None or end is None:
                raise forms.ValidationError(_("A custom period needs both a from and a to date."))
            if end < start:
                self.add_error("end", _("The period ends before it starts."))
                return cleaned
            if (end - start).days + 1 > MAX_CUSTOM_DAYS:
                self.add_error("end", _("A custom period can span at most five years."))
                return cleaned
            cleaned["period"] = Period.custom(start, end)
        else:
            cleaned["period"] = Period.containing(kind, start or timezone.localdate())
        return cleaned
