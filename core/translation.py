"""The club's footer text in every shipped language (django-modeltranslation, as catalogue
content is: ``footer_text_en``, ``footer_text_sv``, ``footer_text_nl``). Reading
``branding.footer_text`` gives the active language's text, else the club's default
language's; the footer marks a fallback with its ``lang`` (``core.content_language``)."""

from modeltranslation.translator import TranslationOptions, register

from .models import Branding


@register(Branding)
class BrandingTranslation(TranslationOptions):
    fields = ("footer_text",)
