"""Forms of the staff points corrections (adjust, reverse) in the Django admin."""

from __future__ import annotations

from uuid import uuid4

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import HiddenFieldErrorsMixin

MAX_ADJUSTMENT = 10_000_000


class AdjustPointsForm(HiddenFieldErrorsMixin, forms.Form):
    points = forms.IntegerField(
        label=_("Points"),
        min_value=-MAX_ADJUSTMENT,
        max_value=MAX_ADJUSTMENT,
        help_text=_("Positive to add points, negative to take them away. Added points expire like earned points."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required. The member sees it in their points history."),
    )
    # One key per opened form: submitting the same form twice adjusts once. A missing or
    # tampered key is the form's own error (HiddenFieldErrorsMixin): it has no field to show under.
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["key"].initial = uuid4().hex

    def clean_points(self) -> int:
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError(_("Adjust by a non-zero number of points."))
        return points


class ReverseEntryForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required. The member sees it in their points history."),
    )
