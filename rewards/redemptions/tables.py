"""Tables of orders: the member's order list and the staff fulfilment queue."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.spreadsheets import neutralise
from rewards.ledger.tables import WIDE_SCREENS_ONLY, points_cell
from rewards.models import ProgrammeRules, Redemption, RedemptionStatus

STATUS_BADGES = {
    RedemptionStatus.REQUESTED: "text-bg-info",
    RedemptionStatus.AWAITING_APPROVAL: "text-bg-warning",
    RedemptionStatus.APPROVED: "text-bg-primary",
    RedemptionStatus.FULFILLED: "text-bg-success",
    RedemptionStatus.REJECTED: "text-bg-danger",
    RedemptionStatus.CANCELLED: "text-bg-secondary",
}


def spreadsheet_safe(value) -> str:
    """A cell's text for the export ("" for nothing); the export itself (SafeTableExport)
    neutralises formula cells for every column."""
    return neutralise("" if value is None else str(value))


def status_badge(redemption: Redemption) -> str:
    return format_html(
        '<span class="badge {}">{}</span>', STATUS_BADGES.get(redemption.status, ""), redemption.get_status_display()
    )


class OrderTable(tables.Table):
    """A company's redemptions; every points figure with its money value."""

    number = tables.Column(
        verbose_name=gettext_lazy("Order"), accessor="pk", order_by=("-pk",), attrs={"td": {"class": "text-nowrap"}}
    )
    requested_at = tables.DateTimeColumn(
        verbose_name=gettext_lazy("Placed"), format="SHORT_DATETIME_FORMAT", attrs=WIDE_SCREENS_ONLY
    )
    reward_title = tables.Column(
        verbose_name=gettext_lazy("Reward"), accessor="reward_name", order_by=("reward_title",)
    )
    quantity = tables.Column(
        verbose_name=gettext_lazy("Qty"),
        attrs={"th": {"class": "text-end d-none d-md-table-cell"}, "td": {"class": "text-end d-none d-md-table-cell"}},
    )
    points_total = tables.Column(
        verbose_name=gettext_lazy("Points"),
        attrs={"th": {"class": "text-end"}, "td": {"class": "text-end text-nowrap"}},
    )
    status = tables.Column(verbose_name=gettext_lazy("Status"))
    requested_by = tables.Column(
        verbose_name=gettext_lazy("Placed by"), orderable=False, default="—", attrs=WIDE_SCREENS_ONLY
    )

    class Meta:
        model = Redemption
        fields = ["number", "requested_at", "reward_title", "quantity", "points_total", "status", "requested_by"]
        order_by = ("-requested_at",)
        empty_text = gettext_lazy("No orders match.")
        attrs = {"class": "table table-hover align-middle"}

    def __init__(self, *args, rules: ProgrammeRules, order_url=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = rules
        # Where an order's number leads (a group admin's list of a branch's orders leads to
        # the branch's order page); the member's own order page by default.
        self.order_url = order_url or (lambda record: record.get_absolute_url())

    def order_requested_at(self, queryset, is_descending):
        return queryset.order_by(*(("-requested_at", "-pk") if is_descending else ("requested_at", "pk"))), True

    def render_number(self, record):
        return format_html('<a href="{}">{}</a>', self.order_url(record), record.number)

    def render_points_total(self, value):
        return points_cell(value, self.rules)

    def render_status(self, record):
        return status_badge(record)

    def render_requested_by(self, value):
        return value.get_full_name() or value.email


class FulfilmentTable(tables.Table):
    """The staff queue. Hidden columns carry the delivery details into the CSV export for
    the warehouse (``?_export=csv``)."""

    selected = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th__input": {"aria-label": gettext_lazy("Select all on this page"), "data-select-all": "selected"},
            "td__input": {
                "form": "bulk-fulfil",
                "aria-label": lambda record: _("Select order %(number)s") % {"number": record.number},
            },
        },
        exclude_from_export=True,
    )
    number = tables.Column(
        verbose_name=gettext_lazy("Order"), accessor="pk", order_by=("pk",), attrs={"td": {"class": "text-nowrap"}}
    )
    requested_at = tables.DateTimeColumn(
        verbose_name=gettext_lazy("Placed"), format="SHORT_DATETIME_FORMAT", attrs={"td": {"class": "text-nowrap"}}
    )
    age = tables.Column(
        verbose_name=gettext_lazy("Age"),
        accessor="requested_at",
        order_by=("requested_at",),
        attrs={"td": {"class": "text-nowrap"}},
    )
    company = tables.Column(verbose_name=gettext_lazy("Company"), order_by=("company__name",))
    reward_title = tables.Column(
        verbose_name=gettext_lazy("Reward"), accessor="reward_name", order_by=("reward_title",)
    )
    reward_kind = tables.Column(verbose_name=gettext_lazy("Kind"))
    quantity = tables.Column(
        verbose_name=gettext_lazy("Qty"), attrs={"th": {"class": "text-end"}, "td": {"class": "text-end"}}
    )
    points_total = tables.Column(
        verbose_name=gettext_lazy("Points"), attrs={"th": {"class": "text-end"}, "td": {"class": "text-end"}}
    )
    status = tables.Column(verbose_name=gettext_lazy("Status"))
    delivery_city = tables.Column(verbose_name=gettext_lazy("City"), default="—")
    # Export only.
    sku = tables.Column(verbose_name=gettext_lazy("Article number"), accessor="reward__sku", visible=False)
    company_external_id = tables.Column(
        verbose_name=gettext_lazy("Company id"), accessor="company__external_id", visible=False, default=""
    )
    delivery_name = tables.Column(verbose_name=gettext_lazy("Recipient"), visible=False)
    delivery_street = tables.Column(verbose_name=gettext_lazy("Street address"), visible=False)
    delivery_postal_code = tables.Column(verbose_name=gettext_lazy("Postal code"), visible=False)
    delivery_country = tables.Column(verbose_name=gettext_lazy("Country"), visible=False)
    delivery_phone = tables.Column(verbose_name=gettext_lazy("Phone"), visible=False)
    note = tables.Column(verbose_name=gettext_lazy("Note"), visible=False)
    requested_by_email = tables.Column(
        verbose_name=gettext_lazy("Placed by"), accessor="requested_by__email", visible=False, default=""
    )

    class Meta:
        model = Redemption
        fields = [
            "selected",
            "number",
            "requested_at",
            "age",
            "company",
            "reward_title",
            "reward_kind",
            "quantity",
            "points_total",
            "status",
            "delivery_city",
        ]
        order_by = ("requested_at",)
        empty_text = gettext_lazy("Nothing here: every order matching the filter is dealt with.")
        attrs = {"class": "table table-hover align-middle fulfilment-queue"}

    def __init__(self, *args, rules: ProgrammeRules, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = timezone.now()
        self.rules = rules

    def order_requested_at(self, queryset, is_descending):
        return queryset.order_by(*(("-requested_at", "-pk") if is_descending else ("requested_at", "pk"))), True

    def render_number(self, record):
        return format_html('<a href="{}">{}</a>', reverse("rewards_staff:redemption", args=[record.pk]), record.number)

    def render_age(self, value):
        days = (self.now - value).days
        if days < 1:
            return _("today")
        return ngettext("%(days)s day", "%(days)s days", days) % {"days": days}

    def render_points_total(self, value):
        return points_cell(value, self.rules)

    def render_status(self, record):
        return status_badge(record)

    def render_reward_kind(self, record):
        return record.get_reward_kind_display()

    # Plain values in the export. Text the member typed is kept from being read as a
    # spreadsheet formula when the warehouse opens the file.
    def value_number(self, record):
        return record.number

    def value_reward_title(self, value):
        return spreadsheet_safe(value)

    def value_delivery_name(self, value):
        return spreadsheet_safe(value)

    def value_delivery_street(self, value):
        return spreadsheet_safe(value)

    def value_delivery_postal_code(self, value):
        return spreadsheet_safe(value)

    def value_delivery_city(self, value):
        return spreadsheet_safe(value)

    def value_delivery_phone(self, value):
        return spreadsheet_safe(value)

    def value_note(self, value):
        return spreadsheet_safe(value)

    def value_requested_at(self, value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")

    def value_age(self, value):
        return (self.now - value).days

    def value_company(self, record):
        return spreadsheet_safe(record.company.name)

    def value_status(self, record):
        return record.status

    def value_reward_kind(self, record):
        return record.reward_kind

    def value_points_total(self, value):
        return value
