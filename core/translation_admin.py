"""The Django admin for translated content: every language edited on one page, and what
is not translated yet shown as a column and a filter.

Fields kept per language (``<app>/translation.py``) appear once per language, grouped
together (``title [en]``, ``title [sv]``, ``title [nl]``) through django-modeltranslation's
``TranslationAdmin``; its tabbed variant is not used because it loads jQuery UI from a CDN,
which the strict CSP forbids.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from core.content_language import languages, missing_languages, missing_translation_q


def _language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))


class MissingTranslationFilter(admin.SimpleListFilter):
    """ "Missing translation: Swedish" lists what still shows another language to a Swedish reader."""

    title = _("missing translation")
    parameter_name = "missing_translation"

    def lookups(self, request, model_admin):
        return [(code, _language_name(code)) for code in languages()]

    def queryset(self, request, queryset):
        if self.value() in languages():
            return queryset.filter(missing_translation_q(queryset.model, self.value()))
        return queryset


class TranslatedContentAdmin(TranslationAdmin):
    """A ``ModelAdmin`` for a model with translated fields: all languages in the form, a
    "missing translations" column and filter in the list (no extra query: the texts are
    columns of the row)."""

    def get_list_display(self, request):
        return [*super().get_list_display(request), "missing_translations"]

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), MissingTranslationFilter]

    @admin.display(description=_("missing translations"))
    def missing_translations(self, obj):
        return ", ".join(_language_name(code) for code in missing_languages(obj)) or "—"


class TranslatedContentTabularInline(TranslationTabularInline):
    """An inline whose translated fields show once per language."""
