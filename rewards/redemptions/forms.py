"""Forms: the member's order and a company admin's decisions, and the staff fulfilment queue
(fulfil, reject, voucher uploads)."""

from __future__ import annotations

import re
from uuid import uuid4

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from members.models import Country
from rewards.catalogue.services import VOUCHER_FILE_MAX_BYTES
from rewards.models import Reward, RewardKind
from rewards.redemptions.services import DeliveryAddress

# --- Redemptions: the member's order form and the company admin's decisions --------------------

REQUEST_KEY_PATTERN = r"^[0-9a-f]{32}$"

# Ids are bigints: a number outside 1 … 2**63 - 1 names no row (and the database refuses to
# compare with it: OverflowError on SQLite, DataError on PostgreSQL).
ID_MAX = 2**63 - 1
_ID_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: "²" and "٣" are digits to str.isdigit


def id_from_text(value) -> int | None:
    """The id a submitted value names (``"42"``), or None when it can name none (``"abc"``,
    ``"-1"``, ``"0"``, ``"²"``, a number past the largest id)."""
    text = str(value).strip()
    if not _ID_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= ID_MAX else None


class RedeemForm(forms.Form):
    """Quantity, and for a physical reward the delivery address (prefilled from the company).

    The confirm step carries ``request_key``, one per confirm page: submitting the same
    page twice places one order (``rewards.redemptions.services.redemption_request``).
    """

    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, initial=1, error_messages={"min_value": _("Order at least one.")}
    )
    delivery_name = forms.CharField(label=_("Recipient"), max_length=200, required=False)
    delivery_street = forms.CharField(label=_("Street address"), max_length=200, required=False)
    delivery_postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    delivery_city = forms.CharField(label=_("City"), max_length=100, required=False)
    delivery_country = forms.ChoiceField(label=_("Country"), required=False)
    delivery_phone = forms.CharField(
        label=_("Phone"), max_length=40, required=False, help_text=_("For the courier, if they need to call.")
    )
    note = forms.CharField(
        label=_("Note to the club"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: delivery instructions, names of attendees, a dedication..."),
    )
    request_key = forms.RegexField(regex=REQUEST_KEY_PATTERN, widget=forms.HiddenInput, required=False)

    ADDRESS_FIELDS = ("delivery_name", "delivery_street", "delivery_postal_code", "delivery_city", "delivery_country")

    def __init__(self, *args, reward, **kwargs):
        super().__init__(*args, **kwargs)
        self.reward = reward
        self.fields["quantity"].max_value = reward.max_per_order
        self.fields["quantity"].widget.attrs.update({"min": 1, "max": reward.max_per_order})
        self.fields["quantity"].validators.append(
            MaxValueValidator(
                reward.max_per_order,
                message=ngettext(
                    "One order can have at most %(limit_value)s of this reward.",
                    "One order can have at most %(limit_value)s of this reward.",
                    reward.max_per_order,
                ),
            )
        )
        # Said up front, not only once exceeded: the order's cap, or the stock when less.
        most = reward.max_per_order if reward.stock is None else max(min(reward.max_per_order, reward.stock), 1)
        self.fields["quantity"].help_text = ngettext(
            "At most %(count)s in one order.", "At most %(count)s in one order.", most
        ) % {"count": most}
        self.fields["quantity"].widget.attrs["max"] = most
        self.fields["delivery_country"].choices = Country.choices
        if reward.needs_delivery_address:
            for name in self.ADDRESS_FIELDS:
                self.fields[name].required = True
        else:
            for name in (*self.ADDRESS_FIELDS, "delivery_phone"):
                del self.fields[name]

    def delivery(self):
        if not self.reward.needs_delivery_address:
            return None
        data = self.cleaned_data
        return DeliveryAddress(
            name=data["delivery_name"],
            street=data["delivery_street"],
            postal_code=data["delivery_postal_code"],
            city=data["delivery_city"],
            country=data["delivery_country"],
            phone=data.get("delivery_phone", ""),
        )

    @staticmethod
    def new_request_key() -> str:
        return uuid4().hex


class DecisionForm(forms.Form):
    """A company admin's approval or rejection of an order; rejecting needs a comment."""

    APPROVE = "approve"
    REJECT = "reject"

    decision = forms.ChoiceField(choices=[(APPROVE, _("Approve")), (REJECT, _("Reject"))], widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The person who placed the order reads it. Required when you reject."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.REJECT and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say why you reject the order; the person who placed it will read it."))
        return data


class CancelRedemptionForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=500, required=False)


class ApprovalThresholdForm(forms.Form):
    approval_threshold = forms.IntegerField(
        label=_("Approval needed above (points)"),
        min_value=0,
        max_value=100_000_000,
        required=False,
        help_text=_("Purchasers' orders costing more points than this wait for a company admin. Empty: never."),
    )


# --- Staff fulfilment ------------------------------------------------------------------------


class FulfilForm(forms.Form):
    tracking_reference = forms.CharField(
        label=_("Tracking reference"),
        max_length=200,
        required=False,
        help_text=_("The courier's tracking number or link, if there is one. The member sees it."),
    )
    note = forms.CharField(
        label=_("Delivery note"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The member sees it on the order page."),
    )


class BulkFulfilForm(forms.Form):
    """The queue's bulk action: the ticked orders (``selected``, checkboxes of the table) and
    one delivery note for all of them.

    ``cleaned_data["selected"]``: the ids ticked, sorted; ``cleaned_data["not_ids"]``: how many
    ticked values name no order at all (not a number, or out of the id range) — the view
    counts them with the unknown ids, so nothing ticked is passed over in silence."""

    note = forms.CharField(label=_("Delivery note for all"), max_length=1000, required=False)

    def clean(self):
        data = super().clean()
        getlist = getattr(self.data, "getlist", None)
        values = getlist("selected") if getlist else self.data.get("selected", [])
        if isinstance(values, str | int):
            values = [values]
        values = {str(value).strip() for value in values} - {""}
        ids = [id_from_text(value) for value in values]
        data["selected"] = sorted({pk for pk in ids if pk is not None})
        data["not_ids"] = ids.count(None)
        if not values:
            raise forms.ValidationError(_("Tick the orders to mark fulfilled."))
        return data


class StaffRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required. The member reads it; the points go back to the company."),
    )


class VoucherUploadForm(forms.Form):
    reward = forms.ModelChoiceField(label=_("Voucher reward"), queryset=None, empty_label=_("Choose a reward"))
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "CSV UTF-8, separated by commas, semicolons or tabs; at most 2 MB. One code per line, in the first "
            "column or in the column headed “code”. A code has letters A–Z, digits and - _ . / (at most 100 "
            "characters) and begins with a letter or a digit."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reward"].queryset = Reward.objects.filter(kind=RewardKind.VOUCHER).order_by("title")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > VOUCHER_FILE_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB; split it into smaller files."))
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(_("Upload a .csv or .txt file."))
        return upload
