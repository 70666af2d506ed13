"""Reporting periods: a month, a quarter, a year or a custom range of days, with the period
just before it and the same period a year earlier. A period is ``[start, end)`` in days of
the club's time zone; ``bounds`` turns it into aware datetimes for the queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONTH, QUARTER, YEAR, CUSTOM = "month", "quarter", "year", "custom"
KIND_CHOICES = [(MONTH, _("Month")), (QUARTER, _("Quarter")), (YEAR, _("Year")), (CUSTOM, _("Custom"))]
# Dates outside these years are refused by the form (and never reach date arithmetic).
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_CUSTOM_DAYS = 5 * 366


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # exclusive

    @classmethod
    def containing(cls, kind: str, day: date) -> Period:
        if kind == MONTH:
            start = day.replace(day=1)
            return cls(kind, start, _add_months(start, 1))
        if kind == QUARTER:
            start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
            return cls(kind, start, _add_months(start, 3))
        if kind == YEAR:
            return cls(kind, date(day.year, 1, 1), date(day.year + 1, 1, 1))
        raise ValueError(kind)

    @classmethod
    def custom(cls, first: date, last: date) -> Period:
        """``first`` to ``last``, both days included."""
        return cls(CUSTOM, first, last + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def previous(self) -> Period:
        """The period of the same kind just before (for a custom range: as many days)."""
        if self.kind == MONTH:
            return Period.containing(MONTH, _add_months(self.start, -1))
        if self.kind == QUARTER:
            return Period.containing(QUARTER, _add_months(self.start, -3))
        if self.kind == YEAR:
            return Period.containing(YEAR, date(self.start.year - 1, 1, 1))
        return Period(CUSTOM, self.start - timedelta(days=self.days), self.start)

    def year_earlier(self) -> Period:
        if self.kind in (MONTH, QUARTER, YEAR):
            return Period.containing(self.kind, _year_earlier(self.start))
        return Period(CUSTOM, _year_earlier(self.start), _year_earlier(self.end))

    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_current_timezone()
        return (
            timezone.make_aware(datetime.combine(self.start, time.min), zone),
            timezone.make_aware(datetime.combine(self.end, time.min), zone),
        )

    def as_query(self) -> str:
        """The period as the picker's GET parameters (for links that keep it)."""
        if self.kind == CUSTOM:
            return f"kind=custom&start={self.start.isoformat()}&end={self.last_day.isoformat()}"
        return f"kind={self.kind}&start={self.start.isoformat()}"
