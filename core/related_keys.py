"""Every key a form or an admin widget looks up is one the database can be given.

A related field's form field (``ModelChoiceField``, ``ModelMultipleChoiceField``) and the
Django admin's widgets for it (the autocomplete, the raw id) look the posted key up as it
came. Django catches what fails while the query is *built* (``abc`` for a number:
``ValueError``), but not what fails when it is *run*: a number past 64 bits raises
``OverflowError`` in SQLite, and a lookup through a one-to-one primary key (an event page's
``page_ptr``) skips Django's own guard against out-of-range integers. And the admin's
widgets, re-rendering a form with errors (or an add form with ``?company=abc``), look the
unchecked key up again without catching even the ``ValueError``: a server error either way.

``key_readable`` is the check: the key field (the primary key, or ``to_field_name``; a
one-to-one primary key: the key it points to) converts the value and its validators accept
it (an integer key: within the database's range; no NUL character). ``install`` puts it in
front of the four lookups (``CoreConfig.ready``):

- ``ModelChoiceField.to_python`` and ``ModelMultipleChoiceField._check_values`` refuse an
  unreadable key with the field's own "Select a valid choice" error, as they refuse a key
  that matches no row;
- ``AutocompleteMixin.optgroups`` and ``ForeignKeyRawIdWidget.label_and_url_for_value`` leave
  it out of their lookup, as they leave out a key that matches no row.

Each wrapper only decides earlier what the wrapped method would answer for a key that
exists nowhere, and calls it unchanged for every other value, so a form that worked
before works the same. ``_check_values`` is private API (the same since Django 1.8);
``tests/core/test_admin_hostile_choices.py`` notices if an upgrade changes it.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib.admin import widgets as admin_widgets
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models

UNREADABLE = (ValidationError, ValueError, TypeError, OverflowError)


def key_readable(field: models.Field, value) -> bool:
    """Whether ``value`` (as posted, or a model instance) can be looked up as ``field``."""
    if isinstance(value, models.Model):
        return True
    while field.remote_field is not None and getattr(field, "target_field", None) is not None:
        field = field.target_field  # a foreign or one-to-one key: the key it points to
    if isinstance(value, str) and "\x00" in value:
        return False
    try:
        key = field.to_python(value)
        if key is not None:
            field.run_validators(key)  # an integer key: within the database's range
    except UNREADABLE:
        return False
    return True


def _key_field(model: type[models.Model], name: str | None) -> models.Field | None:
    if not name or name == "pk":
        return model._meta.pk
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None  # not a field (an annotation...): left to Django


def _choice_key_field(choice_field: forms.ModelChoiceField) -> models.Field | None:
    queryset = choice_field.queryset
    return None if queryset is None else _key_field(queryset.model, choice_field.to_field_name)


def _to_python(original):
    @wraps(original)
    def to_python(self, value):
        field = _choice_key_field(self)
        if value not in self.empty_values and field is not None and not key_readable(field, value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return original(self, value)

    return to_python


def _check_values(original):
    @wraps(original)
    def check_values(self, value):
        field = _choice_key_field(self)
        if field is not None and isinstance(value, (list, tuple, set, frozenset)):
            for key in value:
                if not key_readable(field, key):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": key}
                    )
        return original(self, value)

    return check_values


def _optgroups(original):
    @wraps(original)
    def optgroups(self, name, value, attr=None):
        remote_field = self.field.remote_field
        field = _key_field(remote_field.model, getattr(remote_field, "field_name", None))
        if field is not None:
            value = [key for key in value if key_readable(field, key)]
        return original(self, name, value, attr)

    return optgroups


def _label_and_url_for_value(original):
    @wraps(original)
    def label_and_url_for_value(self, value):
        if not key_readable(self.rel.get_related_field(), value):
            return "", ""  # as for a key that matches no row
        return original(self, value)

    return label_and_url_for_value


def install() -> None:
    """Put ``key_readable`` in front of the lookups of the choice fields and admin widgets."""
    patches = [
        (forms.ModelChoiceField, "to_python", _to_python),
        (forms.ModelMultipleChoiceField, "_check_values", _check_values),
        (admin_widgets.AutocompleteMixin, "optgroups", _optgroups),
        (admin_widgets.ForeignKeyRawIdWidget, "label_and_url_for_value", _label_and_url_for_value),
    ]
    for owner, name, wrapper in patches:
        original = owner.__dict__[name]
        if not getattr(original, "key_readable_installed", False):
            patched = wrapper(original)
            patched.key_readable_installed = True
            setattr(owner, name, patched)
