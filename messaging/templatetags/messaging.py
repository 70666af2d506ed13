"""Showing messages: plain text with clickable links, nothing else.

{% load messaging %}
{{ message.body|message_text }}
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import filesizeformat
from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

LINK_TEXT_LIMIT = 60


def message_html(text: str) -> SafeString:
    """A message as HTML: every character escaped first, then web and e-mail addresses
    turned into links (``rel="nofollow"``; only http(s) and mailto, never ``javascript:``),
    long link texts shortened, and line breaks kept. The message is never trusted as HTML."""
    linked = urlize(text or "", trim_url_limit=LINK_TEXT_LIMIT, nofollow=True, autoescape=True)
    # urlize escaped every character that is not part of a link it made.
    return mark_safe(linked.replace("\r\n", "\n").replace("\n", "<br>"))


@register.filter
def message_text(text: str) -> SafeString:
    return message_html(text)


@register.filter
def file_size(size: int) -> str:
    return filesizeformat(size)
