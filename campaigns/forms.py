"""Forms for campaigns: the staff's campaign form and rule formset in the Django admin, and
the members' activity forms. Each validates fully before a service is called; the services
check the same rules again under their locks."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Country

from .models import MAX_CAMPAIGN_MULTIPLIER, AudienceKind, Campaign, CampaignRule, RuleKind
from .selectors import audience_from
from .services import rule_errors

# --- Staff (Django admin) --------------------------------------------------------------------------


class CampaignAdminForm(forms.ModelForm):
    countries = forms.MultipleChoiceField(
        label=_("Countries"), choices=Country.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Campaign
        # The admin's fieldsets choose the fields, as for RewardAdminForm: a ``Meta.fields``
        # here would make modeltranslation copy it onto the admin as ``fields`` beside
        # ``fieldsets`` at the first request, and ``manage.py check`` then fails (admin.E005).
        exclude = ()  # noqa: DJ006 (the fieldsets list the fields)

    def clean(self):
        cleaned = super().clean()
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The campaign must end after it starts."))
        instance = self.instance
        if instance.pk and "points_budget" in self.fields and cleaned.get("points_budget") is not None:
            awarded = Campaign.objects.filter(pk=instance.pk).values_list("points_awarded", flat=True).first() or 0
            if cleaned["points_budget"] < awarded:
                self.add_error(
                    "points_budget",
                    _("%(awarded)s points have already been given; the budget cannot be lower.") % {"awarded": awarded},
                )
        if "audience_kind" in self.fields:
            self._clean_audience(cleaned)
        return cleaned

    def _clean_audience(self, cleaned) -> None:
        kind = cleaned.get("audience_kind")
        required = {
            AudienceKind.TIERS: ("tiers", _("Choose at least one tier.")),
            AudienceKind.COUNTRIES: ("countries", _("Choose at least one country.")),
            AudienceKind.COMPANIES: ("companies", _("Choose at least one company.")),
            AudienceKind.SEGMENT: ("segment", _("Choose the segment.")),
        }
        if kind in required:
            field, message = required[kind]
            if not cleaned.get(field):
                self.add_error(field, message)
                return
        if self.errors:
            return
        size = audience_from(
            kind=kind,
            tiers=cleaned.get("tiers") or (),
            countries=cleaned.get("countries") or (),
            companies=cleaned.get("companies") or (),
            segment=cleaned.get("segment"),
            now=timezone.now(),
        ).count()
        if not size:
            self.add_error("audience_kind", _("The audience is empty: no active member company matches it."))


class CampaignRuleForm(forms.ModelForm):
    class Meta:
        model = CampaignRule
        fields = ["kind", "multiplier", "categories", "bonus_points", "min_amount"]
        widgets = {"categories": forms.CheckboxSelectMultiple}

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == RuleKind.MULTIPLIER:
            multiplier = cleaned.get("multiplier")
            if multiplier is None:
                self.add_error("multiplier", _("Give the multiplier, for example 2 for double points."))
            elif multiplier <= 1:
                self.add_error("multiplier", _("A campaign multiplier must be more than 1."))
            elif multiplier > MAX_CAMPAIGN_MULTIPLIER:
                self.add_error(
                    "multiplier",
                    _("At most ×%(max)s: a higher multiplier is almost certainly a typo.")
                    % {"max": MAX_CAMPAIGN_MULTIPLIER},
                )
            cleaned["bonus_points"] = None
            cleaned["min_amount"] = None
        elif kind in (RuleKind.FIRST_PURCHASE, RuleKind.LARGE_PURCHASE):
            if not cleaned.get("bonus_points"):
                self.add_error("bonus_points", _("Give the bonus points."))
            if kind == RuleKind.LARGE_PURCHASE and not (cleaned.get("min_amount") or 0) > 0:
                self.add_error("min_amount", _("Give the purchase amount from which the bonus is given."))
            if kind == RuleKind.FIRST_PURCHASE:
                cleaned["min_amount"] = None
            cleaned["multiplier"] = None
            cleaned["categories"] = []
        return cleaned


class CampaignRuleFormSet(BaseInlineFormSet):
    """Refuses rules that together would reward the same purchase twice (``rule_errors``)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rules = []
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            data = form.cleaned_data
            rules.append(
                (
                    data.get("kind"),
                    data.get("multiplier"),
                    data.get("bonus_points"),
                    data.get("min_amount"),
                    {category.pk for category in data.get("categories") or []},
                )
            )
        errors = rule_errors(rules)
        if errors:
            raise forms.ValidationError(errors)


class AttendanceForm(forms.Form):
    """Staff tick who attended, from the event's confirmed sign-ups."""

    attendees = forms.MultipleChoiceField(label=_("Attended"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, registrations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].choices = [
            (str(registration.user_id), str(registration.user)) for registration in registrations
        ]

    def clean_attendees(self):
        return [int(value) for value in self.cleaned_data["attendees"]]


# --- Members -------------------------------------------------------------------------------------


class _MemberForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class ReviewForm(_MemberForm):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=[(str(n), str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Your review"),
        min_length=20,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What is it good at, and what could be better? At least 20 characters."),
    )


class SurveyForm(_MemberForm):
    score = forms.TypedChoiceField(
        label="",
        choices=[(str(n), str(n)) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "nps-scale"}),
    )
    text = forms.CharField(
        label=_("What is the main reason for your score? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, question: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["score"].label = question


class CustomClaimForm(_MemberForm):
    text = forms.CharField(
        label=_("What did you do?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A member of staff confirms it and the points follow."),
    )


class ProfileClaimForm(_MemberForm):
    pass


class ReferralForm(_MemberForm):
    company_name = forms.CharField(label=_("Company name"), max_length=200)
    country = forms.ChoiceField(label=_("Country"), choices=Country.choices)
    org_number = forms.CharField(
        label=_("Organisation number"),
        max_length=20,
        help_text=_("Sweden: organisationsnummer (NNNNNN-NNNN). Netherlands: KvK number (8 digits)."),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=150, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
