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
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def moment_storable(value) -> None:
    """Refuses an aware date-time that has no UTC equivalent (before year 1 or after 9999)."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        try:
            value.astimezone(UTC)
        except (OverflowError, ValueError):
            # Django's own words (translated by Django); a code of its own, or a model form
            # would word it as its form field's "invalid" (a split field: "Enter a list of values.").
            raise ValidationError(_("Enter a valid date/time."), code="unstorable") from None


def install() -> None:
    """Make ``moment_storable`` a default validator of every model ``DateTimeField``."""
    if moment_storable not in models.DateTimeField.default_validators:
        models.DateTimeField.default_validators = [*models.DateTimeField.default_validators, moment_storable]
