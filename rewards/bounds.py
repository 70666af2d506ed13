"""The bounds of money, points and purchase dates: one definition, used by the integration
API's schema (it states them as OpenAPI minimum/maximum), the CSV import's row rules, the
purchase ingestion service and the database constraints on purchases.

Why these figures:

* **Money.** Amounts are stored as ``DECIMAL(13, 2)``, which would hold 99 999 999 999.99;
  but a purchase's points are ``amount × points per unit × multipliers`` in 32-bit integer
  columns (at most 2 147 483 647). A single purchase or line of up to 99 999 999.99 (a
  hundred million less a cent) leaves that room twenty-fold at one point per unit, far above
  any real B2B invoice.
* **Points.** One purchase earns at most ``POINTS_MAX`` points: half the integer column, so a
  generous programme (high multipliers) is refused per purchase with a message instead of
  overflowing the column. A figure of points staff type in the admin (a campaign's budget and
  bonuses, an activity's or a challenge's points, a reward's cost, a tier's threshold, a
  rep's goodwill budget) is at most ``POINTS_MAX`` too (``PointsMaxValidator``), said in
  words, instead of Django's "less than or equal to 9223372036854775807" (SQLite's integer
  range; 2147483647 on PostgreSQL) for a typo with too many digits.
* **Dates.** A purchase happened at or after ``OCCURRED_AT_EARLIEST`` and at most
  ``OCCURRED_AT_MAX_AHEAD`` after the server's clock: a sending system's clock may be a
  little fast (or send local time with a wrong offset), but a purchase in the future would
  keep its points pending past their real release, and years like 1 or 9999 do not survive
  time-zone arithmetic.

This module imports nothing from the project, so models and migrations can use it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils.deconstruct import deconstructible
from django.utils.formats import number_format
from django.utils.translation import gettext as _

MONEY_MAX = Decimal("99999999.99")
MONEY_MIN = -MONEY_MAX
POINTS_MAX = 1_000_000_000
OCCURRED_AT_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
OCCURRED_AT_MAX_AHEAD = timedelta(hours=1)


def money_problem(amount: Decimal) -> str | None:
    """Why ``amount`` is outside the bounds, or None."""
    if MONEY_MIN <= amount <= MONEY_MAX:
        return None
    return _("The amount must be between %(min)s and %(max)s.") % {"min": MONEY_MIN, "max": MONEY_MAX}


def points_problem(points: int) -> str | None:
    """Why a purchase earning ``points`` cannot be recorded, or None."""
    if -POINTS_MAX <= points <= POINTS_MAX:
        return None
    return _("This purchase would earn %(points)s points; one purchase can earn at most %(max)s.") % {
        "points": points,
        "max": POINTS_MAX,
    }


@deconstructible
class PointsMaxValidator(MaxValueValidator):
    """At most ``POINTS_MAX`` points, for a model field of points staff type. A
    ``MaxValueValidator``, so Django adds no validator of the database's integer range beside
    it; its message names the bound with grouped digits, in the reader's language."""

    def __init__(self, limit_value: int = POINTS_MAX, message=None):
        super().__init__(limit_value, message)

    def __call__(self, value) -> None:
        if value is not None and value > self.limit_value:
            raise ValidationError(
                _("At most %(max)s points: a larger figure is almost certainly a typo.")
                % {"max": number_format(self.limit_value, force_grouping=True)},
                code=self.code,
                params={"limit_value": self.limit_value, "value": value},
            )


def occurred_at_problem(moment: datetime, *, now: datetime) -> str | None:
    """Why ``moment`` (timezone-aware) cannot be a purchase's date, or None."""
    if moment < OCCURRED_AT_EARLIEST:
        return _("The date must be on or after %(earliest)s.") % {"earliest": OCCURRED_AT_EARLIEST.date().isoformat()}
    if moment > now + OCCURRED_AT_MAX_AHEAD:
        return _("The date is in the future (more than %(minutes)s minutes ahead of the server's clock).") % {
            "minutes": int(OCCURRED_AT_MAX_AHEAD.total_seconds() // 60)
        }
    return None
