"""A crafted query string or action post on a Django admin change list gets Django's own
answer, never a server error.

Django turns a lookup it cannot build into "incorrect lookup parameters" (a redirect to
``?e=1``), but not every bad value fails while the query is built: a year past 9999, or
the first of January of year 1 (whose conversion from Stockholm time to UTC underflows),
fails only when the SQL is compiled or the query runs, some of it while the page renders;
a library's list filter (django-auditlog's model filter) raises ``ValueError`` where Django
expects ``IncorrectLookupParameters``; and the ids of an action's ``_selected_action`` go
straight into ``pk__in``. The project's model admins share no base class (and the
libraries' admins never would), so this is one middleware for every change list:

- date lookups (``<date>__gte``, ``<date>__year``, the date hierarchy's year, month and
  day) are checked before the view runs, as the database will be given them;
- a NUL character anywhere in the query string (PostgreSQL refuses it in any text) is
  refused the same way;
- ids in ``_selected_action`` that cannot be a primary key of the model (not a number,
  past 64 bits) are dropped: with none left, Django says "Items must be selected";
- and a ``ValueError``, ``OverflowError``, ``ValidationError`` or ``DataError`` raised while
  the list is built from a query string (or while a GET of it renders) is answered as
  Django answers any other incorrect lookup. A list that fails without a query string is
  a bug and still fails loudly.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.admin import ModelAdmin, SimpleListFilter
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ERROR_FLAG, IGNORED_PARAMS, PAGE_VAR, ChangeList
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import DataError, connections, models, router
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpResponseRedirect
from django.utils import timezone

logger = logging.getLogger(__name__)

BAD_PARAMETER_ERRORS = (ValueError, OverflowError, ValidationError, DataError)
UNREADABLE = (ValidationError, ValueError, OverflowError, TypeError)
COMPARISONS = {"exact", "gt", "gte", "lt", "lte"}
NOT_LOOKUPS = {*IGNORED_PARAMS, PAGE_VAR, ERROR_FLAG}


class AdminChangeListGuardMiddleware:
    """Checks the query string and the selected ids of every admin change list before its
    view runs, and answers the errors of a bad query string as an incorrect lookup."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        model_admin = getattr(view_func, "model_admin", None)  # set by ModelAdmin.get_urls
        if not isinstance(model_admin, ModelAdmin) or view_func.__name__ != "changelist_view":
            return None
        if not model_admin.admin_site.has_permission(request):
            return None  # the admin's own redirect to the login, before anything is read
        request.admin_change_list = model_admin
        if not lookups_readable(model_admin, request):
            return incorrect_lookup(request)
        if request.method == "POST" and ACTION_CHECKBOX_NAME in request.POST:
            selection_drop_unreadable(request, model_admin.model)
        return None

    def process_exception(self, request, exception):
        if getattr(request, "admin_change_list", None) is None:
            return None
        if not isinstance(exception, BAD_PARAMETER_ERRORS):
            return None
        if not any(key != ERROR_FLAG for key in request.GET):
            return None
        # A POST runs an action or saves the list's rows: only what failed in building the
        # list from the query string is the query string's fault.
        if request.method not in ("GET", "HEAD") and not _raised_building_change_list(exception):
            return None
        logger.warning("Incorrect lookup parameters for %s: %s: %s", request.path, type(exception).__name__, exception)
        return incorrect_lookup(request)


def incorrect_lookup(request) -> HttpResponseRedirect:
    """Django's answer to lookup parameters it cannot use (``ModelAdmin.changelist_view``)."""
    return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")


def _raised_building_change_list(exception: BaseException) -> bool:
    traceback = exception.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code is ChangeList.__init__.__code__:
            return True
        traceback = traceback.tb_next
    return False


# --- The query string ------------------------------------------------------------------------


def lookups_readable(model_admin: ModelAdmin, request) -> bool:
    """False when the query string holds a NUL character, or a date lookup the database
    cannot be given (a year outside 1–9999, a date whose UTC time does not exist...)."""
    params = request.GET
    if any("\x00" in key or "\x00" in value for key, values in params.lists() for value in values):
        return False
    model = model_admin.model
    connection = connections[router.db_for_read(model)]
    hierarchy = model_admin.date_hierarchy
    hierarchy_keys = {f"{hierarchy}__{part}" for part in ("year", "month", "day")} if hierarchy else set()
    # A list filter of its own reads its parameter itself (django-auditlog's model filter
    # raises ValueError, handled in process_exception).
    own_parameters = {
        list_filter.parameter_name
        for list_filter in model_admin.get_list_filter(request)
        if isinstance(list_filter, type) and issubclass(list_filter, SimpleListFilter)
    }
    for key, values in params.lists():
        if key in NOT_LOOKUPS or key in own_parameters or key in hierarchy_keys:
            continue
        date_lookup = _date_field_lookup(model, key)
        if date_lookup is None:
            continue
        field, lookups = date_lookup
        if not all(_date_value_readable(field, lookups, value, connection) for value in values):
            return False
    return not hierarchy or _hierarchy_readable(model, hierarchy, params, connection)


def _date_field_lookup(model, key: str) -> tuple[models.DateField, list[str]] | None:
    """The date or date-time field ``key`` filters on (through relations) and the lookups
    after it, or None when ``key`` names no date field (Django judges those itself)."""
    opts = model._meta
    parts = key.split(LOOKUP_SEP)
    for index, part in enumerate(parts):
        try:
            field = opts.get_field(part)
        except FieldDoesNotExist:
            return None
        if isinstance(field, models.DateField):  # DateTimeField is one too
            return field, parts[index + 1 :]
        if not field.is_relation or field.related_model is None:
            return None
        opts = field.related_model._meta
    return None


def _date_value_readable(field: models.DateField, lookups: list[str], value: str, connection) -> bool:
    transform = lookups[0] if lookups else "exact"
    if transform in ("year", "iso_year"):
        comparison = lookups[1] if len(lookups) > 1 else "exact"
        # Only these compare against the year's first and last moment; __year__in compares numbers.
        return comparison not in COMPARISONS or _year_readable(field, value, transform == "iso_year", connection)
    if transform == "date" and isinstance(field, models.DateTimeField):
        field, lookups = models.DateField(), lookups[1:]
    if len(lookups) > 1:
        return True  # other transforms (__month__gte...) compare numbers
    lookup = lookups[0] if lookups else "exact"
    if lookup in COMPARISONS:
        return _moment_readable(field, value, connection)
    if lookup == "in":
        return all(_moment_readable(field, part, connection) for part in value.split(","))
    return True


def _moment_readable(field: models.DateField, value, connection) -> bool:
    """Whether ``value`` becomes a date or date-time the database can be given: the field
    reads it as a lookup does (a naive date-time in the default time zone), and an aware one
    exists in UTC."""
    try:
        moment = field.to_python(value)
        if isinstance(moment, datetime.datetime):
            if settings.USE_TZ and timezone.is_naive(moment):
                moment = timezone.make_aware(moment, timezone.get_default_timezone())
            _utc_exists(moment)
        field.get_db_prep_value(moment, connection, prepared=True)
    except UNREADABLE:
        return False
    return True


def _year_readable(field: models.DateField, value: str, iso_year: bool, connection) -> bool:
    """Whether the year's first and last moment, as the year lookups give them to the
    database, exist (a year lookup on a date-time is a range in the current time zone)."""
    operations = connection.ops
    try:
        year = int(value)
        if isinstance(field, models.DateTimeField):
            bounds = operations.year_lookup_bounds_for_datetime_field(year, iso_year=iso_year)
        else:
            bounds = operations.year_lookup_bounds_for_date_field(year, iso_year=iso_year)
        for bound in bounds:
            _utc_exists(bound)
    except UNREADABLE:
        return False
    return True


def _hierarchy_readable(model, hierarchy: str, params, connection) -> bool:
    """The date hierarchy's year, month and day become a range, as ``ChangeList.get_filters``
    computes it (its end a day, a month or a year later, in the current time zone)."""
    year = params.get(f"{hierarchy}__year")
    if year is None:
        return True
    month, day = params.get(f"{hierarchy}__month"), params.get(f"{hierarchy}__day")
    field = get_fields_from_path(model, hierarchy)[-1]
    try:
        start = datetime.datetime(int(year), int(month) if month is not None else 1, int(day) if day is not None else 1)
        if day is not None:
            end = start + datetime.timedelta(days=1)
        elif month is not None:
            end = (start + datetime.timedelta(days=32)).replace(day=1)
        else:
            end = start.replace(year=start.year + 1)
    except UNREADABLE:
        return False
    if settings.USE_TZ:
        start, end = timezone.make_aware(start), timezone.make_aware(end)
    return _moment_readable(field, start, connection) and _moment_readable(field, end, connection)


def _utc_exists(moment) -> None:
    """Raises OverflowError when an aware date-time has no UTC time (year 1 east of UTC)."""
    if isinstance(moment, datetime.datetime) and timezone.is_aware(moment):
        moment.astimezone(datetime.UTC)


# --- The selected rows of an action ------------------------------------------------------------


def selection_drop_unreadable(request, model) -> None:
    """Leaves in ``_selected_action`` only ids that can be a primary key of ``model``."""
    selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
    keys = [value for value in selected if _primary_key_readable(model, value)]
    if len(keys) == len(selected):
        return
    post = request.POST.copy()
    post.setlist(ACTION_CHECKBOX_NAME, keys)
    post._mutable = False
    request.POST = post


def _primary_key_readable(model, value: str) -> bool:
    field = model._meta.pk
    while field.remote_field is not None:  # a one-to-one primary key: the key it points to
        field = field.target_field
    if "\x00" in value:
        return False
    try:
        key = field.to_python(value)
        field.run_validators(key)  # an integer key: within the database's range
    except UNREADABLE:
        return False
    return key is not None
