"""Which language a piece of translated content is shown in, and what is not translated yet.

Content (reward names, tiers, badges, activities...) is kept per language by
django-modeltranslation: ``reward.title`` reads ``title_<active language>``, else the club's
default language's, else any language that has it (``MODELTRANSLATION_FALLBACK_LANGUAGES``).
A reader must be told when a text is not in their language (WCAG 2.1, 3.1.2 "Language of
parts"): ``content_language`` says which language the shown text came from, and templates
put it in a ``lang`` attribute when it differs from the page's (``core.templatetags``).

Pages (Wagtail) carry their own locale: ``page_language`` does the same for them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.utils.html import format_html
from modeltranslation.translator import NotRegistered, translator
from modeltranslation.utils import get_language, resolution_order


def languages() -> list[str]:
    """The languages content is kept in (the portal's shipped languages)."""
    return list(settings.MODELTRANSLATION_LANGUAGES)


def reading_order(language: str | None = None) -> tuple[str, ...]:
    """The reader's language first, then the fallbacks in the order the portal tries them."""
    return resolution_order(language or get_language())


def content_language(obj, field: str) -> str:
    """The language ``obj.<field>`` is shown in for the active language: the active
    language if it is translated, else the fallback that supplied the text."""
    active = get_language()
    for language in reading_order(active):
        if getattr(obj, f"{field}_{language}", None):
            return language
    return active


def translations_of(obj, field: str) -> dict[str, str] | str:
    """``obj.<field>`` in every language it is kept in (``{"en": "Thermos", "sv": "Termos"}``),
    for a stored text that names it and is rendered later in its reader's language
    (``core.texts``); the plain text for a field that is not translated."""
    if field not in translated_fields(type(obj)):
        return str(getattr(obj, field))
    texts = {language: getattr(obj, f"{field}_{language}", "") for language in languages()}
    return {language: text for language, text in texts.items() if text} or str(getattr(obj, field))


def lang_attribute(language: str) -> str:
    """`` lang="xx"`` when ``language`` is not the page's (the active) language, else ""."""
    if not language or language == get_language():
        return ""
    return format_html(' lang="{}"', language)


def translated_fields(model) -> tuple[str, ...]:
    """The fields of ``model`` that are kept per language (empty if none)."""
    try:
        return tuple(sorted(translator.get_options_for_model(model).fields))
    except NotRegistered:
        return ()


def missing_languages(obj, fields: Iterable[str] | None = None) -> list[str]:
    """The languages in which some text of ``obj`` is missing: a field that has a text in
    some language but none in this one. A field empty in every language (an optional
    summary nobody wrote) is not a missing translation."""
    fields = tuple(fields) if fields is not None else translated_fields(type(obj))
    missing = []
    for language in languages():
        for field in fields:
            values = [getattr(obj, f"{field}_{other}", None) for other in languages()]
            if any(values) and not getattr(obj, f"{field}_{language}", None):
                missing.append(language)
                break
    return missing


def _empty(lookup: str) -> Q:
    return Q(**{f"{lookup}__isnull": True}) | Q(**{lookup: ""})


def missing_translation_q(model, language: str) -> Q:
    """Rows of ``model`` with a text in some language but not in ``language`` (a query
    version of ``missing_languages``)."""
    condition = Q(pk__in=[])
    for field in translated_fields(model):
        somewhere = Q()
        for other in languages():
            somewhere |= ~_empty(f"{field}_{other}")
        condition |= _empty(f"{field}_{language}") & somewhere
    return condition


def shown_text_contains(field: str, term: str, *, language: str | None = None) -> Q:
    """Rows whose ``field``, as the reader sees it, contains ``term``: the reader's language
    where it is written, else the first fallback that has it. A Dutch reader finds a reward
    by its Dutch name, and by the English one they see where there is no Dutch name yet,
    but not by a Swedish name they never see. Related paths work too (``"category__name"``)."""
    condition = Q(pk__in=[])
    earlier_empty = Q()
    for code in reading_order(language):
        column = f"{field}_{code}"
        condition |= earlier_empty & Q(**{f"{column}__icontains": term})
        earlier_empty &= _empty(column)
    return condition


def translations_fill(model, *, key: str, texts: dict) -> int:
    """Fill in translations that are still empty: ``texts`` is ``{key value: {language:
    {field: text}}}``, matched on ``model.<key>``. A text someone already wrote (in the admin,
    say) is never overwritten, so running it again changes nothing. One query to read, one
    bulk update to write; returns the number of rows changed."""
    changed = []
    columns: set[str] = set()
    for obj in model._default_manager.filter(**{f"{key}__in": list(texts)}):
        wrote = False
        for language, fields in texts[getattr(obj, key)].items():
            for field, text in fields.items():
                column = f"{field}_{language}"
                if text and not getattr(obj, column, None):
                    setattr(obj, column, text)
                    columns.add(column)
                    wrote = True
        if wrote:
            changed.append(obj)
    if changed:
        model._default_manager.bulk_update(changed, sorted(columns))
    return len(changed)
