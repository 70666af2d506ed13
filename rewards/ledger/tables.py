"""Tables of the member's points history (every points figure with its money value); the
points cell helpers the order tables share."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import django_tables2 as tables
from django.utils import formats, timezone
from django.utils.encoding import force_str
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.formatting import format_money, format_number
from rewards.ledger.origins import entry_origins
from rewards.ledger.selectors import points_value
from rewards.models import EntryKind, LedgerEntry, ProgrammeRules
from rewards.templatetags.points import entry_description


def entry_dates_note(entry: LedgerEntry, now) -> str:
    """When pending points become spendable, or when added points expire."""
    if entry.kind == EntryKind.EARN and entry.available_at and entry.available_at > now:
        return _("Pending until %(date)s") % {"date": formats.date_format(timezone.localdate(entry.available_at))}
    if entry.points > 0 and entry.expires_at and entry.reverses_id:
        # Given back (a returned order, a reversed expiry): expiry is first in, first out, so
        # these points keep the expiry of the points they replace, at the earliest this date.
        return _("Given back; expire at the earliest %(date)s") % {
            "date": formats.date_format(timezone.localdate(entry.expires_at))
        }
    if entry.points > 0 and entry.expires_at:
        return _("Expires %(date)s") % {"date": formats.date_format(timezone.localdate(entry.expires_at))}
    return ""


def no_change() -> str:
    """A release moves points from pending to the balance: the company's total does not
    change. Built per cell, in the reader's language (never once at import time)."""
    return format_html('<span aria-hidden="true">—</span><span class="visually-hidden">{}</span>', _("no change"))


# Columns a phone leaves out, so what matters fits 390 pixels (the rest is in the export).
WIDE_SCREENS_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}


def points_cell(points: int, rules: ProgrammeRules) -> str:
    """A table cell's points with their money value on a line below."""
    return format_html(
        '{} <span class="d-block small text-body-secondary">{}</span>',
        format_number(points),
        format_money(points_value(points=points, rules=rules), rules.currency),
    )


class LedgerEntryTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name=gettext_lazy("Date"), format="SHORT_DATETIME_FORMAT")
    kind = tables.Column(verbose_name=gettext_lazy("Kind"), attrs=WIDE_SCREENS_ONLY)
    memo = tables.Column(verbose_name=gettext_lazy("Description"), orderable=False, empty_values=())
    note = tables.Column(
        verbose_name=gettext_lazy("Dates"), accessor="pk", orderable=False, empty_values=(), attrs=WIDE_SCREENS_ONLY
    )
    points = tables.Column(
        verbose_name=gettext_lazy("Points"),
        accessor="net_points",
        orderable=False,
        attrs={"th": {"class": "text-end"}, "td": {"class": "text-end text-nowrap"}},
    )
    value = tables.Column(
        verbose_name=gettext_lazy("Value"),
        accessor="pk",
        orderable=False,
        empty_values=(),
        attrs={"th": {"class": "text-end"}, "td": {"class": "text-end text-nowrap"}},
    )

    by = tables.Column(verbose_name=gettext_lazy("By"), accessor="pk", orderable=False, empty_values=())
    balance = tables.Column(
        verbose_name=gettext_lazy("Balance after"),
        accessor="pk",
        orderable=False,
        empty_values=(),
        attrs={"th": {"class": "text-end"}, "td": {"class": "text-end text-nowrap"}},
    )

    class Meta:
        model = LedgerEntry
        fields = ["created_at", "kind", "memo", "note", "points", "value", "by", "balance"]
        order_by = ("-created_at",)
        empty_text = gettext_lazy("No points entries match.")
        attrs = {"class": "table table-hover align-middle points-history"}

    def __init__(self, *args, rules: ProgrammeRules, club_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = rules
        self.club_name = club_name
        self._origins: dict[int, str] | None = None
        self.now = timezone.now()
        self.columns["value"].column.verbose_name = _("Value (%(currency)s)") % {"currency": rules.currency}

    def order_created_at(self, queryset, is_descending):
        return queryset.order_by(*(("-created_at", "-pk") if is_descending else ("created_at", "pk"))), True

    def _value(self, record) -> Decimal:
        return points_value(points=record.net_points, rules=self.rules)

    def render_memo(self, record):
        return entry_description(record, self.rules)

    def _origin(self, record) -> str:
        if self._origins is None:  # once, for the rows shown (the page, or every row of an export)
            page = getattr(self, "page", None)  # none for an export (every row of its chunk)
            rows = [row.record for row in page.object_list] if page else self.data.data
            self._origins = entry_origins(rows, club_name=self.club_name)
        return self._origins.get(record.pk, "")

    def _balance(self, record) -> int | None:
        return record.balance_after

    def render_by(self, record):
        return format_html('<span class="small">{}</span>', self._origin(record))

    def render_balance(self, record):
        balance = self._balance(record)
        return "" if balance is None else points_cell(balance, self.rules)  # with its value, like every figure

    def render_note(self, record):
        return entry_dates_note(record, self.now)

    def render_points(self, value, record):
        if record.kind == EntryKind.RELEASE:
            return no_change()
        sign = "+" if value > 0 else ("\u2212" if value < 0 else "")
        return sign + format_number(abs(value))

    def render_value(self, record):
        if record.kind == EntryKind.RELEASE:
            return no_change()
        value = self._value(record)
        sign = "+" if value > 0 else ("\u2212" if value < 0 else "")
        return sign + format_money(abs(value), self.rules.currency)

    # Exports get plain numbers a spreadsheet can add up.
    def value_created_at(self, value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")

    def value_kind(self, record):
        return record.get_kind_display()

    def value_memo(self, record):
        return entry_description(record, self.rules)

    def value_note(self, record):
        return entry_dates_note(record, self.now)

    def value_points(self, value):
        return value

    def value_value(self, record):
        return self._value(record)

    def value_by(self, record):
        return self._origin(record)

    def value_balance(self, record):
        return self._balance(record)

    def export_values(self, records: list[LedgerEntry], *, exclude_columns=()) -> Iterator[list]:
        """What ``as_values`` yields for ``records`` (the header, then a row per entry, from the
        ``value_*`` methods above), without django-tables2's per-cell dispatch: a signature
        inspection and a lazy choice label per cell cost an 85 000-line export most of its time.
        A test holds the two to the same output."""
        columns = [
            column
            for column in self.columns.iterall()
            if not (column.column.exclude_from_export or column.name in exclude_columns)
        ]
        yield [force_str(column.header, strings_only=True) for column in columns]
        self._origins = entry_origins(records, club_name=self.club_name)
        kinds = {value: str(label) for value, label in EntryKind.choices}
        cell = {
            "created_at": lambda entry: self.value_created_at(entry.created_at),
            "kind": lambda entry: kinds.get(entry.kind, entry.kind),
            "memo": self.value_memo,
            "note": self.value_note,
            "points": lambda entry: entry.net_points,
            "value": self.value_value,
            "by": self.value_by,
            "balance": self.value_balance,
        }
        for entry in records:
            yield [force_str(cell[column.name](entry), strings_only=True) for column in columns]


# --- Redemptions: the member's order history and the staff fulfilment queue --------------------
