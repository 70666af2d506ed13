"""Forms for the rep workspace: staff notes, goodwill points, broadcasts."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import HiddenFieldErrorsMixin
from messaging.forms import ThreadStartForm

from .services import NOTE_MAX_LENGTH


class _KeyedForm(HiddenFieldErrorsMixin, forms.Form):
    """Carries a key made when the form was shown, so submitting it twice does one thing. A
    key that is missing or too long (a tampered form) is the form's own error: the key is
    hidden, so an error on it would show nowhere."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class StaffNoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text=_("Only staff see notes; the company never does."),
        error_messages={"required": _("Write the note before saving it.")},
    )


class GoodwillForm(_KeyedForm):
    points = forms.IntegerField(
        label=_("Points"),
        min_value=1,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
        error_messages={"required": _("Say how many points to give."), "min_value": _("Give at least 1 point.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        help_text=_("The company sees it with the points, e.g. “Thank you for the big spring order”."),
        error_messages={"required": _("Say why you are giving these points; the company sees the reason.")},
    )


class BroadcastForm(HiddenFieldErrorsMixin, ThreadStartForm):
    """One message for many accounts: it starts one conversation with each. A bad key is the
    form's own error, as on ``_KeyedForm``."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class StaffThreadStartForm(ThreadStartForm):
    """A new conversation with one account, started by its rep."""
