"""The reward catalogue in the Django admin: rewards with their pictures, categories, the
read-only views of voucher codes and of companies' reward settings.

Pictures are uploaded through ``RewardImageForm``, which hands the file to
``rewards.catalogue.services.reward_image_add``'s checks (``rewards.catalogue.images``): a refused file is a
form error, an accepted one is stored as its re-encoded display copy and thumbnail, made
once. Stock is edited here, but a redemption may take some while the page is open: the
form remembers the stock it showed and, holding the reward row lock, refuses to overwrite a
figure that has changed meanwhile. Redemptions change state only in the staff fulfilment
pages (``/staff/rewards/``), never here.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db.models import Count, Q, Subquery
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdminMixin
from core.formatting import format_money, format_points
from core.translation_admin import TranslatedContentAdmin, TranslatedContentTabularInline
from members.admin_scoping import CompanyScopedAdminMixin
from rewards.catalogue.images import ImageRejected, image_check_and_process
from rewards.models import (
    CompanyRewardSettings,
    ProgrammeRules,
    Reward,
    RewardCategory,
    RewardImage,
    VoucherCode,
)


class RewardImageForm(forms.ModelForm):
    upload = forms.FileField(
        label=gettext_lazy("Picture"),
        required=False,
        help_text=gettext_lazy("JPEG, PNG or WebP, at most 5 MB and 25 megapixels, at least 200 × 200 pixels."),
    )

    class Meta:
        model = RewardImage
        fields = ["alt_text", "position"]

    def clean(self):
        data = super().clean()
        upload = data.get("upload")
        if upload is None and self.instance.pk is None and not self.cleaned_data.get("DELETE"):
            if self.has_changed():
                self.add_error("upload", _("Choose a picture to upload."))
            return data
        if upload is not None:
            try:
                self.processed = image_check_and_process(upload)
            except ImageRejected as exc:
                self.add_error("upload", str(exc))
        return data

    def save(self, commit=True):
        image = super().save(commit=False)
        processed = getattr(self, "processed", None)
        if processed is not None:
            # A new picture replaces the old copies; they are made once, here.
            image.image.save(processed.display.name, processed.display, save=False)
            image.thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)
        if commit:
            image.save()
        return image


class RewardImageInline(TranslatedContentTabularInline):
    model = RewardImage
    form = RewardImageForm
    fields = ["preview", "upload", "alt_text", "position"]
    readonly_fields = ["preview"]
    extra = 1

    @admin.display(description=gettext_lazy("Picture"))
    def preview(self, image: RewardImage):
        if not image.pk or not image.thumbnail:
            return "—"
        return format_html('<img src="{}" alt="" width="160" height="120">', image.thumbnail.url)


class RewardAdminForm(forms.ModelForm):
    # The stock the page showed, to refuse overwriting a figure a redemption changed meanwhile.
    stock_seen = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Reward
        # The admin's fieldsets choose the fields. A ``Meta.fields`` here would make
        # modeltranslation copy it onto the admin as ``fields`` beside ``fieldsets`` (admin.E005).
        exclude = ()  # noqa: DJ006 (the fieldsets list the fields)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["stock_seen"].initial = self.instance.stock

    def clean(self):
        data = super().clean()
        if self.instance.pk and "stock" in self.changed_data:
            # The admin's change view runs in a transaction: this lock is held until it commits.
            current = Reward.objects.select_for_update().filter(pk=self.instance.pk).values_list("stock", flat=True)
            current = current.first()
            if current != data.get("stock_seen"):
                self.add_error(
                    "stock",
                    _(
                        "The stock changed to %(stock)s while you were editing (orders came in). Check the figure "
                        "and save again."
                    )
                    % {"stock": _("unlimited") if current is None else current},
                )
                self.data = self.data.copy()
                self.data["stock_seen"] = "" if current is None else str(current)
        return data


@admin.register(Reward)
class RewardAdmin(TranslatedContentAdmin):
    form = RewardAdminForm
    inlines = [RewardImageInline]
    list_display = [
        "title",
        "sku",
        "kind",
        "points_and_worth",
        "stock_display",
        "is_active",
        "featured",
        "tier_required",
    ]
    list_filter = ["is_active", "featured", "kind", "category", "tier_required"]
    list_editable = ["is_active", "featured"]
    list_select_related = ["tier_required"]
    search_fields = ["title", "sku", "summary"]
    fieldsets = [
        (None, {"fields": ["title", "sku", "category", "kind", "summary", "description", "is_active", "featured"]}),
        (gettext_lazy("Points and value"), {"fields": ["points_cost", "value", "currency"]}),
        (
            gettext_lazy("Availability"),
            {
                "fields": [
                    "stock",
                    "stock_seen",
                    "low_stock_threshold",
                    "max_per_order",
                    ("company_limit", "limit_period"),
                    "tier_required",
                    ("available_from", "available_until"),
                ]
            },
        ),
        (gettext_lazy("Events and donations"), {"fields": ["event_starts_at", "event_location", "charity_name"]}),
    ]

    def get_queryset(self, request):
        programme = ProgrammeRules.objects.filter(pk=ProgrammeRules.SINGLETON_PK)
        return (
            super()
            .get_queryset(request)
            .annotate(
                free_codes=Count("codes", filter=Q(codes__redemption__isnull=True)),
                # The point value and currency ride along in the same query, for points_and_worth.
                point_value=Subquery(programme.values("point_value")[:1]),
                programme_currency=Subquery(programme.values("currency")[:1]),
            )
        )

    @admin.display(description=gettext_lazy("points (their worth / the reward's value)"), ordering="points_cost")
    def points_and_worth(self, reward: Reward):
        """What members pay, what those points are worth at the point value, and what the
        reward is worth: staff see the margin at a glance."""
        if reward.point_value is None:  # no programme rules saved yet
            return format_points(reward.points_cost)
        worth = (Decimal(reward.points_cost) * reward.point_value).quantize(Decimal("0.01"))
        return format_html(
            "{} <small>({} / {})</small>",
            format_points(reward.points_cost),
            format_money(worth, reward.programme_currency),
            format_money(reward.value, reward.currency),
        )

    @admin.display(description=gettext_lazy("Stock"))
    def stock_display(self, reward: Reward):
        if reward.uses_code_pool:
            url = reverse("rewards_staff:voucher_upload") + f"?reward={reward.pk}"
            return format_html(
                '{} <a href="{}">{}</a>', _("%(count)s codes") % {"count": reward.free_codes}, url, _("upload")
            )
        return _("unlimited") if reward.stock is None else reward.stock


@admin.register(RewardCategory)
class RewardCategoryAdmin(TranslatedContentAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(VoucherCode)
class VoucherCodeAdmin(CompanyScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # A code given out belongs to the company that ordered it; the pool (no order yet) is
    # the club's, seen by whole-club roles only.
    company_path = "redemption__company"
    list_display = ["reward", "masked_code", "redemption", "assigned_at", "uploaded_at"]
    list_filter = ["reward", ("redemption", admin.EmptyFieldListFilter)]
    list_select_related = ["reward", "redemption"]
    fields = ["reward", "masked_code", "redemption", "assigned_at", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("code"))
    def masked_code(self, code: VoucherCode):
        # Codes are money: the list shows enough to recognise one, not to use it.
        return f"{code.code[:4]}…" if len(code.code) > 4 else "…"


@admin.register(CompanyRewardSettings)
class CompanyRewardSettingsAdmin(CompanyScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    company_path = "company"
    list_display = ["company", "approval_threshold", "goal_reward", "updated_at"]
    list_select_related = ["company", "goal_reward"]
    search_fields = ["company__name"]
