"""Forms for notifications."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NotificationKind


class NotificationPreferencesForm(forms.Form):
    """One checkbox per kind: e-mail me about this. In-portal notifications are always on."""

    def __init__(self, *args, initial_preferences: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        for kind in NotificationKind:
            self.fields[kind.value] = forms.BooleanField(
                label=kind.label, required=False, initial=initial_preferences.get(kind.value, True)
            )
        self.helper = FormHelper()
        self.helper.form_action = "notifications:preferences"
        # Its own id: the profile page also shows the profile form's "save" button.
        self.helper.add_input(Submit("save", _("Save e-mail choices"), css_id="submit-id-save-email-choices"))

    def email_by_kind(self) -> dict[str, bool]:
        return {kind: bool(self.cleaned_data.get(kind)) for kind in NotificationKind.values}
