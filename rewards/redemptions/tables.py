"""Tables of orders: the member's order list and the staff fulfilment queue."""

from __future__ import annotations

from collections.abc import Callable

import django_tables2 as tables
from django.templatetags import l10n
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_tables2.columns import BoundColumn
from django_tables2.rows import BoundRow
from django_tables2.utils import Accessor, signature

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


def status_badge(redemption: Redemption, label: str | None = None) -> str:
    """The status as a coloured badge; ``label`` is the status's name when the caller has it
    already (a table column gets it with the value)."""
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_BADGES.get(redemption.status, ""),
        redemption.get_status_display() if label is None else label,
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
    the warehouse (``?_export=csv``). The page reads its orders from ``fulfilment_queue_page``,
    which loads only what the visible columns show: a visible column that reads more adds it
    there (else each row costs a query, which the queue's query-count test catches)."""

    selected = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th__input": {"aria-label": gettext_lazy("Select all on this page"), "data-select-all": "selected"},
        },
        exclude_from_export=True,
    )
    number = tables.Column(
        verbose_name=gettext_lazy("Order"), accessor="pk", order_by=("pk",), attrs={"td": {"class": "text-nowrap"}}
    )
    requested_at = tables.Column(verbose_name=gettext_lazy("Placed"), attrs={"td": {"class": "text-nowrap"}})
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
        # django-tables2's Bootstrap 5 template with the rows from ``body_rows``.
        template_name = "rewards/staff/queue_table.html"

    def __init__(self, *args, rules: ProgrammeRules, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = timezone.now()
        self.rules = rules

    def body_rows(self) -> list[tuple[str, str]]:
        """The page's rows for ``rewards/staff/queue_table.html``: each row's attributes and
        its cells' HTML.

        The cells are those django-tables2's own template renders (the same accessors, choice
        labels, defaults, ``<td>`` attributes and ``render_*`` methods, called the same way),
        but what is the same on every row is worked out once a page, not once a cell:
        django-tables2 inspects the renderer's signature, rebuilds the ``<td>`` attributes and
        calls ``get_FOO_display()`` (which translates every choice to find one) for each of
        the 550 cells of a page, which made this the slowest staff page of a big club. So a
        column's ``<td>`` attributes must not depend on the row (none does).
        """
        cells = [self._cell_renderer(bound_column) for bound_column in self.columns]
        return [(row.attrs.as_html(), mark_safe("".join([cell(row) for cell in cells]))) for row in self.paginated_rows]

    def _cell_renderer(self, bound_column: BoundColumn) -> Callable[[BoundRow], str]:
        """A function giving one column's ``<td>`` for a row, as ``BoundRow.get_cell`` and the
        ``<td {{ column.attrs.td.as_html }}>{{ cell }}</td>`` of django-tables2's template do."""
        column = bound_column.column
        start = format_html("<td {}>", bound_column.attrs["td"].as_html())
        empty = format_html("{}{}</td>", start, bound_column.default)
        accessor = Accessor(bound_column.accessor)
        field = accessor.get_field(self._meta.model)
        # A field with choices shows its label, as django-tables2's get_FOO_display() does.
        labels = {value: str(label) for value, label in field.flatchoices} if getattr(field, "choices", None) else None
        arguments_taken, takes_any = signature(bound_column.render)
        localize_content = {None: lambda content: localize(template_localtime(content)), True: l10n.localize}.get(
            column.localize, l10n.unlocalize
        )

        def cell(row: BoundRow) -> str:
            value = accessor.resolve(row.record, quiet=True)
            if labels is not None:
                value = labels.get(value, value)
            if value in column.empty_values:
                return empty
            available = {
                "value": value,
                "record": row.record,
                "column": column,
                "bound_column": bound_column,
                "bound_row": row,
                "table": self,
            }
            arguments = available if takes_any else {name: available[name] for name in arguments_taken}
            content = bound_column.render(**arguments)
            if bound_column.link:
                content = bound_column.link(content, **arguments)
            # What {{ cell }} does, short of a text that is already HTML (most cells).
            if not isinstance(content, SafeData):
                content = conditional_escape(localize_content(content))
            return f"{start}{content}</td>"

        return cell

    def order_requested_at(self, queryset, is_descending):
        return queryset.order_by(*(("-requested_at", "-pk") if is_descending else ("requested_at", "pk"))), True

    def render_selected(self, value, record):
        # Ticks for the bulk form (``id="bulk-fulfil"`` in the page), each named after its order.
        return format_html(
            '<input type="checkbox" name="selected" value="{}" form="bulk-fulfil" aria-label="{}" />',
            value,
            _("Select order %(number)s") % {"number": record.number},
        )

    def render_number(self, record):
        return format_html('<a href="{}">{}</a>', reverse("rewards_staff:redemption", args=[record.pk]), record.number)

    def render_requested_at(self, value):
        # Not a DateTimeColumn: that compiles a template for every cell.
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")

    def render_age(self, value):
        days = (self.now - value).days
        if days < 1:
            return _("today")
        return ngettext("%(days)s day", "%(days)s days", days) % {"days": days}

    def render_points_total(self, value):
        return points_cell(value, self.rules)

    def render_status(self, value, record):
        return status_badge(record, label=value)

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
