"""Forms for conversations: a message (text and files), a new conversation."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .attachments import attachments_check, max_attachment_bytes

ACCEPT = "application/pdf,image/png,image/jpeg,image/webp,.pdf,.png,.jpg,.jpeg,.webp"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one input; each is checked by content (``messaging.attachments``)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attach files"))
        super().__init__(**kwargs)
        self.widget.attrs.update({"accept": ACCEPT, "class": "form-control"})

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [super(AttachmentsField, self).clean(item, initial) for item in files if item]
        try:
            attachments_check(cleaned)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        return cleaned


def attachments_help() -> str:
    return _("PDF documents and PNG, JPEG or WebP images, up to %(size)s each, at most %(count)s files.") % {
        "size": filesizeformat(max_attachment_bytes()),
        "count": settings.MESSAGE_ATTACHMENTS_MAX,
    }


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        strip=True,
        error_messages={"required": _("Write a message before sending.")},
    )
    attachments = AttachmentsField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].max_length = settings.MESSAGE_MAX_LENGTH
        self.fields["body"].widget.attrs["maxlength"] = settings.MESSAGE_MAX_LENGTH
        self.fields["body"].validators.append(forms.CharField(max_length=settings.MESSAGE_MAX_LENGTH).validators[0])
        self.fields["attachments"].help_text = attachments_help()


class ThreadStartForm(MessageForm):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        error_messages={"required": _("Give the conversation a subject.")},
    )

    field_order = ["subject", "body", "attachments"]
