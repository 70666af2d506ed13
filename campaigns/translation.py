"""Campaign, activity, challenge and badge texts in every shipped language
(django-modeltranslation); see ``rewards/translation.py`` for how they are read and marked.
A campaign's name, headline and description are what members read on its page, its banner
and the activities page."""

from modeltranslation.translator import TranslationOptions, register

from .models import Activity, Badge, Campaign, Challenge


@register(Campaign)
class CampaignTranslation(TranslationOptions):
    fields = ("name", "headline", "description")


@register(Activity)
class ActivityTranslation(TranslationOptions):
    fields = ("title", "description", "question")


@register(Challenge)
class ChallengeTranslation(TranslationOptions):
    fields = ("title", "description")


@register(Badge)
class BadgeTranslation(TranslationOptions):
    fields = ("name", "description")
    # Badge names are unique: an untranslated name is NULL, not "", so two badges may both
    # lack their Dutch name.
    empty_values = {"name": None}
