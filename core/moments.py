"""Every date and time a form accepts is one the database can store.

A form reads ``0001-01-01 00:00`` as midnight in the club's time zone (Stockholm, east of
UTC), a moment that has no UTC time: the year would be 0. Django's date-time fields accept
it, and it fails only when the database is given it — while the model's constraints are
validated (``validate_constraints`` converts it to UTC), or on save — as a server error.
This happens in every form with a date and time: the Django admin's (campaigns,
activities, rewards), Wagtail's (event pages) and any library's.

``moment_storable`` is the check, and ``install`` makes it a default validator of every
model ``DateTimeField`` (``CoreConfig.ready``). A model form runs its model's validators in
``full_clean`` before it validates constraints or saves, and leaves a field that failed out
of both, so the bad value gets Django's own "Enter a valid date/time." beside the field.
Default validators are not part of a field's migration state, so no migration changes.

The same moment in a *filter* (a list's "from" date) fails when the list's query runs:
Wagtail's reports, page histories and page explorer read ``?timestamp_from=0001-01-01``
with django-filter's ``DateRangeField``, whose dates become the first and last moment of
their days in the club's time zone. So ``install`` also makes ``moment_storable`` a default
validator of the form ``DateTimeField`` (django-filter's date-time filters and ranges, any
form's date and time) and ``range_storable`` one of ``DateRangeField``. A filter form that
is not valid filters nothing (Wagtail shows the list unfiltered, with the error on the
filter; a project ``FilterView`` answers 400, ``core.filters``). The message is the one the
field gives any date and time it cannot read.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.forms import DateTimeField as FormDateTimeField
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.fields import DateRangeField


def moment_storable(value) -> None:
    """Refuses an aware date-time that has no UTC equivalent (before year 1 or after 9999)."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        try:
            value.astimezone(UTC)
        except (OverflowError, ValueError):
            # Django's own words (translated by Django); a code of its own, or a model form
            # would word it as its form field's "invalid" (a split field: "Enter a list of values.").
            raise ValidationError(_("Enter a valid date/time."), code="unstorable") from None


def range_storable(value) -> None:
    """Refuses a range (django-filter's ``slice``) whose start or stop is not storable."""
    if isinstance(value, slice):
        moment_storable(value.start)
        moment_storable(value.stop)


def install() -> None:
    """Make ``moment_storable`` a default validator of every model and form ``DateTimeField``,
    and ``range_storable`` one of django-filter's ``DateRangeField``."""
    for field_class, validator in (
        (models.DateTimeField, moment_storable),
        (FormDateTimeField, moment_storable),
        (DateRangeField, range_storable),
    ):
        if validator not in field_class.default_validators:
            field_class.default_validators = [*field_class.default_validators, validator]
