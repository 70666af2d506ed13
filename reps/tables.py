"""The "My accounts" table: every figure from the annotated queryset (``rep_accounts``),
expiring points from one bulk read for the page, so no cell runs a query.

Purchase amounts are in the club's base currency (``reps.activity``: other currencies at
their reporting rate), which is ``rules.currency`` here: the list is for staff, who read
values in the base currency (``programme_rules_for_request``). The page shows the currency
with each amount; the export says it in the headers of its amount columns."""

from __future__ import annotations

from decimal import Decimal

import django_tables2 as tables
from django.db.models import F
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.formatting import format_money, format_number, format_points
from core.spreadsheets import money_cell
from members.models import Company
from rewards.ledger.selectors import points_value
from rewards.models import ProgrammeRules


class AccountTable(tables.Table):
    name = tables.Column(verbose_name=gettext_lazy("Company"), attrs={"td": {"class": "account-cell"}})
    sales_rep = tables.Column(verbose_name=gettext_lazy("Sales rep"), order_by=("sales_rep__first_name",))
    tier = tables.Column(
        verbose_name=gettext_lazy("Tier"),
        accessor="points_account__tier__name",
        order_by=("points_account__tier__qualifying_points",),
        default="—",
        attrs={"td": {"class": "text-nowrap"}},
    )
    balance = tables.Column(
        verbose_name=gettext_lazy("Balance"),
        attrs={"th": {"class": "text-end"}, "td": {"class": "text-end text-nowrap"}},
    )
    # (Their second lines may wrap, so the table fits a 1280-pixel screen in every language.)
    last_purchase_at = tables.Column(verbose_name=gettext_lazy("Last purchase"), default="—")
    trend = tables.Column(
        verbose_name=gettext_lazy("Purchases, 90 days"),
        attrs={"th": {"class": "text-end"}, "td": {"class": "text-end"}},
        empty_values=(),
        exclude_from_export=True,  # the percent and both amounts in one cell: the export has a column each
    )
    expiring = tables.Column(
        verbose_name=gettext_lazy("Expiring in 60 days"),
        accessor="pk",
        orderable=False,
        empty_values=(),
        exclude_from_export=True,  # a FIFO walk over every account's ledger: for the page only
        attrs={"th": {"class": "text-end"}, "td": {"class": "text-end text-nowrap"}},
    )
    unread = tables.Column(
        verbose_name=gettext_lazy("Unread"),
        attrs={"th": {"class": "text-end"}, "td": {"class": "text-end"}},
    )
    # Export only (``?_export=csv``, streamed).
    org_number = tables.Column(verbose_name=gettext_lazy("Org. number"), visible=False)
    customer_number = tables.Column(
        verbose_name=gettext_lazy("Customer number"), accessor="external_id", visible=False, default=""
    )
    city = tables.Column(verbose_name=gettext_lazy("City"), visible=False)
    country = tables.Column(verbose_name=gettext_lazy("Country"), visible=False)
    # (Their headers name the base currency: set in ``__init__``.)
    purchases_recent = tables.Column(visible=False)
    purchases_before = tables.Column(visible=False)
    trend_percent = tables.Column(
        verbose_name=gettext_lazy("Purchases, change over 90 days (%)"),
        accessor="trend",
        visible=False,
        empty_values=(),  # no trend (nothing before) is an empty cell, not "—"
    )

    class Meta:
        model = Company
        fields = ["name", "sales_rep", "tier", "balance", "last_purchase_at", "trend", "expiring", "unread"]
        sequence = (*fields, "...")
        order_by = ("name",)
        empty_text = gettext_lazy("No accounts match.")
        attrs = {"class": "table table-hover align-middle accounts-table"}

    def __init__(self, *args, rules: ProgrammeRules, show_rep: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = rules
        currency = {"currency": rules.currency}
        self.columns["purchases_recent"].column.verbose_name = _("Purchases, last 90 days (%(currency)s)") % currency
        self.columns["purchases_before"].column.verbose_name = _("Purchases, 90 days before (%(currency)s)") % currency
        self.expiring: dict[int, int] = {}
        if not show_rep:
            self.exclude = ("sales_rep",)

    # Sorting: newest/biggest first puts accounts without figures last.
    def order_last_purchase_at(self, queryset, is_descending):
        field = F("last_purchase_at")
        return queryset.order_by(
            field.desc(nulls_last=True) if is_descending else field.asc(nulls_last=True), "pk"
        ), True

    def order_trend(self, queryset, is_descending):
        field = F("trend")
        return queryset.order_by(
            field.desc(nulls_last=True) if is_descending else field.asc(nulls_last=True), "pk"
        ), True

    def _money(self, amount: Decimal) -> str:
        return format_money(amount.quantize(Decimal("1")), self.rules.currency)

    def render_name(self, record):
        place = ", ".join(part for part in (record.city, record.get_country_display()) if part)
        return format_html(
            '<a class="fw-semibold" href="{}">{}</a><span class="d-block small text-body-secondary">{}</span>',
            reverse("reps:account", args=[record.pk]),
            record.name,
            place,
        )

    def render_sales_rep(self, value):
        return value.get_full_name() or value.email

    def render_tier(self, value, record):
        tier = record.points_account.tier
        return format_html(
            '<svg class="points-tier-dot" width="12" height="12" viewBox="0 0 14 14" aria-hidden="true" '
            'focusable="false"><circle cx="7" cy="7" r="6" fill="{}" stroke="#495057" stroke-width="1"></circle>'
            "</svg> {}",
            tier.colour,
            tier.name,
        )

    def render_balance(self, value):
        return format_html(
            '<span class="fw-semibold">{}</span><span class="d-block small text-body-secondary">{}</span>',
            format_points(value),
            format_money(points_value(points=value, rules=self.rules), self.rules.currency),
        )

    def render_last_purchase_at(self, value):
        day = timezone.localdate(value)
        days = (timezone.localdate() - day).days
        if days == 0:
            ago = _("today")
        elif days == 1:
            ago = _("yesterday")
        else:
            ago = ngettext("%(days)s day ago", "%(days)s days ago", days) % {"days": format_number(days)}
        return format_html(
            '<span class="text-nowrap">{}</span><span class="d-block small text-body-secondary">{}</span>',
            formats.date_format(day, "SHORT_DATE_FORMAT"),
            ago,
        )

    def render_trend(self, value, record):
        recent, before = record.purchases_recent, record.purchases_before
        # The words escaped, the amounts built by format_html.
        amounts = mark_safe(
            conditional_escape(_("%(recent)s vs %(before)s"))
            % {
                "recent": format_html('<span class="text-nowrap">{}</span>', self._money(recent)),
                "before": format_html('<span class="text-nowrap">{}</span>', self._money(before)),
            }
        )
        if value is None:
            label = _("new") if recent > 0 else "—"
            return format_html('{}<span class="d-block small text-body-secondary">{}</span>', label, amounts)
        percent = int(value.quantize(Decimal("1")))
        if percent > 0:
            icon, css, words = "arrow-up-right", "trend--up", _("up %(percent)s %%") % {"percent": percent}
        elif percent < 0:
            icon, css, words = "arrow-down-right", "trend--down", _("down %(percent)s %%") % {"percent": -percent}
        else:
            icon, css, words = "arrow-right", "", _("unchanged")
        sign = "+" if percent > 0 else ("\u2212" if percent < 0 else "±")
        return format_html(
            '<span class="trend {}"><i class="bi bi-{}" aria-hidden="true"></i> <span aria-hidden="true">{}{}\u00a0%</span>'
            '<span class="visually-hidden">{}</span></span><span class="d-block small text-body-secondary">{}</span>',
            css,
            icon,
            sign,
            abs(percent),
            words,
            amounts,
        )

    def render_expiring(self, record):
        points = self.expiring.get(record.pk, 0)
        if not points:
            return "—"
        return format_html(
            '<span class="text-warning-emphasis fw-semibold">{}</span><span class="d-block small text-body-secondary">{}</span>',
            format_points(points),
            format_money(points_value(points=points, rules=self.rules), self.rules.currency),
        )

    # Plain values for the export: no markup, numbers as numbers, ISO dates.
    def value_name(self, value):
        return value

    def value_sales_rep(self, value):
        return (value.get_full_name() or value.email) if value else ""

    def value_tier(self, value):
        return value if value != "—" else ""

    def value_balance(self, value):
        return value

    def value_last_purchase_at(self, value):
        return timezone.localdate(value).isoformat() if value and value != "—" else ""

    def value_purchases_recent(self, value):
        return money_cell(value)  # summed in SQL: SQLite gave 37799.9600000000

    def value_purchases_before(self, value):
        return money_cell(value)

    def value_trend_percent(self, value):
        return "" if value is None else int(value.quantize(Decimal("1")))

    def value_unread(self, value):
        return value

    def value_country(self, record):
        return record.get_country_display()

    def render_unread(self, value, record):
        if not value:
            return mark_safe('<span class="text-body-secondary">0</span>')
        return format_html(
            '<a class="badge text-bg-primary" href="{}#messages">{}<span class="visually-hidden"> {}</span></a>',
            reverse("reps:account", args=[record.pk]),
            format_number(value),
            ngettext("unread message", "unread messages", value),
        )
