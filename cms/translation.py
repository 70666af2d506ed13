"""News category names in every shipped language (django-modeltranslation, as catalogue
content is: ``name_en``, ``name_sv``, ``name_nl``). Pages are translated as Wagtail pages
(a tree per locale); a category is shared by the trees, so its name is kept per language
and ``category.name`` reads the reader's language, else the club's default language's."""

from modeltranslation.translator import TranslationOptions, register

from .models import NewsCategory


@register(NewsCategory)
class NewsCategoryTranslation(TranslationOptions):
    fields = ("name",)
