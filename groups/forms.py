"""The member's transfer form (crispy forms, Bootstrap 5)."""

from __future__ import annotations

from uuid import uuid4

from django import forms
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.forms import HiddenFieldErrorsMixin
from rewards.bounds import POINTS_MAX


def transfer_max_message() -> str:
    """The largest transfer, its digits grouped in the reader's language."""
    return gettext("A transfer is at most %(max)s points.") % {"max": number_format(POINTS_MAX, force_grouping=True)}


class TransferForm(HiddenFieldErrorsMixin, forms.Form):
    from_company = forms.TypedChoiceField(label=_("From"), coerce=int)
    to_company = forms.TypedChoiceField(label=_("To"), coerce=int)
    points = forms.IntegerField(
        label=_("Points"),
        min_value=1,
        max_value=POINTS_MAX,
        error_messages={
            "min_value": _("Transfer at least 1 point."),
            "max_value": lazy(transfer_max_message, str)(),
            "invalid": _("Enter a whole number of points."),
        },
    )
    note = forms.CharField(
        label=_("Note"), max_length=200, required=False, help_text=_("Optional; both branches see it.")
    )
    # One key per opened form: submitting the same form twice transfers once. A missing or
    # tampered key is the form's own error (HiddenFieldErrorsMixin): it has no field to show under.
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, senders: list, receivers: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_company"].choices = [(c.pk, c.name) for c in senders]
        self.fields["to_company"].choices = [("", _("Choose a branch"))] + [(c.pk, c.name) for c in receivers]
        if len(senders) == 1:
            self.fields["from_company"].initial = senders[0].pk
        if not self.is_bound:
            self.fields["key"].initial = uuid4().hex

    def clean_note(self) -> str:
        return self.cleaned_data["note"].replace("\x00", "")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("from_company") and cleaned.get("from_company") == cleaned.get("to_company"):
            self.add_error("to_company", _("Choose another branch: points cannot be transferred to the same company."))
        return cleaned


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)

    def clean_comment(self) -> str:
        return self.cleaned_data["comment"].replace("\x00", "")
