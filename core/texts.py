"""Texts the portal writes about what happened, stored as a key with parameters and
rendered for whoever reads them.

A generated text — a ledger entry's description ("Purchase ERP-1042", "Order R-7
cancelled: points returned") — is never stored as finished words in the language of the
person who caused it. It is stored as a message key and JSON parameters, and rendered
when it is shown, exported or e-mailed, in the language active then (the reader's)::

    text_register("ledger.purchase", gettext_lazy("Purchase %(ref)s"))
    StoredText("ledger.purchase", {"ref": "ERP-1042"})        # what a service stores
    text_render("ledger.purchase", {"ref": "ERP-1042"})       # "Köp ERP-1042" for a Swede

This module is the registry (one per process, filled at import time by each app's
``texts.py``, which its ``AppConfig.ready`` imports: the ground floor knows no app's
words) and the renderer. Parameters are JSON values, formatted per language when
rendered: integers with the language's thousands grouping, the names a text lists in
``dates`` (ISO dates, ``"2026-12-06"``) in the language's date format, the names it lists
in ``points`` (``points_param``: points with their money value) as "1 200 points (24 SEK)",
a name of translated
content kept in every language (``{"en": …, "sv": …}``) in the reader's, strings as they
are — so a reason a person typed stays exactly as typed. ``FREE_TEXT`` is the key of
words stored as they are (a typed reason, or a text from before this registry that
could not be recognised): ``{"text": "…"}``.

Rendering reads no database: whatever a text names (a reward, a campaign, a person) is a
parameter captured when it was written, so a list of any length renders without a query
per row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from core.formatting import format_money, format_points

logger = logging.getLogger(__name__)

FREE_TEXT = "text"


@dataclass(frozen=True)
class MessageText:
    """One registered text: a lazily translated template with ``%(name)s`` placeholders,
    or a ``render`` function for a text built from parts (called with the parameters
    already formatted for the active language and the raw ones)."""

    key: str
    template: Promise | str | None = None
    dates: tuple[str, ...] = ()
    render: Callable[[Mapping, Mapping], str] | None = None
    points: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredText:
    """What a service stores instead of finished words: a registered key and its JSON
    parameters. Compare two of them to tell whether a retry is the same movement."""

    key: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return text_render(self.key, self.params)


_registry: dict[str, MessageText] = {}


def text_register(
    key: str,
    template: Promise | str | None = None,
    *,
    dates: tuple[str, ...] = (),
    render: Callable[[Mapping, Mapping], str] | None = None,
    points: tuple[str, ...] = (),
) -> MessageText:
    """Register ``key`` (once per process; registering it again replaces it, as a test's
    second ``ready()`` does). Returns the text, so a module can keep it by name."""
    if template is None and render is None:
        raise ValueError(f"Text {key!r} needs a template or a render function.")
    text = MessageText(key=key, template=template, dates=tuple(dates), render=render, points=tuple(points))
    _registry[key] = text
    return text


def text_registered(key: str) -> bool:
    return key in _registry


def text_keys() -> frozenset[str]:
    return frozenset(_registry)


def free_text(text: str) -> StoredText:
    """Words stored as they are: a reason someone typed."""
    return StoredText(FREE_TEXT, {"text": text})


def points_param(points: int, value: Decimal, currency: str) -> dict:
    """A points figure with its money value, as a JSON parameter (for a text's ``points``)."""
    return {"points": int(points), "value": str(value), "currency": currency}


def _points_format(value: Mapping) -> str:
    try:
        money = format_money(Decimal(str(value.get("value", "0"))), str(value.get("currency", "")))
    except InvalidOperation:
        return format_points(int(value.get("points", 0)))
    return _("%(points)s (%(value)s)") % {"points": format_points(int(value.get("points", 0))), "value": money}


def text_params_check(params: Mapping) -> dict:
    """``params`` as stored: JSON values only (strings, numbers, booleans, None, lists and
    objects of them). A lazy translation, a callable, a date or a number type JSON has not
    raises ``TypeError``: stored words would be fixed in one language, so the caller passes
    what the text needs to be rendered later instead."""
    if not isinstance(params, Mapping):
        raise TypeError(f"Text parameters are a mapping, not {type(params).__name__}.")
    return {str(name): _json_value(value, name) for name, value in params.items()}


def _json_value(value, name):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_json_value(item, name) for item in value]
    if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        return {key: _json_value(item, name) for key, item in value.items()}
    raise TypeError(
        f"Text parameter {name!r} is a {type(value).__name__}: parameters are JSON values "
        "(an ISO date string, an integer, a name in every language), rendered when read."
    )


def text_param_format(value, *, is_date: bool = False, is_points: bool = False):
    """One parameter as the active language writes it: an integer grouped ("12 400"), a
    date parameter in the language's date format, a points parameter with its money value;
    anything else unchanged."""
    if is_points and isinstance(value, Mapping):
        return _points_format(value)
    if is_date and isinstance(value, str):
        try:
            return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")
        except ValueError:
            return value
    if isinstance(value, int) and not isinstance(value, bool):
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    if isinstance(value, Mapping):
        return translation_pick(value)
    return value


def translation_pick(texts: Mapping) -> str:
    """A name kept in several languages (``{"en": "Thermos", "sv": "Termos"}``, what
    ``core.content_language.translations_of`` captures when a text names translated
    content): the active language's, else the club's default language's, else any."""
    for language in (translation.get_language(), settings.LANGUAGE_CODE):
        if language and texts.get(language):
            return str(texts[language])
    return next((str(text) for text in texts.values() if text), "")


def text_render(key: str, params: Mapping | None = None, language: str | None = None) -> str:
    """The text ``key`` with ``params``, in ``language`` (else the active language).

    Never raises for stored data: an empty key is an empty text, an unknown key (a text
    whose app was removed) shows its free words if it has any, and a translation whose
    placeholders do not fit (CI refuses those, see ``tests/clubportal/test_translations``)
    falls back to the club's default language rather than failing the page.
    """
    params = params or {}
    if not key:
        return ""
    if language is not None:
        with translation.override(language):
            return text_render(key, params)
    if key == FREE_TEXT:
        return str(params.get("text", ""))
    text = _registry.get(key)
    if text is None:
        logger.warning("Unknown text key %r", key)
        return str(params.get("text", ""))
    formatted = {
        name: text_param_format(value, is_date=name in text.dates, is_points=name in text.points)
        for name, value in params.items()
    }
    try:
        if text.render is not None:
            return text.render(formatted, params)
        return str(text.template) % formatted
    except (KeyError, ValueError, TypeError):
        logger.exception("Text %r does not fit its parameters in %s", key, translation.get_language())
        if translation.get_language() == settings.LANGUAGE_CODE:
            return str(params.get("text", ""))
        return text_render(key, params, language=settings.LANGUAGE_CODE)
