"""Forms for members. Each validates fully before any service is called."""

from __future__ import annotations

from allauth.account.forms import SignupForm
from allauth.core import context as allauth_context
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from . import sso
from .invitations import forget_invitation, mark_newcomer, open_invitation_from_session
from .models import MembershipRole, User
from .services import MembersError, invitation_accept, invitation_check
from .validators import validate_phone_number


class InvitationSignupForm(SignupForm):
    """allauth's sign-up, for the holder of an invitation, with their name.

    The e-mail address is the invited one and cannot be changed here (the field is
    disabled, so a posted address is ignored); the new account joins the company at once.
    """

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)

    field_order = ["email", "first_name", "last_name", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # allauth does not pass the request to sign-up forms; its middleware keeps it here.
        self.invitation = open_invitation_from_session(allauth_context.request)
        if self.invitation is not None:
            self.fields["email"].initial = self.invitation.email
            # The link proved this mailbox; nothing to type, nothing to get wrong.
            self.fields["email"].disabled = True
            self.fields["email"].help_text = _("The address your invitation was sent to.")
        # The invited company's own provider, offered instead of a password.
        self.sso_provider = sso.provider_for_company(self.invitation.company_id) if self.invitation else None

    def clean_email(self):
        email = super().clean_email()
        if self.invitation is not None:
            try:
                invitation_check(self.invitation, email=email)
            except MembersError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return email

    def save(self, request):
        user = super().save(request)
        user.first_name = self.cleaned_data["first_name"].strip()
        user.last_name = self.cleaned_data["last_name"].strip()
        user.save(update_fields=["first_name", "last_name"])
        invitation = open_invitation_from_session(request)
        if invitation is not None:
            invitation_accept(invitation_id=invitation.pk, user=user)
            forget_invitation(request)
            mark_newcomer(request)
        return user


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone", "language", "email_notifications"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True
        # Each language in its own name, as the footer's switcher (a reader who cannot read the
        # current one finds theirs).
        self.fields["language"].choices = [
            ("", _("Automatic: my company's country, else my browser")),
            *((code, capfirst(get_language_info(code)["name_local"])) for code, _name in settings.LANGUAGES),
        ]
        self.fields["language"].help_text = _("The portal and e-mails use this language.")
        self.fields["phone"].validators.append(validate_phone_number)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save profile")))


class InviteColleagueForm(forms.Form):
    # 254 is the longest address SMTP can deliver (RFC 5321) and the model's column.
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=MembershipRole.choices, initial=MembershipRole.PURCHASER)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=MembershipRole.choices)


class LoginEmailForm(forms.Form):
    """The login page's first step: the address alone, to find out how this person signs in.

    The field is allauth's ``login`` (same name, label and autocomplete), so password
    managers and people see one address field in both steps."""

    login = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )

    def clean_login(self) -> str:
        email = self.cleaned_data["login"]
        if "\x00" in email:
            raise forms.ValidationError(_("Enter a valid email address."))
        return email.strip()
