"""Which catalogue and programme texts are kept in every shipped language (django-modeltranslation).

Each field listed here gets one column per language (``title_en``, ``title_sv``,
``title_nl``); reading ``reward.title`` gives the active language's text, else the club's
default language's (``MODELTRANSLATION_FALLBACK_LANGUAGES``). Templates mark a fallback
with its ``lang`` (``core.content_language``); the admin shows every language and what is
missing (``core.translation_admin``).
"""

from modeltranslation.translator import TranslationOptions, register

from .models import ProductCategory, Reward, RewardCategory, RewardImage, Tier


@register(ProductCategory)
class ProductCategoryTranslation(TranslationOptions):
    fields = ("name",)


@register(Tier)
class TierTranslation(TranslationOptions):
    fields = ("name", "benefits")


@register(RewardCategory)
class RewardCategoryTranslation(TranslationOptions):
    fields = ("name",)


@register(Reward)
class RewardTranslation(TranslationOptions):
    fields = ("title", "summary", "description")


@register(RewardImage)
class RewardImageTranslation(TranslationOptions):
    fields = ("alt_text",)
