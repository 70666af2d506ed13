"""The "Untranslated pages" report in the Wagtail admin (Reports → Untranslated pages).

A page of the default language's tree is untranslated into a language when no page of that
locale shares its translation key. Marketing filters by language, opens the page and
chooses "Translate" (wagtail.contrib.simple_translation) to copy it into the other tree.
"""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views.reports import PageReportView
from wagtail.models import Locale, Page


def _other_languages() -> list[tuple[str, str]]:
    return [(code, name) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def _untranslated_into(codes) -> Q:
    condition = Q(pk__in=[])
    for code in codes:
        translated = Page.objects.filter(locale__language_code=code).values("translation_key")
        condition |= ~Q(translation_key__in=translated)
    return condition


class UntranslatedPagesFilterSet(WagtailFilterSet):
    missing_in = django_filters.ChoiceFilter(
        label=_("Missing in"),
        choices=_other_languages,
        empty_label=_("any language"),
        method="filter_missing_in",
    )

    class Meta:
        model = Page
        fields = ["live"]

    def filter_missing_in(self, queryset, name, value):
        return queryset.filter(_untranslated_into([value])) if value else queryset


class UntranslatedPagesView(PageReportView):
    page_title = _("Untranslated pages")
    header_icon = "globe"
    results_template_name = "cms/admin/untranslated_pages_results.html"
    filterset_class = UntranslatedPagesFilterSet
    index_url_name = "cms_untranslated_pages"
    index_results_url_name = "cms_untranslated_pages_results"
    # Whoever may edit pages may see which are not translated (the queryset below only
    # lists pages they may edit).
    any_permission_required = ["add", "change", "publish"]

    def get_filename(self):
        return "untranslated-pages"

    def get_queryset(self):
        default = Locale.get_default()
        pages = (
            self.permission_policy.instances_user_has_permission_for(self.request.user, "change")
            .filter(locale=default, depth__gt=1)
            .filter(_untranslated_into(code for code, _name in _other_languages()))
            .specific(defer=True)
            .select_related("locale")
            .order_by("path")
        )
        self.queryset = pages
        return super().get_queryset()

    def decorate_paginated_queryset(self, object_list):
        """Which languages each listed page lacks: one query for the page of results."""
        pages = list(object_list)
        keys = [page.translation_key for page in pages]
        have: dict = {}
        for key, code in Page.objects.filter(translation_key__in=keys).values_list(
            "translation_key", "locale__language_code"
        ):
            have.setdefault(key, set()).add(code)
        for page in pages:
            page.missing_languages = [
                name for code, name in _other_languages() if code not in have.get(page.translation_key, set())
            ]
        return pages
