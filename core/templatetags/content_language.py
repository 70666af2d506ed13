"""Mark translated content that falls back to another language (WCAG 2.1, 3.1.2).

``<h2{% lang_attr reward "title" %}>{{ reward.title }}</h2>`` adds ``lang="en"`` when the
Dutch reader sees the English title because there is no Dutch one yet;
``{% translated reward "title" %}`` prints the text, wrapped in ``<span lang="en">`` only
when it is a fallback; ``{% page_lang_attr page %}`` does the same for a Wagtail page
shown in another locale than the reader's.
"""

from django import template
from django.utils.html import format_html

from core.content_language import content_language, lang_attribute

register = template.Library()


@register.simple_tag
def lang_attr(obj, field):
    if obj is None:
        return ""
    return lang_attribute(content_language(obj, field))


@register.simple_tag
def translated(obj, field):
    if obj is None:
        return ""
    value = getattr(obj, field, "") or ""
    attribute = lang_attribute(content_language(obj, field))
    if not attribute:
        return value
    return format_html("<span{}>{}</span>", attribute, value)


@register.simple_tag
def lang_attr_code(language):
    """`` lang="xx"`` for a language code worked out beforehand (a selector's ``..._language``)."""
    return lang_attribute(language)


@register.simple_tag
def page_lang_attr(page):
    locale = getattr(page, "locale", None)
    if locale is None:
        return ""
    return lang_attribute(locale.language_code)
